"""What the apply, diff and drift commands share when they run: the targets, validating the
manifests, stderr progress per target, reporting change sets, and the exit code of several targets
(their flags are in :mod:`kubepush.cli.flags`, their options in :mod:`kubepush.cli.settings`).

Exit codes (all three commands): 0 ok / in sync; 1 something to fix in Git or the cluster -
invalid manifests, guardrail refusals, failed or unhealthy objects, drift; 2 the environment -
bad flags or kubepush.yaml, unreadable kubeconfig, failed authentication, unreachable cluster.
A guardrail refusal is 1, like a validation error: it is a finding about the manifests.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kubepush import config as configuration
from kubepush.errors import UsageError
from kubepush.model import Finding, ObjectRef, Result, Severity, plural
from kubepush.report.base import Reporter

if TYPE_CHECKING:
    from kubepush.cluster.identity import Source

EXIT_HELP = ("exit codes: 0 ok, 1 invalid manifests, guardrail refusal, failed/unhealthy objects or drift, "
             "2 usage or environment error (bad kubeconfig, failed authentication, unreachable cluster)")


def targets(args: argparse.Namespace, cfg: configuration.Config) -> list[Any]:
    """TargetSpecs from PATH arguments (one ad-hoc target) or from kubepush.yaml, each with the
    inventory identity derived from where its manifests come from (:mod:`kubepush.cluster.identity`)."""
    from kubepush.cluster import identity
    from kubepush.cluster.shared import Shared
    from kubepush.cluster.spec import TargetSpec

    source: Source | None
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


def validate(paths: list[str], options: Any) -> list[Finding]:
    """Error findings of ``kubepush validate`` on ``paths`` (a render failure among them)."""
    from kubepush.validate import engine

    return [f for f in engine.run(paths, options).findings if f.severity is Severity.ERROR]


def describe_invalid(findings: list[Finding]) -> str:
    """Why a target's manifests stop it, for its progress line: they do not render, or are invalid."""
    if any(f.rule == "render-error" for f in findings):
        return "the manifests do not render"
    return plural(len(findings), 'validation error')


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
                   severities: Mapping[str, Severity] | None = None) -> None:
    """Each change as a finding plus a finished resource, so every format lists every object.

    ``severities`` overrides the severity of some actions (drift with ``--no-fail-on-drift``: drift
    is a warning; diff: a planned change is an error only with ``--fail-on-drift``), decided before
    anything streams: annotations must not have printed them at another severity already.
    """
    with lock:
        for change in changes:
            finding = change.to_finding()
            finding.severity = (severities or {}).get(finding.rule, finding.severity)
            result.findings.append(finding)
            reporter.write(finding)
            ok = finding.severity is not Severity.ERROR
            reporter.document_done(finding.file, finding.document, change.ref, ok)
            result.documents += 1


def report_findings(reporter: Reporter, result: Result, findings: Iterable[Finding], lock: threading.Lock,
                    target: str = "") -> None:
    """Findings that are not changes (refusals, invalid manifests), of ``target`` when one is named."""
    with lock:
        for finding in findings:
            if target and not finding.targets:
                finding.targets = (target,)
            result.findings.append(finding)
            reporter.write(finding)


def count_inputs(args: argparse.Namespace, result: Result, specs: list[Any], items: Iterable[Any]) -> None:
    """The counts of a summary: the targets of kubepush.yaml run (none for PATH arguments) and the
    distinct files their objects come from - a base two overlays render is one file, not two."""
    result.targets = 0 if args.paths else len(specs)
    result.files = len({item.file for item in items if item.file})


def environment_error(reporter: Reporter, result: Result, target: str, message: str, lock: threading.Lock) -> None:
    """A target that could not run at all (exit 2): reported as an error finding too, for CI reports."""
    result.environment_error = True
    report_findings(reporter, result, [Finding(rule="cluster-error", message=f"[{target}] {message}",
                                               file=f"cluster:{target}", object=ObjectRef(), targets=(target,))],
                    lock)
    sys.stderr.write(f"kubepush: error: [{target}] {message}\n")
