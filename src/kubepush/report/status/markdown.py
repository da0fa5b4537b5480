"""``kubepush status -o markdown``: a table for a scheduled job's step summary (or a README-like
page), then, folded per target, what is wrong and its last applies.

Cells are escaped like every Markdown report (:func:`kubepush.report.markdown.cell`); a run URL
becomes a link only when it is http(s), with the characters that would end the link encoded.
"""

from __future__ import annotations

from kubepush.cluster import status as st
from kubepush.cluster.status import TargetStatus
from kubepush.model import plural
from kubepush.report.markdown import cell, row
from kubepush.report.status import StatusReport, problems, short, when

_HEALTH = {st.HEALTHY: "✅", st.PROGRESSING: "⏳", st.DEGRADED: "❌", st.MISSING: "❌"}
_SYNC = {st.IN_SYNC: "✅", st.DRIFTED: "⚠️", st.UNKNOWN: "❔"}


def link(url: str, text: str) -> str:
    if not url.startswith(("https://", "http://")):
        return cell(url)
    safe = "".join(c if c.isascii() and c.isprintable() and c not in " ()<>[]`" else f"%{ord(c):02X}"
                   for c in url)
    return f"[{cell(text)}]({safe})"


def _by(run: str, actor: str) -> str:
    return " ".join(p for p in (link(run, "run") if run else "", cell(actor)) if p) or "—"


def _row(status: TargetStatus) -> str:
    if status.error:
        return row([cell(status.name), "❔ unknown", "❔ unknown", "—", "—", "—", "—"])
    applied = status.applied
    revision = f"`{cell(short(status.revision))}`" if status.revision else "—"
    return row([cell(status.name), f"{_HEALTH[status.health]} {status.health}", f"{_SYNC[status.sync]} {status.sync}",
                revision, cell(status.last_apply), cell(when(applied.finished)) if applied else "—",
                _by(applied.run, applied.actor) if applied else "—"])


def _details(status: TargetStatus, history: int) -> list[str]:
    bullets = [f"- {cell(p)}" for p in problems(status)]
    bullets += [f"- {cell(o.state)} `{cell(str(o.ref))}`" + (f": {cell(o.message)}" if o.message else "")
                for o in status.unhealthy]
    bullets += [f"- {cell(c.action)} `{cell(str(c.ref))}`: {cell(c.reason.splitlines()[0] if c.reason else '')}"
                for c in status.drifted]
    bullets += [f"- not counted `{cell(str(c.ref))}`: {cell(c.reason)}" for c in status.owned_elsewhere]
    if status.revision and status.healthy_revision != status.revision:
        bullets.append(f"- last healthy revision: {cell(short(status.healthy_revision)) or 'none recorded'}")
    entries = list(reversed(status.history))[:history]
    table = []
    if entries:
        table = ["", row(["Started", "Revision", "Result", "By", "Changes"]), row(["---"] * 5)]
        table += [row([cell(when(e.started)), f"`{cell(short(e.revision))}`" if e.revision else "—",
                       cell(e.result + (f" (rollback of {short(e.rollback_of)})" if e.rollback_of else "")),
                       _by(e.run, e.actor), cell(e.changes) or "—"]) for e in entries]
    if not bullets and not table:
        return []
    summary = f"{cell(status.name)}: {'needs attention' if not status.ok else 'ok'}"
    return ["", "<details>", f"<summary>{summary}</summary>", "", *bullets, *table, "", "</details>"]


def render(report: StatusReport) -> str:
    targets = report.targets
    bad = [t for t in targets if not t.ok]
    head = (f"## ✅ kubepush status: {plural(len(targets), 'target')} healthy and in sync" if not bad else
            f"## ❌ kubepush status: {len(bad)} of {plural(len(targets), 'target')} need"
            f"{'s' if len(bad) == 1 else ''} attention")
    out = [head, "", row(["Target", "Health", "Sync", "Revision", "Last apply", "Applied", "By"]), row(["---"] * 7)]
    out += [_row(t) for t in targets]
    for status in targets:
        out += _details(status, report.history)
    return "\n".join(out) + "\n"
