"""``kubepush status`` for a log: one line per target, then what is wrong and the last applies."""

from __future__ import annotations

from kubepush.cluster.status import TargetStatus
from kubepush.report.base import printable
from kubepush.report.status import StatusReport, problems, short, when

_COLUMNS = ("TARGET", "HEALTH", "SYNC", "REVISION", "LAST APPLY", "APPLIED", "BY")


def by(run: str, actor: str) -> str:
    """The run URL, and who started it."""
    return " ".join(p for p in (run, f"({actor})" if run and actor else actor) if p)


def _row(status: TargetStatus) -> tuple[str, ...]:
    if status.error:
        return (status.name, "unknown", "unknown", "", "", "", "")
    applied = status.applied
    return (status.name, status.health, status.sync, short(status.revision) or "-", status.last_apply,
            when(applied.finished) if applied else "-", by(applied.run, applied.actor) if applied else "-")


def _details(status: TargetStatus, history: int) -> list[str]:
    out = [f"  {line}" for line in problems(status)]
    if status.error:
        return out
    for item in status.unhealthy:
        out.append(f"  {item.state}: {item.ref}" + (f": {item.message}" if item.message else ""))
    for change in status.drifted:
        out.append(f"  {change.action}: {change.ref}: {change.reason.splitlines()[0] if change.reason else ''}")
    for change in status.owned_elsewhere:
        out.append(f"  not counted: {change.ref}: {change.reason}")
    if status.revision and status.healthy_revision != status.revision:
        out.append(f"  last healthy revision: {short(status.healthy_revision) or 'none recorded'}")
    if status.git_revision and status.revision and status.git_revision != status.revision:
        out.append(f"  Git is at {short(status.git_revision)}: differences may be changes not applied yet")
    entries = list(reversed(status.history))[:history]
    if entries:
        out.append(f"  last {len(entries)} appl{'y' if len(entries) == 1 else 'ies'}:")
        for e in entries:
            note = f" rollback of {short(e.rollback_of)}" if e.rollback_of else ""
            out.append(f"    {when(e.started)}  {short(e.revision) or '-'}  {e.result}{note}  "
                       f"{by(e.run, e.actor) or '-'}" + (f"  ({e.changes})" if e.changes else ""))
    return out


def render(report: StatusReport) -> str:
    rows = [_COLUMNS, *(_row(t) for t in report.targets)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    for status in report.targets:
        details = _details(status, report.history)
        if details:
            lines += ["", f"{status.name}:", *details]
    return printable("\n".join(lines)) + "\n"
