"""What apply, diff and drift share: cluster flags, targets, loading and validating the manifests,
reporting change sets, and the exit code of several targets.

Exit codes (all three commands): 0 ok / in sync; 1 something to fix in Git or the cluster -
invalid manifests, guardrail refusals, failed or unhealthy objects, drift; 2 the environment -
bad flags or kubepush.yaml, unreadable kubeconfig, failed authentication, unreachable cluster.
A guardrail refusal is 1, like a validation error: it is a finding about the manifests.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterable
from typing import Any

from kubepush import config as configuration
from kubepush.errors import UsageError
from kubepush.model import Finding, ObjectRef, Result, Severity
from kubepush.report.base import Reporter

EXIT_HELP = ("exit codes: 0 ok, 1 invalid manifests, guardrail refusal, failed/unhealthy objects or drift, "
             "2 usage or environment error (bad kubeconfig, failed authentication, unreachable cluster)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="manifests: files, directories, kustomizations, charts (default: the targets in "
                             "kubepush.yaml)")
    parser.add_argument("-t", "--target", action="append", default=[], metavar="NAME",
                        help="only this target from kubepush.yaml (repeatable; default: all, in parallel)")
    parser.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, "
                        "~/.kube/config, or the in-cluster service account)")
    parser.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the target's context, "
                        "else the current context)")
    parser.add_argument("-n", "--namespace", metavar="NS",
                        help="namespace for namespaced objects without one (with PATH arguments)")
    parser.add_argument("--concurrency", type=int, default=0, metavar="N",
                        help="concurrent API requests per target (default 16)")
    parser.add_argument("--request-timeout", type=float, default=30.0, metavar="SECONDS",
                        help="timeout of one API request (default 30)")


def add_ignore_argument(parser: argparse.ArgumentParser) -> None:
    """``--ignore-manager``: apply, diff and drift take it alike, so the preview is what the apply does."""
    parser.add_argument("--ignore-manager", action="append", default=[], metavar="NAME",
                        help="leave alone fields whose live value this field manager owns, e.g. an HPA's "
                             "replicas (repeatable; added to drift.ignore in kubepush.yaml)")


def ignore_rules(args: argparse.Namespace, cfg: configuration.Config) -> tuple[Any, ...]:
    """kubepush.yaml's ``drift.ignore`` plus ``--ignore-manager``: the fields apply, diff and heal leave alone."""
    from kubepush.cluster.compare.ignore import IgnoreRule

    rules = [IgnoreRule.from_config(r) for r in cfg.section("drift").get("ignore", ())]
    if args.ignore_manager:
        rules.append(IgnoreRule(managers=tuple(args.ignore_manager)))
    return tuple(rules)


def targets(args: argparse.Namespace, cfg: configuration.Config) -> list[Any]:
    """TargetSpecs from PATH arguments (one ad-hoc target) or from kubepush.yaml, each with the
    inventory identity derived from where its manifests come from (:mod:`kubepush.cluster.identity`)."""
    from kubepush.cluster import identity
    from kubepush.cluster.shared import Shared
    from kubepush.cluster.spec import TargetSpec

    if args.paths:
        if args.target:
            raise UsageError("give either paths or --target, not both")
        specs = [TargetSpec(name="default", paths=list(args.paths), kubeconfig=args.kubeconfig,
                            context=args.context, namespace=args.namespace)]
        source = identity.of_paths(specs[0].paths)
    else:
        selected = cfg.select(args.target)
        if not selected:
            raise UsageError("no manifests: give PATH arguments or define targets in kubepush.yaml")
        specs = []
        for t in selected:
            spec = TargetSpec.from_config(t.raw, t.path, args.kubeconfig, args.context)
            if args.namespace:
                spec.namespace = args.namespace
            specs.append(spec)
        derived = [s for s in specs if s.inventory and not s.inventory_name]
        source = identity.of_config(cfg.path, cfg.repository) if cfg.path and derived else None
    shared = Shared.from_config(cfg.shared)
    for spec in specs:
        spec.shared = shared
        spec.source = source
        if spec.inventory and not spec.inventory_name and source is not None:
            spec.inventory_name = identity.parent_name(spec.name, source)
            spec.legacy_inventory = identity.legacy_name(spec.name)
            if source.local:
                Progress(args, args.command).for_target(spec.name)(
                    f"inventory {spec.inventory_name} is named after the local path {source.describe()} (no git "
                    "origin): a run from another checkout or machine uses another one")
    return specs


def load_items(paths: list[str]) -> tuple[list[Any], list[Finding], int]:
    """Rendered objects of ``paths`` as plan Items, YAML/shape errors as findings, and the file count."""
    from kubepush.cluster.plan import Item
    from kubepush.manifests import sources
    from kubepush.manifests.documents import Document

    items, findings, files = [], [], 0
    for source in sources.discover(paths):
        files += 1
        for doc in sources.load(source):
            if not isinstance(doc, Document):
                findings.append(doc)
                continue
            obj = doc.obj
            meta = obj.get("metadata") if isinstance(obj, dict) else None
            if not (isinstance(obj, dict) and obj.get("apiVersion") and obj.get("kind") and isinstance(meta, dict)
                    and meta.get("name")):
                findings.append(Finding(rule="not-an-object", file=doc.file, document=doc.index, object=doc.ref,
                                        message="not a Kubernetes object with apiVersion, kind and metadata.name"))
                continue
            items.append(Item(obj, doc.file, doc.index, _start_line(doc)))
    return items, findings, files


def _start_line(doc: Any) -> int:
    """The first line of an object's own text: after ``---``, blank lines and comments."""
    if doc.prefix:  # an item of a kind: List - only the position-keeping parse knows
        return doc.locate(())[0]
    line = doc.raw.line_offset + 1
    for text in doc.raw.text.splitlines():
        stripped = text.strip()
        if stripped and stripped != "---" and not stripped.startswith("#"):
            break
        line += 1
    return line


def add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``kubepush validate`` that matter when apply validates first."""
    group = parser.add_argument_group("validation before applying")
    group.add_argument("--no-validate", dest="validate", action="store_false", default=True,
                       help="skip the offline validation that runs before anything is applied")
    group.add_argument("-k", "--kubernetes-version", metavar="X.Y",
                       help="Kubernetes version to validate against (default: the target's)")
    group.add_argument("--strict", dest="strict", action="store_true", default=None,
                       help="reject unknown fields (default)")
    group.add_argument("--no-strict", dest="strict", action="store_false", help="accept unknown fields")
    group.add_argument("--ignore-missing-schemas", action="store_true", default=None,
                       help="warn instead of fail on kinds without a schema")
    group.add_argument("--crd", action="append", default=[], metavar="PATH",
                       help="CustomResourceDefinitions to validate custom resources with (repeatable)")
    group.add_argument("--disable", action="append", default=[], metavar="RULE",
                       help="switch off a validation rule (repeatable; see kubepush validate --list-rules)")


def validation_options(kubernetes_version: str | None, cfg: configuration.Config, args: argparse.Namespace) -> Any:
    """The options of ``kubepush validate`` for one target: kubepush.yaml's settings, flags first.

    Called before anything runs (or any report is opened): a bad version is exit 2 at once.
    """
    from kubepush.validate import engine
    from kubepush.validate.schemas import resolve_version

    settings = cfg.section("validate")

    def pick(flag: Any, key: str, default: Any) -> Any:
        return flag if flag is not None else settings.get(key, default)

    return engine.Options(
        kubernetes_version=resolve_version(args.kubernetes_version or kubernetes_version
                                           or settings.get("kubernetesVersion")),
        strict=pick(args.strict, "strict", True),
        ignore_missing_schemas=pick(args.ignore_missing_schemas, "ignoreMissingSchemas", False),
        disabled_rules=frozenset(args.disable) | frozenset(settings.get("disabledRules", ())),
        crd_paths=tuple(args.crd or settings.get("crds", ())),
        schema_locations=tuple(settings.get("schemaLocations", ())),
        render=settings.get("render", True),
    )


def validate(paths: list[str], options: Any) -> list[Finding]:
    """Error findings of ``kubepush validate`` on ``paths`` (a render failure among them)."""
    from kubepush.validate import engine

    return [f for f in engine.run(paths, options).findings if f.severity is Severity.ERROR]


def describe_invalid(findings: list[Finding]) -> str:
    """Why a target's manifests stop it, for its progress line: they do not render, or are invalid."""
    if any(f.rule == "render-error" for f in findings):
        return "the manifests do not render"
    return f"{len(findings)} validation errors"


class Progress:
    """One line per event on stderr, prefixed with the target (several run at once). ``-q`` hides it."""

    def __init__(self, args: argparse.Namespace, command: str) -> None:
        self.quiet = args.quiet > 0
        self.command = command
        self.lock = threading.Lock()

    def for_target(self, name: str) -> Any:
        def line(text: str) -> None:
            if not self.quiet:
                with self.lock:
                    sys.stderr.write(f"kubepush {self.command} [{name}]: {text}\n")
                    sys.stderr.flush()
        return line


def report_changes(reporter: Reporter, result: Result, changes: Iterable[Any], lock: threading.Lock,
                   warn_rules: frozenset[str] = frozenset()) -> None:
    """Each change as a finding plus a finished resource, so every format lists every object.

    Findings of ``warn_rules`` (drift with ``--no-fail-on-drift``) are warnings from the start:
    streaming formats (annotations) must not have printed them as errors already.
    """
    with lock:
        for change in changes:
            finding = change.to_finding()
            if finding.rule in warn_rules:
                finding.severity = Severity.WARNING
            result.findings.append(finding)
            reporter.write(finding)
            ok = not change.failed and finding.severity is not Severity.ERROR
            reporter.document_done(finding.file, finding.document, change.ref, ok)
            result.documents += 1


def report_findings(reporter: Reporter, result: Result, findings: Iterable[Finding], lock: threading.Lock) -> None:
    with lock:
        for finding in findings:
            result.findings.append(finding)
            reporter.write(finding)


def environment_error(reporter: Reporter, result: Result, target: str, message: str, lock: threading.Lock) -> None:
    """A target that could not run at all (exit 2): reported as an error finding too, for CI reports."""
    result.environment_error = True
    report_findings(reporter, result, [Finding(rule="cluster-error", message=f"[{target}] {message}",
                                               file=f"cluster:{target}", object=ObjectRef())], lock)
    sys.stderr.write(f"kubepush: error: [{target}] {message}\n")




