"""Who drifted: each difference attributed to the field managers that own it, from ``managedFields``.

A drift report that only says "spec.replicas is 5, Git says 2" sends someone hunting;
``managedFields`` already records which manager set a field, with which operation
(Apply, Update, a subresource) and when - so each difference names them, and kubepush's
own ownership distinguishes "changed in Git" from "changed in the cluster".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubepush.cluster.compare.diff import Difference
from kubepush.cluster.compare.fields import ABSENT, FIELD_MANAGER, Path, fieldset_at
from kubepush.cluster.compare.mask import ADDED, CHANGED, MASK, hidden, show
from kubepush.model import FieldChange, format_path


@dataclass(frozen=True, slots=True)
class Owner:
    manager: str
    operation: str
    time: str
    subresource: str = ""

    def __str__(self) -> str:
        op = self.operation + (f" /{self.subresource}" if self.subresource else "")
        when = self.time.replace("T", " ").removesuffix("Z")[:16] + " UTC" if self.time else "unknown time"
        return f"{self.manager} ({op}), {when}"


def owners(live: dict[str, Any], path: Path) -> list[Owner]:
    """The field managers whose FieldsV1 set contains ``path`` of ``live`` (or an atomic parent)."""
    found = []
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        if fieldset_at(entry.get("fieldsV1") or {}, live, path) is not None:
            found.append(Owner(entry.get("manager", "?"), entry.get("operation", "?"), entry.get("time", ""),
                               entry.get("subresource", "")))
    return sorted(found, key=lambda o: o.time, reverse=True)


def attribute(live: dict[str, Any], diff: Difference, secret: bool = False, sealed: tuple[Path, ...] = ()
              ) -> tuple[str, list[Owner]]:
    """One who-drifted line for a difference, and the managers it names (values at ``sealed``
    paths, like a Secret's, never shown)."""
    where = format_path(diff.path)
    masked = hidden(diff.path, secret, sealed)
    if diff.live is ABSENT:
        return f"{where} is not in the cluster (removed outside kubepush, or new in Git)", []
    who = [o for o in owners(live, diff.path) if o.manager != FIELD_MANAGER]
    value = "a new value" if masked else show(diff.live)
    if diff.want is ABSENT:
        if who:
            return f"{where} set to {value} by {who[0]}; no longer in Git", who
        return f"{where} is no longer in Git (kubepush will remove it)", []
    git = "" if masked else f" (Git: {show(diff.want)})"
    if who:
        return f"{where} set to {value} by {who[0]}{git}", who
    if masked:
        return f"{where} changed in Git (the value is secret: not shown)", []
    return f"{where} changed in Git: {show(diff.live)} -> {show(diff.want)}", []


def field_change(diff: Difference, who: list[Owner], secret: bool = False, sealed: tuple[Path, ...] = ()
                 ) -> FieldChange:
    """The difference as the result model's :class:`~kubepush.model.FieldChange`: both values
    (a Secret's, and what SOPS encrypted, as the markers of :mod:`.mask`) and the manager that
    last set the field."""
    in_live, in_git = diff.live is not ABSENT, diff.want is not ABSENT
    masked = hidden(diff.path, secret, sealed)
    if masked:
        live, git = MASK if in_live else None, (CHANGED if in_live else ADDED) if in_git else None
    else:
        live, git = diff.live if in_live else None, diff.want if in_git else None
    owner = who[0] if who else Owner("", "", "")
    return FieldChange(diff.path, "changed" if in_live and in_git else "added" if in_git else "removed", live, git,
                       masked, owner.manager, owner.operation, owner.subresource, owner.time)
