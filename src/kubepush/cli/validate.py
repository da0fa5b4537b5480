"""``kubepush validate``: manifests against offline schemas and API-server rules."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

from kubepush import config as configuration
from kubepush.cli import flags, output, settings
from kubepush.errors import EXIT_OK, UsageError
from kubepush.model import Finding, ObjectRef, Result, plural
from kubepush.report.base import Reporter


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files, directories (recursive), kustomizations, charts, or - for stdin "
                             "(default: the targets in kubepush.yaml, else .)")
    parser.add_argument("-t", "--target", action="append", default=[], metavar="NAME",
                        help="validate only this target from kubepush.yaml (repeatable)")
    flags.add_validation(parser)
    parser.add_argument("--schema-location", action="append", default=[], metavar="TEMPLATE",
                        help="also look up schemas here: a URL or folder, kubeconform template syntax "
                             "(e.g. '{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'); "
                             "downloads are cached in $KUBEPUSH_CACHE_DIR (repeatable)")
    parser.add_argument("--list-rules", action="store_true", help="list rule ids and exit")
    parser.add_argument("--no-render", dest="render", action="store_false", default=None,
                        help="read kustomization and chart directories as plain files")
    parser.add_argument("-j", "--workers", type=int, default=0, metavar="N",
                        help="worker processes (default: one per CPU)")
    flags.add_reports(parser)


def run(args: argparse.Namespace) -> int:
    from kubepush.validate import engine
    from kubepush.validate.catalog import catalog

    rules = catalog()
    if args.list_rules:
        for rule_id, rule in rules.items():
            print(f"{rule_id:24} {rule.description}")
        return EXIT_OK
    cfg = configuration.load(args.config)
    unknown = sorted(settings.disabled_rules(args, cfg) - set(rules))
    if unknown:
        raise UsageError(f"--disable: unknown rule {', '.join(unknown)} (see kubepush validate --list-rules)")
    # every flag and setting is checked before the reports open: a usage error writes no report
    jobs = [(job, settings.validation(args, cfg, job.version)) for job in _jobs(args, cfg)]
    for job, options in jobs:
        if args.quiet == 0:  # which API the manifests were held against is part of the verdict
            sys.stderr.write(f"kubepush validate: {job.name}Kubernetes {options.kubernetes_version} "
                             f"({_version_source(args, cfg, job)})\n")
    with output.open_output(args) as reporter:
        results = []
        # several targets render a shared base: its findings are held, merged and reported once
        sink: Reporter = reporter if len(jobs) == 1 else Recorder()
        for job, options in jobs:
            started = time.perf_counter()
            result = engine.run(job.paths, options, sink)
            output.log(args, 1, f"{' '.join(job.paths)}: {plural(result.documents, 'resource')} in "
                                f"{plural(result.files, 'file')}, "
                                f"Kubernetes {options.kubernetes_version}{' strict' if options.strict else ''}, "
                                f"{time.perf_counter() - started:.2f} s")
            if isinstance(sink, Recorder):
                sink.target_done(job.target)
            results.append(result)
        result = results[0]
        if isinstance(sink, Recorder):
            result = Result(command="validate", documents=sum(r.documents for r in results),
                            findings=sink.replay(reporter), files=sink.files)
        result.targets = sum(1 for job, _ in jobs if job.target)
        result.rules = {rule_id: rule.description for rule_id, rule in rules.items()}
        reporter.close(result)
    return result.exit_code


@dataclass(frozen=True)
class Job:
    """One engine run: the paths, and the target of kubepush.yaml they are (or lie in)."""

    paths: list[str]
    version: str | None = None
    target: str = ""  # the target run ("" for paths)
    version_of: str = ""  # the target whose kubernetesVersion the paths lie in

    @property
    def name(self) -> str:
        return f"{self.target}: " if self.target else ""


def _jobs(args: argparse.Namespace, cfg: configuration.Config) -> list[Job]:
    """One run per selected target (each with its cluster's kubernetesVersion), else the paths given
    (or '.') - with the version of the target they lie in, when all such targets name the same."""
    if args.paths:
        if args.target:
            raise UsageError("give either paths or --target, not both")
        owners = [t for t in cfg.targets if all(_inside(p, t.path) for p in args.paths) and t.kubernetes_version]
        versions = {t.kubernetes_version for t in owners}
        if len(versions) == 1:
            return [Job(args.paths, versions.pop(), version_of=", ".join(t.name for t in owners))]
        return [Job(args.paths)]
    targets = cfg.select(args.target)
    if targets:
        return [Job([t.path], t.kubernetes_version, t.name, t.name if t.kubernetes_version else "") for t in targets]
    return [Job(["."])]


def _inside(path: str, directory: str) -> bool:
    here, there = os.path.abspath(path), os.path.abspath(directory)
    return here == there or here.startswith(there.rstrip(os.sep) + os.sep)


def _version_source(args: argparse.Namespace, cfg: configuration.Config, job: Job) -> str:
    """Where the Kubernetes version of a run comes from, in settings' order."""
    if args.kubernetes_version:
        return "--kubernetes-version"
    if job.version:
        return f"kubernetesVersion of target {job.version_of}"
    if settings.section(cfg, settings.ValidateSection).kubernetes_version:
        return f"validate.kubernetesVersion in {cfg.path}"
    return "the newest bundled: set kubernetesVersion on the target to its cluster's"


#: what a reporter is told: a finding, or a finished resource (file, document, object, ok)
Event = Finding | tuple[str, int, ObjectRef, bool]


class Recorder(Reporter):
    """What the runs of several targets report, held so a finding in a file they share (a base)
    is reported once, naming every target, instead of once per target that renders it."""

    def __init__(self) -> None:  # noqa: D107 - no stream: it replays into the real reporter
        self._events: list[tuple[str, Event]] = []  # (target, what it reported)
        self._pending: list[Event] = []
        #: the distinct files the runs read, a base several targets share once
        self.files = 0

    def write(self, finding: Finding) -> None:
        self._pending.append(finding)

    def document_done(self, file: str, document: int, obj: ObjectRef, ok: bool) -> None:
        self._pending.append((file, document, obj, ok))

    def target_done(self, target: str) -> None:
        self._events += [(target, event) for event in self._pending]
        self._pending.clear()

    def close(self, result: Result) -> None:
        raise NotImplementedError("replayed, never closed")

    def replay(self, reporter: Reporter) -> list[Finding]:
        """Everything, in order, into ``reporter``; equal findings of several targets become one
        naming them all (written where the first was). Returns the findings reported."""
        merged: dict[tuple[Any, ...], Finding] = {}
        order: list[Event] = []
        self.files = len({event.file if isinstance(event, Finding) else event[0] for _, event in self._events})
        for target, event in self._events:
            if isinstance(event, Finding):
                key = (event.file, event.line, event.column, event.rule, event.message, event.path)
                first = merged.get(key)
                if first is None:
                    merged[key] = event
                    event.targets = (target,)
                    order.append(event)
                elif target not in first.targets:
                    first.targets += (target,)
            else:
                order.append(event)
        for finding in merged.values():
            if len(finding.targets) > 1:
                finding.message += f"\nin targets {', '.join(finding.targets)}"
        for event in order:
            if isinstance(event, Finding):
                reporter.write(event)
            else:
                reporter.document_done(*event)
        return list(merged.values())
