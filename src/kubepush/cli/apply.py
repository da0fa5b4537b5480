"""``kubepush apply``: render, validate, check guardrails, then server-side apply in stages,
prune, and wait for health - several targets in parallel, a result per target."""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from kubepush import config as configuration
from kubepush import dependencies
from kubepush.cli import cluster, flags, output, settings
from kubepush.cluster import shared
from kubepush.cluster.items import load_items
from kubepush.errors import UsageError
from kubepush.manifests import render
from kubepush.model import SKIPPED, Change, Finding, Result, Severity, plural, summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = cluster.EXIT_HELP
    flags.add_cluster(parser)
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="how long to wait for health (default 300, or apply.timeout in kubepush.yaml)")
    parser.add_argument("--no-wait", dest="wait", action="store_false", default=True,
                        help="do not wait for health")
    parser.add_argument("--no-force-conflicts", dest="force", action="store_false", default=None,
                        help="stop on field-manager conflicts, naming the other manager and fields "
                             "(default: take ownership)")
    parser.add_argument("--revision", metavar="REV",
                        help="Git revision being applied, recorded on the inventory (default: HEAD of the target's "
                             "repository; <sha>-dirty, with a warning, for uncommitted changes)")
    parser.add_argument("--rollback-on-failure", action="store_true",
                        help="when health fails, re-apply the last revision that applied healthy (recorded on the "
                             "inventory; read with git worktree) - the run still exits 1")
    parser.add_argument("--take-over", action="store_true",
                        help="apply objects that belong to another inventory (ApplySet) and move them into this "
                             "target's, reporting each (default: refuse them before any write)")
    parser.add_argument("--adopt-inventory", action="store_true",
                        help="move every member of the target's inventory of an earlier kubepush version "
                             "(kubepush-<target>) into its current one, so prune treats them as its own")
    flags.add_ignore_manager(parser)
    flags.add_validate_before_apply(parser)
    flags.add_reports(parser)


def run(args: argparse.Namespace) -> int:
    from kubepush.cluster.apply import apply_target

    cfg = configuration.load(args.config)
    specs = cluster.targets(args, cfg)
    if args.concurrency < 0:
        raise UsageError("--concurrency must be positive")
    options = replace(settings.apply(args, cfg), load_revision=_load_revision)
    versions = {t.name: t.kubernetes_version for t in cfg.targets}
    progress = cluster.Progress(args, "apply")
    lock = threading.Lock()
    result = Result(command="apply")
    checks = {spec.name: settings.validation(args, cfg, versions.get(spec.name)) for spec in specs
              } if args.validate else {}
    with output.open_output(args) as reporter:
        loaded = {}
        inputs: list[Any] = []
        for spec in specs:  # a target whose manifests do not render or validate applies nothing
            with render.reused():  # what is applied is what was validated: one build
                invalid = cluster.validate(spec.paths, checks[spec.name]) if args.validate else []
                if not invalid:
                    items, invalid, _ = load_items(spec.paths, spec.decryption)
                    inputs += items
            inputs += invalid
            if invalid:
                cluster.report_findings(reporter, result, invalid, lock, spec.name)
                progress.for_target(spec.name)(f"{cluster.describe_invalid(invalid)}: nothing applied")
                continue
            loaded[spec.name] = (spec, items)
        cluster.count_inputs(args, result, specs, inputs)
        # two valid targets that would claim one object: nothing is applied (a target that does not
        # render is left out - its objects are unknown - and is checked again once it renders)
        conflicts = shared.declared_twice(list(loaded.values()), specs[0].shared)
        if conflicts:
            cluster.report_findings(reporter, result, conflicts, lock)
            for name in loaded:
                progress.for_target(name)("nothing applied: objects are declared by two targets (see findings)")
            loaded.clear()
        revisions = {name: _revision(args.revision, spec, progress.for_target(name))
                     for name, (spec, _) in loaded.items()}

        order = _Order(cfg, [spec.name for spec in specs], set(loaded))

        def one(name: str) -> None:
            spec, items = loaded[name]
            say = progress.for_target(name)
            failed = order.wait(name, say)
            if failed:
                why = f"dependency {', '.join(failed)} failed"
                say(f"skipped: {why}")
                cluster.report_changes(reporter, result, [Change.of(i, SKIPPED, why, name) for i in items], lock)
                order.done(name, False)
                return
            started = time.perf_counter()
            try:
                outcome = apply_target(spec, items, replace(options, revision=revisions[name]), say)
            except BaseException:
                order.done(name, False)
                raise
            order.done(name, not outcome.failed and (outcome.healthy or not options.wait))
            cluster.report_findings(reporter, result, outcome.refused, lock, name)
            cluster.report_changes(reporter, result, outcome.changes, lock)
            cluster.report_findings(reporter, result, [
                Finding(rule="rollback", message=f"[{name}] {note}", severity=Severity.WARNING,
                        file=f"cluster:{name}") for note in outcome.notes], lock, name)
            if outcome.error:
                cluster.environment_error(reporter, result, name, outcome.error, lock)
            elif outcome.refused:
                say(f"refused {plural(len(outcome.refused), 'object')}: nothing applied")
            else:
                state = "healthy" if outcome.healthy else "failed" if outcome.failed else "applied"
                say(f"{state}: {summary(outcome.changes)} in {time.perf_counter() - started:.1f}s"
                    + (f" (revision {revisions[name][:12]})" if revisions[name] else ""))

        with ThreadPoolExecutor(max_workers=max(1, len(loaded))) as pool:
            list(pool.map(one, list(loaded)))
        reporter.close(result)
    return result.exit_code


class _Order:
    """``dependsOn`` at run time: a target starts once the targets it depends on (among those
    applied in this run) are done, and only when they applied healthy."""

    def __init__(self, cfg: configuration.Config, selected: list[str], runnable: set[str]) -> None:
        declared = {t.name: t.depends_on for t in cfg.targets}
        self.needs = dependencies.within(declared, selected)
        self.outside = {name: [d for d in declared.get(name, ()) if d not in selected] for name in selected}
        self.finished = {name: threading.Event() for name in selected}
        self.ok: dict[str, bool] = {}
        for name in set(selected) - runnable:  # did not render or validate, or declared an object twice
            self.done(name, False)

    def wait(self, name: str, say: Any) -> list[str]:
        """Block until ``name``'s dependencies are done; the ones that failed."""
        if self.outside.get(name):
            say(f"depends on {', '.join(self.outside[name])}, not applied in this run: not waited for")
        if self.needs[name]:
            say(f"waiting for {', '.join(self.needs[name])} (dependsOn)")
        for dep in self.needs[name]:
            self.finished[dep].wait()
        return [dep for dep in self.needs[name] if not self.ok.get(dep)]

    def done(self, name: str, ok: bool) -> None:
        self.ok[name] = ok
        self.finished[name].set()


def _revision(explicit: str | None, spec: Any, say: Any) -> str:
    """What the inventory records for this target: the HEAD of the repository holding its paths -
    ``<sha>-dirty``, with a warning, when they differ from it; ``--revision`` as given unless it
    names that HEAD (CI passes its commit: changes on top of it are still not that commit)."""
    from kubepush.gitops import revisions

    found = revisions.of_paths(spec.paths)
    if explicit and not (found.sha and found.sha.startswith(explicit)):
        return explicit
    if found.dirty:
        say(found.warning())
    return found.recorded


def _load_revision(spec: Any, revision: str) -> list[Any]:
    """The target's objects at ``revision``, rendered from a temporary git worktree and named by
    their paths in the repository (not the worktree's)."""
    from kubepush.gitops import revisions

    with revisions.worktree(revision, spec.paths) as tree:
        items, broken, _ = load_items([tree.there(p) for p in spec.paths], spec.decryption)
        for item in items:
            item.file = tree.here(item.file)
        if broken:
            raise UsageError(f"the manifests at {revision} do not load: {tree.here(broken[0].file)}: "
                             f"{broken[0].message}")
    return items
