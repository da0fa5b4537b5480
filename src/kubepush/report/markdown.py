"""A Markdown summary for ``$GITHUB_STEP_SUMMARY`` or a merge-request comment.

A heading with the verdict, a counts table and a table of findings, errors
first, capped at ``max_rows`` with "and N more" so a broken repository does not
produce a comment larger than the forge accepts. Only ``max_rows`` findings per
severity are kept, never all of them.

Every cell is escaped: message text comes from manifests, and a ``|`` must not
split the table, nor ``<``, ``*`` or ``[`` turn into HTML, emphasis or links in
a comment people trust.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

from kubepush.model import Finding, Result, Severity
from kubepush.report.base import Reporter, location, printable
from kubepush.report.text import plural

_ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}
_PUNCTUATION = re.compile(r"([\\`*_\[\]{}#|~!$])")
_NEWLINES = re.compile(r"\r\n|\r|\n")


def cell(text: str) -> str:
    """``text`` safe inside one table cell: literal, one line, no pipes that split it."""
    text = _PUNCTUATION.sub(r"\\\1", printable(text).strip())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _NEWLINES.sub("<br>", text)


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


class MarkdownReporter(Reporter):
    """Keeps at most ``max_rows`` findings per severity and writes the summary at close."""

    def __init__(self, stream: TextIO, *, max_rows: int = 50, **kwargs: Any) -> None:
        super().__init__(stream, **kwargs)
        self.max_rows = max(0, max_rows)
        self._kept: dict[Severity, list[Finding]] = {s: [] for s in Severity}
        self._total = 0

    def write(self, finding: Finding) -> None:
        self._total += 1
        kept = self._kept[finding.severity]
        if len(kept) < self.max_rows:
            kept.append(finding)

    def close(self, result: Result) -> None:
        ok = result.errors == 0
        verdict = "passed" if ok else "failed"
        out = [
            f"## {'✅' if ok else '❌'} kubepush {cell(result.command)} {verdict}",
            "",
            row(["Resources", "Files", "Errors", "Warnings"]),
            row(["---:"] * 4),
            row([str(result.documents), str(result.files), str(result.errors), str(result.warnings)]),
        ]
        after: list[str] = []
        if result.previews:  # diff --rendered: the problems in the table, then the plan per target
            from kubepush.report.plan_markdown import plan

            after = ["", *plan(result.previews, self.relpath, cell)]
            self._kept[Severity.INFO] = []
            self._total = result.errors + result.warnings
        shown = [f for severity in Severity for f in self._kept[severity]][: self.max_rows]
        if shown:
            out += ["", row(["", "Location", "Object", "Rule", "Message"]), row(["---"] * 5)]
            for f in shown:
                obj = f.object
                who = str(obj) if obj.kind or obj.name else ""
                if f.path:
                    who += f" at {f.json_path}" if who else f.json_path
                message = f.message + (f"\nhint: {f.hint}" if f.hint else "")
                where = location(self.relpath(f.file), f.line, f.column)
                out.append(row([_ICONS[f.severity], cell(where), cell(who), cell(f.rule), cell(message)]))
        if self._total > len(shown):
            out += ["", f"… and {plural(self._total - len(shown), 'more finding')} not shown."]
        elif not shown and not after:
            out += ["", f"No findings in {plural(result.documents, 'resource')}."]
        self.stream.write("\n".join(out + after) + "\n")
        self.stream.flush()
