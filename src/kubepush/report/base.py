"""The one streaming interface every output format implements.

A command drives a reporter in three kinds of calls, in this order:

* :meth:`Reporter.write` for each :class:`Finding` as soon as it is known, so
  line-oriented formats (text, GitHub annotations, TAP) show progress in CI logs;
* :meth:`Reporter.document_done` once per resource after its findings, so formats
  with one entry per resource (JUnit test cases, TAP test points) can emit passing
  resources too - findings alone never mention them;
* :meth:`Reporter.close` once, with the final :class:`Result`, for summaries and
  closing brackets.

Findings that are never followed by a ``document_done`` for their file/document
(a file that could not be read or parsed) are still reported by every format.

Formats that need the whole set (SARIF, JSON, ...) may keep findings until
``close`` but never per-document state: memory must stay proportional to the
findings, not to the size of the repository.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import TextIO

from kubepush import lazy_re
from kubepush.model import Finding, ObjectRef, Result, Severity

#: Where users read about kubepush and its rules (SARIF ``informationUri``/``helpUri``).
PROJECT_URL = "https://github.com/kubepush/kubepush"
RULES_URL = PROJECT_URL + "/blob/main/docs/rules.md"

#: Sort rank so errors come before warnings before infos wherever order is ours to pick.
SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Reporter(ABC):
    """Renders findings to ``stream`` in one output format.

    ``color`` asks for ANSI colours (the caller decides: a TTY and no ``NO_COLOR``);
    formats that are not for terminals ignore it. ``root`` is the repository root:
    file paths under it are reported relative to it, which is what code scanning,
    annotations and merge-request widgets need to attach a finding to a file.
    """

    def __init__(self, stream: TextIO, *, color: bool = False, root: str = "") -> None:
        self.stream = stream
        self.color = color
        self.root = os.path.abspath(root) if root else ""
        self._relpaths: dict[str, str] = {}

    @abstractmethod
    def write(self, finding: Finding) -> None:
        """Take one finding as soon as it is known."""

    def document_done(self, file: str, document: int, obj: ObjectRef, ok: bool) -> None:  # noqa: B027 - optional hook
        """One resource is fully checked; ``ok`` is False when it has error findings.

        ``file`` and ``document`` are the same values the resource's findings carry.
        Formats without a per-resource entry ignore this.
        """

    @abstractmethod
    def close(self, result: Result) -> None:
        """Finish the report (summaries, closing brackets) and flush the stream."""

    def relpath(self, file: str) -> str:
        """``file`` relative to ``root`` with ``/`` separators when under it, else as given."""
        if not self.root or not file:
            return file
        cached = self._relpaths.get(file)
        if cached is None:
            absolute = os.path.abspath(file)
            if absolute == self.root or absolute.startswith(self.root.rstrip(os.sep) + os.sep):
                cached = os.path.relpath(absolute, self.root).replace(os.sep, "/")
            else:
                cached = file
            self._relpaths[file] = cached
        return cached


class BufferingReporter(Reporter):
    """For formats that can only be written whole: keeps the findings (never documents)."""

    def __init__(self, stream: TextIO, *, color: bool = False, root: str = "") -> None:
        super().__init__(stream, color=color, root=root)
        self.findings: list[Finding] = []

    def write(self, finding: Finding) -> None:
        self.findings.append(finding)

    def sorted_findings(self) -> list[Finding]:
        """Findings in a stable order (file, document, position, severity, rule, message),
        so two runs over the same input give identical reports whatever order
        concurrent checks finished in."""
        return sorted(
            self.findings,
            key=lambda f: (
                self.relpath(f.file),
                f.document,
                f.line,
                f.column,
                SEVERITY_RANK[f.severity],
                f.rule,
                f.message,
            ),
        )


_CONTROL = lazy_re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with CR/CRLF made LF and other control characters (but tab) as ``\\xNN``.

    Messages quote manifest content; an ANSI escape or a bare CR in a value must
    not repaint the reader's terminal or hide a line in a CI log.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def location(file: str, line: int, column: int) -> str:
    """``file:line:col`` the way compilers print it, leaving out unknown (0) parts."""
    out = file
    if line:
        out += f":{line}"
        if column:
            out += f":{column}"
    return out


def resource_name(obj: ObjectRef, document: int) -> str:
    """``Kind/ns/name (doc N)``: how per-resource formats name a test case or point."""
    return f"{obj} (doc {document})"


def orphan_name(findings: list[Finding], file: str, document: int) -> str:
    """Name for findings whose resource was never reported done (it could not be read):
    the object if the findings know it, else the file."""
    obj = findings[0].object
    if obj.kind or obj.name:
        return resource_name(obj, document)
    return f"{file or '<input>'} (doc {document})"


def fingerprint(finding: Finding, file: str) -> str:
    """A hash that survives unrelated edits, for alerts that stay the same across runs.

    It covers rule, file, object, JSON path and message but not the line, so adding
    lines above a finding does not turn it into a new alert. The object is named by
    kind/namespace/name rather than its document index for the same reason; only a
    document with no readable identity falls back to its index.
    """
    obj = finding.object
    who = f"{obj.api_version} {obj}" if obj.kind or obj.name else f"doc {finding.document}"
    key = "\0".join((finding.rule, file, who, finding.json_path, finding.message))
    import hashlib  # lazy: only the formats that fingerprint findings need it

    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
