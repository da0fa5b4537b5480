"""Human-readable text, the default: compiler-style lines that editors and CI logs link.

Each finding is printed the moment it arrives::

    deploy/web.yaml:12:7: error: replicas must be an integer [schema]
      object Deployment/prod/web at spec.replicas
      hint: write 3, not "3"

Findings of one file arrive together, so a blank line between files is all the
grouping needed and nothing is held back. Continuation lines of multi-line
messages are indented, so no line a manifest controls can start at column 0
(where CI systems look for their own commands).
"""

from __future__ import annotations

from kubepush.model import PLAN, Finding, Result, Severity, plural
from kubepush.report.base import Reporter, location, printable

_RESET = "\033[0m"
_BOLD = "\033[1m"
_DIM = "\033[2m"
_SEVERITY_STYLE = {Severity.ERROR: "\033[1;31m", Severity.WARNING: "\033[1;33m", Severity.INFO: "\033[1;36m"}
_OK_STYLE = "\033[1;32m"
_DIFF_STYLE = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}


def summary_line(result: Result) -> str:
    """``N resources in M files[, T targets]: X errors, Y warnings`` - shared with other human formats."""
    targets = f", {plural(result.targets, 'target')}" if result.targets else ""
    return (
        f"{plural(result.documents, 'resource')} in {plural(result.files, 'file')}{targets}: "
        f"{plural(result.errors, 'error')}, {plural(result.warnings, 'warning')}"
    )


def _indent(text: str, prefix: str) -> str:
    """Indent every line after the first (the first already follows a label)."""
    return printable(text).replace("\n", "\n" + prefix)


class TextReporter(Reporter):
    """Prints each finding immediately and a one-line summary at the end."""

    _last_file: str | None = None

    def _style(self, text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if self.color and text else text

    def write(self, finding: Finding) -> None:
        file = printable(self.relpath(finding.file))
        if self._last_file is not None and file != self._last_file:
            self.stream.write("\n")
        self._last_file = file
        where = location(file, finding.line, finding.column)
        head = self._style(f"{where}:", _BOLD) + " " if where else ""
        # a planned change (diff) is not a problem: its sign and action are the label, the object is in it
        planned = finding.action in PLAN
        label = "" if planned and finding.severity is Severity.INFO else self._style(
            f"{finding.severity.value}:", _SEVERITY_STYLE[finding.severity]) + " "
        rule = " " + self._style(f"[{finding.rule}]", _DIM) if finding.rule and not finding.action else ""
        first, _, rest = printable(finding.message).partition("\n")
        lines = [f"{head}{label}{first}{rule}".rstrip()]  # the tag ends the first line, never a diff's last
        if rest:
            lines.append("    " + rest.replace("\n", "\n    "))
        obj = finding.object
        if not planned and (obj.kind or obj.name or finding.path):
            at = f" at {finding.json_path}" if finding.path else ""
            lines.append(self._style(_indent(f"  object {obj}{at}", "    "), _DIM))
        if finding.hint:
            lines.append(f"  hint: {_indent(finding.hint, '        ')}")
        if finding.diff:
            lines += ["      " + self._diff_line(line) for line in printable(finding.diff).split("\n")]
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()

    def _diff_line(self, line: str) -> str:
        style = _DIFF_STYLE.get(line[:1], "") if not line.startswith(("---", "+++")) else _BOLD
        return self._style(line, style) if style else line

    def close(self, result: Result) -> None:
        if self._last_file is not None:
            self.stream.write("\n")
        style = _SEVERITY_STYLE[Severity.ERROR] if result.errors else _OK_STYLE
        self.stream.write(self._style(summary_line(result), style) + "\n")
        self.stream.flush()
