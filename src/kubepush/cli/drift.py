"""``kubepush drift``: is each cluster what Git says? Per object: in sync, drifted (a YAML diff
and who changed each field, from managedFields), missing, or extra (with an inventory).
``--heal`` re-applies what drifted. ``kubepush diff`` is the same comparison as a PR preview."""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from kubepush import config as configuration
from kubepush import model
from kubepush.cli import cluster, flags, output, settings
from kubepush.cluster import shared
from kubepush.cluster.items import load_items
from kubepush.model import Result, summary

EXIT_HELP = ("exit codes: 0 in sync (or drift with --no-fail-on-drift), 1 drift, missing or extra objects, "
             "2 usage or environment error (bad kubeconfig, failed authentication, unreachable cluster)")


def add_arguments(parser: argparse.ArgumentParser, heal: bool = True) -> None:
    parser.epilog = EXIT_HELP
    flags.add_cluster(parser)
    if heal:
        parser.add_argument("--heal", action="store_true",
                            help="re-apply drifted and missing objects (exit 0 when all healed)")
    parser.add_argument("--fail-on-drift", dest="fail_on_drift", action="store_true", default=None,
                        help="exit 1 when something drifted (default; drift.failOnDrift in kubepush.yaml)")
    parser.add_argument("--no-fail-on-drift", dest="fail_on_drift", action="store_false",
                        help="exit 0 even when something drifted (the report still lists it)")
    flags.add_ignore_manager(parser)
    flags.add_reports(parser)


def run(args: argparse.Namespace, preview: bool = False) -> int:
    from kubepush.cluster.drift import DriftOptions, check_target

    cfg = configuration.load(args.config)
    specs = cluster.targets(args, cfg)
    options = DriftOptions(ignore=settings.ignore_rules(args, cfg), heal=getattr(args, "heal", False),
                           preview=preview, concurrency=settings.concurrency(args, cfg),
                           request_timeout=args.request_timeout)
    warn_rules = frozenset() if settings.fail_on_drift(args, cfg) else model.DRIFT
    command = "diff" if preview else "drift"
    progress = cluster.Progress(args, command)
    lock = threading.Lock()
    result = Result(command=command)
    with output.open_output(args) as reporter:
        loaded = {}
        for spec in specs:
            items, broken, files = load_items(spec.paths, spec.decryption)
            result.files += files
            if broken:  # a finding about Git (exit 1); the other targets are still compared
                cluster.report_findings(reporter, result, broken, lock)
                progress.for_target(spec.name)(f"{cluster.describe_invalid(broken)}: not compared")
                continue
            loaded[spec.name] = (spec, items)
        cluster.report_findings(reporter, result, shared.declared_twice(list(loaded.values()), specs[0].shared), lock)

        def one(name: str) -> None:
            spec, items = loaded[name]
            started = time.perf_counter()
            outcome = check_target(spec, items, options, progress.for_target(name))
            cluster.report_findings(reporter, result, outcome.refused, lock)
            cluster.report_changes(reporter, result, outcome.changes, lock, warn_rules)
            if outcome.error:
                cluster.environment_error(reporter, result, name, outcome.error, lock)
            else:
                progress.for_target(name)(f"{summary(outcome.changes)} in {time.perf_counter() - started:.1f}s")

        with ThreadPoolExecutor(max_workers=max(1, len(loaded))) as pool:
            list(pool.map(one, list(loaded)))
        reporter.close(result)
    return result.exit_code
