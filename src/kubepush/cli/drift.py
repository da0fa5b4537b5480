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
from kubepush.model import Result, Severity, summary

EXIT_HELP = ("exit codes: 0 in sync (or drift with --no-fail-on-drift), 1 drift, missing or extra objects, "
             "2 usage or environment error (bad kubeconfig, failed authentication, unreachable cluster)")


DIFF_EXIT_HELP = ("exit codes: 0 the plan was made (whatever it changes), 1 objects that cannot be applied as they "
                  "are, or changes with --fail-on-drift, 2 usage or environment error (bad kubeconfig, failed "
                  "authentication, unreachable cluster)")
#: --fail-on-drift / --no-fail-on-drift: (drift's help, diff's help) by ``heal`` (drift has it, diff not)
_FAIL_HELP = {
    True: ("exit 1 when something drifted (default; drift.failOnDrift in kubepush.yaml)",
           "exit 0 even when something drifted (the report still lists it)"),
    False: ("exit 1 when an apply would change something (default: the preview only reports the plan)",
            "exit 0 whatever an apply would change (the default)"),
}


def add_arguments(parser: argparse.ArgumentParser, heal: bool = True) -> None:
    parser.epilog = EXIT_HELP if heal else DIFF_EXIT_HELP
    flags.add_cluster(parser)
    if heal:
        parser.add_argument("--heal", action="store_true",
                            help="re-apply drifted and missing objects (exit 0 when all healed)")
    fail, no_fail = _FAIL_HELP[heal]
    parser.add_argument("--fail-on-drift", dest="fail_on_drift", action="store_true", default=None, help=fail)
    parser.add_argument("--no-fail-on-drift", dest="fail_on_drift", action="store_false", help=no_fail)
    flags.add_ignore_manager(parser)
    flags.add_reports(parser)


def run(args: argparse.Namespace, preview: bool = False) -> int:
    from kubepush.cluster import shared
    from kubepush.cluster.drift import DriftOptions, check_target
    from kubepush.cluster.items import load_items

    cfg = configuration.load(args.config)
    specs = cluster.targets(args, cfg)
    options = DriftOptions(ignore=settings.ignore_rules(args, cfg), heal=getattr(args, "heal", False),
                           preview=preview, concurrency=settings.concurrency(args, cfg),
                           request_timeout=args.request_timeout)
    severities = _severities(preview, settings.fail_on_drift(args, cfg, preview))
    command = "diff" if preview else "drift"
    progress = cluster.Progress(args, command)
    lock = threading.Lock()
    result = Result(command=command)
    with output.open_output(args) as reporter:
        loaded = {}
        inputs = []
        for spec in specs:
            items, broken, _ = load_items(spec.paths, spec.decryption)
            inputs += items + broken
            if broken:  # a finding about Git (exit 1); the other targets are still compared
                cluster.report_findings(reporter, result, broken, lock, spec.name)
                progress.for_target(spec.name)(f"{cluster.describe_invalid(broken)}: not compared")
                continue
            loaded[spec.name] = (spec, items)
        cluster.count_inputs(args, result, specs, inputs)
        cluster.report_findings(reporter, result, shared.declared_twice(list(loaded.values()), specs[0].shared), lock)

        def one(name: str) -> None:
            spec, items = loaded[name]
            started = time.perf_counter()
            outcome = check_target(spec, items, options, progress.for_target(name))
            cluster.report_findings(reporter, result, outcome.refused, lock, name)
            cluster.report_changes(reporter, result, outcome.changes, lock, severities)
            if outcome.error:
                cluster.environment_error(reporter, result, name, outcome.error, lock)
            else:
                progress.for_target(name)(f"{summary(outcome.changes)} in {time.perf_counter() - started:.1f}s")

        with ThreadPoolExecutor(max_workers=max(1, len(loaded))) as pool:
            list(pool.map(one, list(loaded)))
        reporter.close(result)
    return result.exit_code


def _severities(preview: bool, fail: bool) -> dict[str, Severity]:
    """drift: drift is an error, a warning with ``--no-fail-on-drift``. diff: a planned change is a
    change (info) and an object an apply leaves behind a warning, both errors with ``--fail-on-drift``."""
    if not preview:
        return {} if fail else dict.fromkeys(model.DRIFT, Severity.WARNING)
    if fail:
        return dict.fromkeys(model.PLAN | {model.EXTRA}, Severity.ERROR)
    return {**dict.fromkeys(model.PLAN, Severity.INFO), model.EXTRA: Severity.WARNING}
