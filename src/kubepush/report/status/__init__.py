"""``kubepush status`` in its three formats, one module each: text (a table for a log), json (every
field, for scripts and CI outputs) and markdown (a table for a scheduled job's step summary).

Status reports a state per target, not a stream of findings, so it has its own small renderers
beside the finding reporters of :mod:`kubepush.report`; each is ``render(report) -> str``.
"""

from __future__ import annotations

import datetime
import importlib
from dataclasses import dataclass

from kubepush.cluster.status import TargetStatus
from kubepush.model import plural
from kubepush.report import choose_format

FORMATS = ("text", "json", "markdown")


@dataclass(frozen=True)
class StatusReport:
    targets: list[TargetStatus]
    #: how many of each target's last applies to show (the inventory keeps up to history.LIMIT)
    history: int = 5


def check_format(name: str) -> str:
    """``name`` normalised, or :class:`UsageError` naming the formats status has."""
    return choose_format(name, FORMATS, "status format", "kubepush status writes ")


def render(fmt: str, report: StatusReport) -> str:
    text: str = importlib.import_module(f"kubepush.report.status.{check_format(fmt)}").render(report)
    return text


def when(stamp: str) -> str:
    """``2026-12-02 01:40:00 UTC`` from the RFC 3339 time an entry records (as given if it is not one)."""
    try:
        moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def short(revision: str) -> str:
    """A sha as people quote it (12 characters, ``-dirty`` kept); other revisions as given."""
    sha, dirty, _ = revision.partition("-dirty")
    if len(sha) == 40 and all(c in "0123456789abcdef" for c in sha):
        return sha[:12] + dirty
    return revision


def problems(status: TargetStatus) -> list[str]:
    """What is wrong with a target, in words: the one list text and Markdown both show."""
    from kubepush.cluster import history
    from kubepush.cluster import status as st

    out = [f"error: {status.error}"] if status.error else []
    out += status.problems
    if status.error:
        return out
    if status.owned_elsewhere:
        count = len(status.owned_elsewhere)
        out.append(f"{plural(count, 'object')} in Git belong{'s' if count == 1 else ''} to another "
                   "inventory (not counted here; the next apply refuses them unless --take-over)")
    if status.health == st.MISSING:
        out.append("none of its objects is in the cluster")
    last = status.last_apply
    if last == st.NOT_RECORDED:
        out.append("no inventory (inventory: false): the revision, who applied it and the history are not recorded")
    elif last == st.NEVER:
        out.append(f"never applied ({status.inventory} does not exist)")
    elif last == st.INTERRUPTED:
        out.append(f"the apply of {short(status.revision) or 'its revision'} recorded no result: it was cut off, "
                   "or a kubepush without apply history ran it")
    elif last in (history.FAILED, history.UNHEALTHY):
        how = "failed" if last == history.FAILED else "did not become healthy"
        out.append(f"the last apply ({short(status.last.revision) if status.last else ''}) {how}")
    return out
