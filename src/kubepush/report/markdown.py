"""A Markdown summary for ``$GITHUB_STEP_SUMMARY`` or a merge-request comment.

A heading with the verdict, a counts table and a table of findings, errors
first, capped at ``max_rows`` with "and N more" so a broken repository does not
produce a comment larger than the forge accepts. Only ``max_rows`` findings per
severity are kept, never all of them.

A cluster action's objects that are as Git says (in sync, unchanged) are counted, not
listed; each object with a diff (diff's plan, drift) gets it as a fenced ``diff`` block
inside a ``<details>`` element after the table - a table cell cannot hold a diff, and
forges render the block with its colours.

Every cell is escaped: message text comes from manifests, and a ``|`` must not
split the table, nor ``<``, ``*`` or ``[`` turn into HTML, emphasis or links in
a comment people trust.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Any, TextIO

from kubepush.model import NOTEWORTHY, PLAN_SIGNS, Finding, Result, Severity, plural, tally
from kubepush.report.base import Reporter, location, printable

_ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}
_PUNCTUATION = re.compile(r"([\\`*_\[\]{}#|~!$])")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_BACKTICKS = re.compile(r"`+")


def cell(text: str) -> str:
    """``text`` safe inside one table cell: literal, one line, no pipes that split it."""
    text = _PUNCTUATION.sub(r"\\\1", printable(text).strip())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _NEWLINES.sub("<br>", text)


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def fenced(text: str, info: str = "") -> str:
    """``text`` as a fenced code block no line of it can close (the fence outgrows its backticks)."""
    fence = "`" * max(3, 1 + max((len(m) for m in _BACKTICKS.findall(text)), default=0))
    return f"{fence}{info}\n{printable(text)}\n{fence}"


def details(summary: str, body: list[str]) -> list[str]:
    """A folded section: ``summary`` as literal text, ``body`` Markdown (blank lines keep it Markdown)."""
    return [f"<details><summary>{html.escape(printable(summary))}</summary>", "", *body, "", "</details>", ""]


class MarkdownReporter(Reporter):
    """Keeps at most ``max_rows`` findings per severity and writes the summary at close."""

    def __init__(self, stream: TextIO, *, max_rows: int = 50, **kwargs: Any) -> None:
        super().__init__(stream, **kwargs)
        self.max_rows = max(0, max_rows)
        self._kept: dict[Severity, list[Finding]] = {s: [] for s in Severity}
        self._total = 0
        self._actions: Counter[str] = Counter()

    def write(self, finding: Finding) -> None:
        if finding.action:
            self._actions[finding.action] += 1
            if finding.severity is Severity.INFO and finding.action not in NOTEWORTHY:
                return  # as Git says: counted above, not a row
        self._total += 1
        kept = self._kept[finding.severity]
        if len(kept) < self.max_rows:
            kept.append(finding)

    def close(self, result: Result) -> None:
        ok = result.exit_code == 0
        verdict = "passed" if ok else "failed"
        counts = [("Resources", result.documents), ("Files", result.files)]
        counts += [("Targets", result.targets)] if result.targets else []
        counts += [("Errors", result.errors), ("Warnings", result.warnings)]
        out = [
            f"## {'✅' if ok else '❌'} kubepush {cell(result.command)} {verdict}",
            "",
            row([name for name, _ in counts]),
            row(["---:"] * len(counts)),
            row([str(n) for _, n in counts]),
        ]
        after: list[str] = []
        if result.previews:  # diff --rendered: the problems in the table, then the plan per target
            from kubepush.report.plan_markdown import plan

            after = ["", *plan(result.previews, self.relpath, cell)]
            self._kept[Severity.INFO] = []
            self._total = result.errors + result.warnings
        if self._actions:
            out += ["", f"Objects: {cell(tally(self._actions.elements()))}."]
        shown = [f for severity in Severity for f in self._kept[severity]][: self.max_rows]
        if shown:
            out += ["", row(["", "Location", "Object", "Rule", "Message"]), row(["---"] * 5)]
            for f in shown:
                obj = f.object
                who = str(obj) if obj.kind or obj.name else ""
                if f.path:
                    who += f" at {f.json_path}" if who else f.json_path
                # a change's further lines (its fields) go with its diff below, never into the cell
                message = f.message.split("\n", 1)[0] if f.action else f.message
                message += f"\nhint: {f.hint}" if f.hint else ""
                where = location(self.relpath(f.file), f.line, f.column)
                icon = PLAN_SIGNS.get(f.action, "") if f.severity is Severity.INFO and f.action else _ICONS[f.severity]
                out.append(row([cell(icon), cell(where), cell(who), cell(f.rule), cell(message)]))
            out += self._diffs(shown)
        if self._total > len(shown):
            out += ["", f"… and {plural(self._total - len(shown), 'more finding')} not shown."]
        elif not shown and not after:
            out += ["", f"No findings in {plural(result.documents, 'resource')}."]
        self.stream.write("\n".join(out + after).rstrip("\n") + "\n")
        self.stream.flush()

    def _diffs(self, shown: list[Finding]) -> list[str]:
        """One folded diff per object that has one, titled like its plan line."""
        out: list[str] = []
        for f in shown:
            if not f.diff:
                continue
            title = f.message.split("\n", 1)[0]
            where = location(self.relpath(f.file), f.line, f.column)
            fields = [f"- {cell(line)}" for line in f.message.split("\n")[1:] if line.strip()]
            out += details(f"{title} ({where})" if where else title,
                           [*fields, *([""] if fields else []), fenced(f.diff, "diff")])
        return ["", *out] if out else []
