"""The Markdown of a preview's plan: per target a folded section, each changed object's diff a
fenced ``diff`` block in its own ``<details>`` (never a table cell), for the step summary and the
sticky pull-request comment (``kubepush comment --section diff``), which cuts it to the forge's
limit and links the full report.

Object names and diffs come from manifests: text in Markdown is escaped like every Markdown cell
(:func:`kubepush.report.markdown.cell`), text in the ``<summary>`` HTML as HTML, and a diff's fence
is longer than any run of backticks in it, so no manifest text can close it and turn into
Markdown or HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from kubepush.model import COMPARED, PLAN_SIGNS, UNAFFECTED, TargetDiff
from kubepush.report.base import location

#: changed objects shown per target before "and N more" (the full list is in the other reports)
MAX_OBJECTS = 50
_TICKS = re.compile(r"`+")


def plan(previews: list[TargetDiff], relpath: Callable[[str], str], cell: Callable[[str], str]) -> list[str]:
    """The lines of the plan: a table of targets, then one folded section per target with changes."""
    actions = list(PLAN_SIGNS)
    out = ["| Target | " + " | ".join(f"{PLAN_SIGNS[a]} {a}" for a in actions) + " | unchanged |",
           "|---|" + "---:|" * (len(actions) + 1)]
    for t in previews:
        counts = t.counts()
        status = "" if t.status == COMPARED else f" ({cell(t.status)})"
        out.append(f"| {cell(t.target)}{status} | " + " | ".join(str(counts[a]) for a in actions)
                   + f" | {counts['unchanged']} |")
    for t in previews:
        if not t.objects and (not t.note or t.status == UNAFFECTED):
            continue
        out += ["", f"<details><summary><b>{escape(t.target)}</b>: {_summary(t)}</summary>", ""]
        if t.note:
            out += [cell(t.note), ""]
        for o in t.objects[:MAX_OBJECTS]:
            where = location(relpath(o.file), o.line, 0)
            out += [f"<details><summary><code>{escape(o.headline())}</code> {escape(where)}</summary>", ""]
            if o.note:
                out += [cell(o.note), ""]
            if o.diff:
                fence = "`" * max(3, 1 + max((len(m) for m in _TICKS.findall(o.diff)), default=0))
                out += [f"{fence}diff", o.diff, fence, ""]
            out += ["</details>", ""]
        if len(t.objects) > MAX_OBJECTS:
            out += [f"… and {len(t.objects) - MAX_OBJECTS} more objects: see the full report.", ""]
        out += ["</details>"]
    return out


def _summary(t: TargetDiff) -> str:
    counts = t.counts()
    parts = [f"{n} to {a}" for a, n in counts.items() if n and a != "unchanged"]
    if counts["unchanged"]:
        parts.append(f"{counts['unchanged']} unchanged")
    return ", ".join(parts) or t.status
