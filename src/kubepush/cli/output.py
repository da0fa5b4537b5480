"""The reports of one run (from the flags of :func:`kubepush.cli.flags.add_reports`) and the stderr log.

The stdout report is coloured only on a terminal without ``NO_COLOR``; file
reports are written atomically by :mod:`kubepush.report.multi`.
"""

from __future__ import annotations

import argparse
import os
import sys

from kubepush.model import Finding, ObjectRef, Result, Severity
from kubepush.report import check_format, make_reporter
from kubepush.report.base import Reporter
from kubepush.report.multi import MultiReporter, open_reports

#: Where CI systems check the repository out; report paths are made relative to it,
#: which code scanning, annotations and merge-request widgets need to attach findings.
_WORKSPACE_VARIABLES = ("GITHUB_WORKSPACE", "CI_PROJECT_DIR", "WORKSPACE")


def repository_root() -> str:
    """The CI workspace when running in CI, else the current directory."""
    return next((os.environ[v] for v in _WORKSPACE_VARIABLES if os.environ.get(v)), os.getcwd())


class Quiet(Reporter):
    """``-q``: the stdout report shows errors only; ``-qq``: nothing (exit code and files only).

    Files named with ``--report`` always get everything: quiet is about the log.
    """

    def __init__(self, inner: Reporter, level: int) -> None:  # noqa: D107 - no stream of its own
        self.inner = inner
        self.level = level

    def write(self, finding: Finding) -> None:
        if self.level < 2 and finding.severity is Severity.ERROR:
            self.inner.write(finding)

    def document_done(self, file: str, document: int, obj: ObjectRef, ok: bool) -> None:
        if self.level < 2:
            self.inner.document_done(file, document, obj, ok)

    def close(self, result: Result) -> None:
        if self.level < 2:
            self.inner.close(result)


def open_output(args: argparse.Namespace, root: str | None = None) -> MultiReporter:
    """All reporters of one run; raises UsageError for bad formats or unwritable paths."""
    root = repository_root() if root is None else root
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    stdout = make_reporter(check_format(args.output), sys.stdout, color=color, root=root)
    if args.quiet:
        stdout = Quiet(stdout, args.quiet)
    specs = list(args.report)
    if args.summary_md:
        specs.append(f"markdown={args.summary_md}")
    return open_reports(specs, stdout=stdout, root=root, command=getattr(args, "command", "") or "")


def log(args: argparse.Namespace, level: int, message: str) -> None:
    """Progress and timing on stderr, shown from ``-v`` (level 1) or ``-vv`` (level 2) on."""
    if args.verbose >= level:
        sys.stderr.write(f"kubepush: {message}\n")
        sys.stderr.flush()
