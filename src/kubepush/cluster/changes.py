"""The change set of a cluster action: one entry per object, like Flux's ``ssa.ChangeSet``.

Reporters render findings, so each change is also turned into a :class:`Finding`
(``to_finding``): failures are errors (exit code 1), objects not applied because an
earlier stage failed, or whose health could not be verified, are warnings, and the rest
are infos whose rule is the action - so every existing format (text, JSON, JUnit,
Markdown...) lists every object unchanged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kubepush.report.model import Finding, ObjectRef, Severity

CREATED, CONFIGURED, UNCHANGED, RECREATED = "created", "configured", "unchanged", "recreated"
PRUNED, KEPT, FAILED, SKIPPED, UNHEALTHY = "pruned", "kept", "failed", "not-applied", "unhealthy"
#: Applied, but the cluster stopped answering before its health was known (neither healthy nor not).
NOT_VERIFIED = "not-verified"
IN_SYNC, DRIFTED, MISSING, EXTRA, HEALED = "in-sync", "drift", "missing", "extra", "healed"
#: diff/drift: the live object belongs to another inventory (see kubepush.cluster.ownership)
OWNED_ELSEWHERE = "owned-elsewhere"

#: Actions that make the command fail (exit code 1).
FAILING = frozenset({FAILED, UNHEALTHY, DRIFTED, MISSING, EXTRA, OWNED_ELSEWHERE})


@dataclass(slots=True)
class Change:
    """What happened to (or was found about) one object, and why."""

    ref: ObjectRef
    action: str
    reason: str = ""
    file: str = ""
    document: int = 0
    target: str = ""
    live: dict[str, Any] | None = None
    line: int = 0

    @classmethod
    def of(cls, item: Any, action: str, reason: str = "", target: str = "", live: dict[str, Any] | None = None
           ) -> Change:
        """The change of a desired object (a plan ``Item``): it carries the item's file and line."""
        return cls(item.ref, action, reason, item.file, item.document, target, live, item.line)

    @property
    def failed(self) -> bool:
        return self.action in FAILING

    def to_finding(self) -> Finding:
        severity = (Severity.ERROR if self.failed else Severity.WARNING if self.action in (SKIPPED, NOT_VERIFIED)
                    else Severity.INFO)
        prefix = f"[{self.target}] " if self.target else ""
        message = f"{prefix}{self.action}" + (f": {self.reason}" if self.reason else "")
        return Finding(rule=self.action, message=message, severity=severity, file=self.file or _cluster(self),
                       line=self.line, document=self.document, object=self.ref)


def _cluster(change: Change) -> str:
    """Objects that exist only in the cluster (pruned, extra) have no file; name the target."""
    return f"cluster:{change.target}" if change.target else "cluster"


def summary(changes: Iterable[Change]) -> str:
    """``3 created, 1 failed``: counts per action, for progress lines."""
    counts = Counter(c.action for c in changes)
    return ", ".join(f"{n} {action}" for action, n in sorted(counts.items())) or "nothing to do"
