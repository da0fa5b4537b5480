"""The body of the one sticky comment per target: named sections, folded and fitted.

Several steps of a pipeline (validate, diff, bump) each post their report for the same
target; each owns one *section* of the target's comment and replaces only that, so the
comment shows the latest of everything and is edited, never duplicated. Long sections
fold into ``<details>``; when the whole would exceed the forge's limit, each section is
cut to its share and points at the full report.
"""

from __future__ import annotations

import re

from kubepush.forges.base import fit_body

SECTION_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_SECTION = re.compile(r"<!-- kubepush-section:([a-z0-9-]+) -->\n(.*?)\n<!-- /kubepush-section:\1 -->", re.DOTALL)
#: sections longer than this many lines are folded (the heading stays visible)
FOLD_LINES = 25
_SLACK = 200  # for the marker save_comment adds and rounding


def marker(target: str) -> str:
    """The sticky-comment marker of ``target`` (target names are free text; markers are not)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", target)[:80] or "-"
    return f"target/{safe}"


def sections(body: str) -> dict[str, str]:
    """The sections of an existing comment, in order."""
    return {m[1]: m[2] for m in _SECTION.finditer(body)}


def fold(text: str, what: str) -> str:
    """Keep a leading Markdown heading visible and fold the rest when it is long."""
    lines = text.strip("\n").splitlines()
    if len(lines) <= FOLD_LINES:
        return "\n".join(lines)
    head = lines.pop(0) if lines[0].startswith("#") else ""
    inner = "\n".join(lines).strip("\n")
    folded = f"<details><summary>{what}: {len(lines)} lines</summary>\n\n{inner}\n\n</details>"
    return f"{head}\n\n{folded}" if head else folded


def compose(target: str, existing: str, section: str, text: str, limit: int, link: str = "",
            footer: str = "") -> str:
    """The new body: ``existing``'s sections with ``section`` set to ``text``, fitted to ``limit``."""
    if not SECTION_NAME.match(section):
        raise ValueError(f"invalid section name {section!r}: lowercase letters, digits and -")
    parts = sections(existing)
    parts[section] = fold(_defuse(text), f"{section} report")
    head = f"### kubepush · target `{target.replace('`', '')}`"
    tail = f"\n\n<sub>{footer}</sub>" if footer else ""
    budget = (limit - len(head) - len(tail) - _SLACK) // max(1, len(parts))
    more = f"\n\n[Full report]({link})" if link else ""
    body = [head]
    for name, content in parts.items():
        if len(content) > budget:
            content = fit_body(content, max(budget - len(more), 400)) + more
        body.append(f"<!-- kubepush-section:{name} -->\n{content}\n<!-- /kubepush-section:{name} -->")
    return "\n\n".join(body) + tail


def _defuse(text: str) -> str:
    """Report text cannot fake our section or marker comments (it could hide or break sections)."""
    return text.replace("<!-- kubepush", "&lt;!-- kubepush").replace("<!-- /kubepush", "&lt;!-- /kubepush")
