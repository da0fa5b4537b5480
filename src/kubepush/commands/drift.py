"""``kubepush drift``: is each cluster what Git says? Per object: in sync, drifted (a YAML diff
and who changed each field, from managedFields), missing, or extra (with an inventory).
``--heal`` re-applies what drifted. ``kubepush diff`` is the same comparison as a PR preview."""

from __future__ import annotations

import argparse
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from kubepush import config as configuration
from kubepush.cluster import cli, shared
from kubepush.model import summary
from kubepush.commands import output
from kubepush.model import Result

EXIT_HELP = ("exit codes: 0 in sync (or drift with --no-fail-on-drift), 1 drift, missing or extra objects, "
             "2 usage or environment error (bad kubeconfig, failed authentication, unreachable cluster)")


def add_arguments(parser: argparse.ArgumentParser, heal: bool = True) -> None:
    parser.epilog = EXIT_HELP
    cli.add_arguments(parser)
    if heal:
        parser.add_argument("--heal", action="store_true",
                            help="re-apply drifted and missing objects (exit 0 when all healed)")
    parser.add_argument("--fail-on-drift", dest="fail_on_drift", action="store_true", default=None,
                        help="exit 1 when something drifted (default; drift.failOnDrift in kubepush.yaml)")
    parser.add_argument("--no-fail-on-drift", dest="fail_on_drift", action="store_false",
                        help="exit 0 even when something drifted (the report still lists it)")
    cli.add_ignore_argument(parser)
    output.add_arguments(parser)


def run(args: argparse.Namespace, preview: bool = False) -> int:
    from kubepush.cluster.drift import DriftOptions, check_target

    cfg = configuration.load(args.config)
    settings = cfg.section("drift")
    specs = cli.targets(args, cfg)
    options = DriftOptions(ignore=cli.ignore_rules(args, cfg), heal=getattr(args, "heal", False), preview=preview,
                           concurrency=args.concurrency or int(cfg.section("apply").get("concurrency", 16)),
                           request_timeout=args.request_timeout)
    fail_on_drift = args.fail_on_drift if args.fail_on_drift is not None else settings.get("failOnDrift", True)
    warn_rules = frozenset() if fail_on_drift else frozenset({"drift", "missing", "extra"})
    command = "diff" if preview else "drift"
    progress = cli.Progress(args, command)
    lock = threading.Lock()
    result = Result(command=command)
    with output.open_output(args) as reporter:
        loaded = {}
        for spec in specs:
            items, broken, files = cli.load_items(spec.paths)
            result.files += files
            if broken:  # a finding about Git (exit 1); the other targets are still compared
                cli.report_findings(reporter, result, broken, lock)
                progress.for_target(spec.name)(f"{cli.describe_invalid(broken)}: not compared")
                continue
            loaded[spec.name] = (spec, items)
        cli.report_findings(reporter, result, shared.declared_twice(list(loaded.values()), specs[0].shared), lock)

        def one(name: str) -> None:
            spec, items = loaded[name]
            started = time.perf_counter()
            outcome = check_target(spec, items, options, progress.for_target(name))
            cli.report_findings(reporter, result, outcome.refused, lock)
            cli.report_changes(reporter, result, outcome.changes, lock, warn_rules)
            if outcome.error:
                cli.environment_error(reporter, result, name, outcome.error, lock)
            else:
                progress.for_target(name)(f"{summary(outcome.changes)} in {time.perf_counter() - started:.1f}s")

        with ThreadPoolExecutor(max_workers=max(1, len(loaded))) as pool:
            list(pool.map(one, list(loaded)))
        reporter.close(result)
    return result.exit_code
