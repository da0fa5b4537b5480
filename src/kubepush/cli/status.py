"""``kubepush status``: what runs where - per target the revision applied, when and by whom, the
last healthy revision, health now, in sync or drifted, and the last applies. Read-only.

Exit codes: 0 every target healthy, in sync, and its last apply went through; 1 a target is
degraded, progressing, missing, drifted, its last apply failed or was cut off, or its manifests
do not render; 2 usage or environment (bad kubeconfig, failed authentication, unreachable cluster).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kubepush import config as configuration
from kubepush.cli import cluster, flags, settings
from kubepush.errors import UsageError

EXIT_HELP = ("exit codes: 0 all healthy and in sync (last apply went through), 1 degraded, progressing, "
             "drifted, or the last apply failed, 2 usage or environment error (unreachable cluster)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_HELP
    flags.add_cluster(parser)
    parser.add_argument("--deep", action="store_true",
                        help="confirm objects the cheap check cannot clear with a server-side dry run each "
                             "(what drift does; default: the managedFields pre-check only)")
    parser.add_argument("--history", type=int, default=5, metavar="N",
                        help="show the last N applies per target (default 5; 0: none)")
    flags.add_ignore_manager(parser)
    group = parser.add_argument_group("reports")
    group.add_argument("-o", "--output", default="text", metavar="FORMAT", help="text (default), json, markdown")
    group.add_argument("--report", action="append", default=[], metavar="FORMAT=PATH",
                       help="also write the status to a file, e.g. json=status.json (repeatable)")
    group.add_argument("--summary-md", metavar="PATH",
                       help="write the Markdown table, e.g. for a step summary (the same as --report markdown=PATH)")


def run(args: argparse.Namespace) -> int:
    from kubepush.cluster.items import load_items
    from kubepush.cluster.status import StatusOptions, exit_code, target_status
    from kubepush.report.multi import ReportFile
    from kubepush.report.status import StatusReport, check_format, render

    stdout = check_format(args.output)
    files = [_report_spec(spec, check_format) for spec in args.report]
    if args.summary_md:
        files.append(("markdown", args.summary_md))
    if args.history < 0:
        raise UsageError("--history must be 0 or more")
    cfg = configuration.load(args.config)
    specs = cluster.targets(args, cfg)
    options = StatusOptions(ignore=settings.ignore_rules(args, cfg), deep=args.deep,
                            concurrency=settings.concurrency(args, cfg), request_timeout=args.request_timeout)
    progress = cluster.Progress(args, "status")

    def one(spec: Any) -> Any:
        items, broken, _ = load_items(spec.paths)
        found = target_status(spec, None if broken else items, options, progress.for_target(spec.name))
        if broken:
            found.problems.append(f"{cluster.describe_invalid(broken)}: Git not compared "
                                  f"({broken[0].file}:{broken[0].line}: {broken[0].message.splitlines()[0]})")
        found.git_revision = _git_revision(spec.paths)
        if found.error:
            sys.stderr.write(f"kubepush status: error: [{spec.name}] {found.error}\n")
        return found

    with contextlib.ExitStack() as stack:
        # unwritable paths fail before any request; a run that fails leaves no half-written file
        opened = [(fmt, stack.enter_context(ReportFile(path))) for fmt, path in files]
        with ThreadPoolExecutor(max_workers=max(1, len(specs))) as pool:
            statuses = list(pool.map(one, specs))
        report = StatusReport(statuses, history=args.history)
        sys.stdout.write(render(stdout, report))
        for fmt, handle in opened:
            handle.stream.write(render(fmt, report))
    return exit_code(statuses)


def _report_spec(spec: str, check: Any) -> tuple[str, str]:
    name, sep, path = spec.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise UsageError(f"bad --report {spec!r}: expected FORMAT=PATH, for example json=status.json")
    return check(name), path


def _git_revision(paths: list[str]) -> str:
    """The revision Git holds for the target's paths now (``""`` outside a checkout)."""
    from kubepush.gitops import revisions

    try:
        return revisions.of_paths(paths).recorded
    except UsageError:
        return ""

