"""Several reports from one run: ``--output`` on stdout plus ``--report FORMAT=PATH`` files.

Report files are written to a temporary file beside the target and renamed into
place only when the report is complete, so a crash, a ``KeyboardInterrupt`` or a
failing reporter never leaves a half-written report for CI to upload (a
truncated SARIF or JUnit file is worse than none: it fails the upload step and
hides the real error). Use :class:`MultiReporter` as a context manager: leaving
it with an exception, or without ``close``, discards the unfinished files - except
a :class:`UsageError` (a usage or environment error, exit code 2): then every report
is finished with what was found so far plus that error as a finding, so CI shows
what happened instead of an empty or missing report.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, TextIO, cast

from kubepush.atomic import AtomicFile
from kubepush.errors import UsageError
from kubepush.model import Finding, ObjectRef, Result
from kubepush.report import check_format, make_reporter
from kubepush.report.base import Reporter

#: rule of the finding that reports a usage or environment error ending the run
ENVIRONMENT_ERROR = "environment-error"


def parse_report_spec(spec: str) -> tuple[str, str]:
    """``"sarif=out.sarif"`` -> ``("sarif", "out.sarif")``; :class:`UsageError` if malformed."""
    name, sep, path = spec.partition("=")
    if not sep or not name.strip() or not path.strip():
        raise UsageError(
            f"bad --report {spec!r}: expected FORMAT=PATH, for example sarif=kubepush.sarif"
        )
    try:
        return check_format(name), path
    except UsageError as exc:
        raise UsageError(f"bad --report {spec!r}: {exc}") from None


class ReportFile(AtomicFile):
    """A report file (:class:`kubepush.atomic.AtomicFile`) whose failures are usage errors naming it."""

    def __init__(self, path: str) -> None:
        if os.path.isdir(path):
            raise UsageError(f"cannot write report {path}: it is a directory; name a file")
        try:
            super().__init__(path)
        except OSError as exc:
            raise UsageError(f"cannot write report {path}: {exc.strerror or exc}") from None

    def commit(self) -> None:
        try:
            super().commit()
        except OSError as exc:
            raise UsageError(f"cannot write report {self.path}: {exc.strerror or exc}") from None


class MultiReporter(Reporter):
    """Fans every call out to several reporters; owns the files it was given.

    It has no stream of its own, so it does not call ``Reporter.__init__``.
    """

    def __init__(self, reporters: Sequence[Reporter], files: Sequence[ReportFile] = (),  # noqa: D107
                 command: str = "") -> None:
        self.reporters = list(reporters)
        self.files = list(files)
        self.command = command
        self._closed = False
        #: what went through, for the report of a run that ends on an environment error
        self._findings: list[Finding] = []
        self._documents = 0

    def write(self, finding: Finding) -> None:
        self._findings.append(finding)
        for reporter in self.reporters:
            reporter.write(finding)

    def document_done(self, file: str, document: int, obj: ObjectRef, ok: bool) -> None:
        self._documents += 1
        for reporter in self.reporters:
            reporter.document_done(file, document, obj, ok)

    def close(self, result: Result) -> None:
        """Close every reporter, then publish the files - all of them or, on error, none."""
        self._closed = True
        try:
            for reporter in self.reporters:
                reporter.close(result)
        except BaseException:
            self.abort()
            raise
        for i, file in enumerate(self.files):
            try:
                file.commit()
            except BaseException:
                for rest in self.files[i + 1 :]:
                    rest.abort()
                raise

    def abort(self) -> None:
        """Discard every unfinished report file."""
        self._closed = True
        for file in self.files:
            file.abort()

    def __enter__(self) -> MultiReporter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._closed:
            return
        if isinstance(exc, UsageError):
            error = Finding(rule=ENVIRONMENT_ERROR, message=str(exc))
            self.write(error)
            self.close(Result(command=self.command, findings=list(self._findings), documents=self._documents,
                              environment_error=True))
        else:
            self.abort()


def open_reports(
    specs: Iterable[str], *, stdout: Reporter | None = None, command: str = "", **kw: Any
) -> MultiReporter:
    """A :class:`MultiReporter` for ``--report FORMAT=PATH`` specs (plus ``stdout``'s reporter).

    All specs are checked and all files created before anything runs, so a typo
    or an unwritable directory is exit code 2 at once, not after a long run.
    ``kw`` (``color`` is forced off for files, ``root``) go to every file reporter;
    ``command`` names the run in the report of an environment error.
    """
    parsed = [parse_report_spec(spec) for spec in specs]
    seen: dict[str, str] = {}
    for name, path in parsed:
        key = os.path.abspath(path)
        if key in seen:
            raise UsageError(f"--report {name}={path}: {path} is already the target of {seen[key]}")
        seen[key] = f"--report {name}={path}"
    files: list[ReportFile] = []
    reporters: list[Reporter] = [stdout] if stdout else []
    try:
        for name, path in parsed:
            file = ReportFile(path)
            files.append(file)
            stream = cast(TextIO, file.stream)  # a ReportFile is opened in text mode
            reporters.append(make_reporter(name, stream, **{**kw, "color": False}))
    except BaseException:
        for file in files:
            file.abort()
        raise
    return MultiReporter(reporters, files, command)
