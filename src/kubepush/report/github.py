"""GitHub Actions workflow commands: each finding becomes an annotation on the file.

``::error file=F,line=L,col=C,title=T::message`` lines are turned into
annotations by the runner as they are printed, so they stream. The runner splits
the command at the first ``::`` and the properties at ``,``, then unescapes; so,
as actions/toolkit does, the message escapes ``%``, CR and LF, and property
values additionally ``:`` and ``,``. ``%`` goes first, or the escapes themselves
would be escaped. Escaping newlines also means no manifest text can start a line
of its own and inject a workflow command.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kubepush.model import NOTEWORTHY, Finding, Result, Severity
from kubepush.report.base import Reporter, printable
from kubepush.report.text import summary_line

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message (after ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, str], message: str) -> str:
    """One workflow command line; empty properties are left out."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items() if value)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


class GitHubReporter(Reporter):
    """Prints one annotation per finding immediately and a plain summary line at close.

    A cluster action's objects that are as Git says (in sync, unchanged) get no annotation:
    GitHub shows only so many per step, and the drift or the change among a hundred notices is
    the one nobody would see. The summary line counts them instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._quiet: Counter[str] = Counter()

    def write(self, finding: Finding) -> None:
        if finding.severity is Severity.INFO and finding.action and finding.action not in NOTEWORTHY:
            self._quiet[finding.action] += 1
            return
        message = finding.message
        obj = finding.object
        if obj.kind or obj.name:
            message += f"\nobject {obj}" + (f" at {finding.json_path}" if finding.path else "")
        if finding.hint:
            message += f"\nhint: {finding.hint}"
        properties = {
            "file": self.relpath(finding.file),
            "line": str(finding.line) if finding.line > 0 else "",
            "col": str(finding.column) if finding.line > 0 and finding.column > 0 else "",
            "title": f"kubepush {finding.rule}" if finding.rule else "kubepush",
        }
        self.stream.write(command(COMMANDS[finding.severity], properties, printable(message)) + "\n")
        self.stream.flush()

    def close(self, result: Result) -> None:
        rest = ", ".join(f"{n} {action}" for action, n in sorted(self._quiet.items()))
        self.stream.write(summary_line(result) + (f" ({rest}, not annotated)" if rest else "") + "\n")
        self.stream.flush()
