"""Field ownership (``metadata.managedFields``) and server-side apply.

Follows k8s.io/apiserver's fieldmanager on top of structured-merge-diff: an ``Apply``
manager owns exactly the fields of its last applied configuration; an ``Update``
manager (create/update/patch) gains every field its write added or changed. Applying
a value different from one another manager owns is a conflict unless forced; fields an
applier drops from its configuration are removed when nobody else owns them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import fieldpath as fp
from . import typed
from .jsonutil import clone
from .schema import Node

_META_OWNED_BY_SERVER = (
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
    "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName",
)
_STRIPPED = {(fp.field("apiVersion"),), (fp.field("kind"),), (fp.field("metadata"),)} | {
    (fp.field("metadata"), fp.field(n)) for n in _META_OWNED_BY_SERVER
}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Manager:
    name: str
    operation: str  # Apply | Update
    api_version: str
    fields: set[fp.Path]
    time: str = field(default_factory=now)
    subresource: str = ""

    @property
    def identity(self) -> tuple[str, str, str, str]:
        # Appliers keep one entry whatever version they apply with (BuildManagerIdentifier).
        version = "" if self.operation == "Apply" else self.api_version
        return (self.name, self.operation, version, self.subresource)

    def display(self) -> str:
        """How conflict messages name a manager (fieldmanager's printManager)."""
        text = json.dumps(self.name)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


@dataclass
class Conflict(Exception):
    """Apply conflicts: (manager display name, path) pairs."""

    conflicts: list[tuple[str, fp.Path]]

    def message(self) -> str:
        if len(self.conflicts) == 1:
            who, path = self.conflicts[0]
            return f"Apply failed with 1 conflict: conflict with {who}: {fp.render(path)}"
        by_manager: dict[str, list[fp.Path]] = {}
        for who, path in self.conflicts:
            by_manager.setdefault(who, []).append(path)
        lines = []
        for who in sorted(by_manager):
            lines.append(f"conflicts with {who}:")
            lines.extend(f"- {fp.render(p)}" for p in by_manager[who])
        return f"Apply failed with {len(self.conflicts)} conflicts: " + "\n".join(lines)

    def causes(self) -> list[dict[str, str]]:
        return [
            {"reason": "FieldManagerConflict", "message": f"conflict with {who}", "field": fp.render(path)}
            for who, path in self.conflicts
        ]


def decode(entries: list[dict[str, Any]] | None) -> list[Manager]:
    return [
        Manager(
            name=e.get("manager", ""), operation=e.get("operation", "Update"),
            api_version=e.get("apiVersion", ""), fields=fp.from_fields_v1(e.get("fieldsV1")),
            time=e.get("time") or now(), subresource=e.get("subresource", ""),
        )
        for e in entries or []
    ]


def encode(managers: list[Manager]) -> list[dict[str, Any]]:
    ordered = sorted(managers, key=lambda m: (m.operation, m.time, m.name, m.api_version, m.subresource))
    out = []
    for m in ordered:
        entry = {
            "manager": m.name, "operation": m.operation, "apiVersion": m.api_version,
            "time": m.time, "fieldsType": "FieldsV1", "fieldsV1": fp.to_fields_v1(m.fields),
        }
        if m.subresource:
            entry["subresource"] = m.subresource
        out.append(entry)
    return out


def _ignored(path: fp.Path, reset_status: bool) -> bool:
    if path in _STRIPPED or any(fp.has_prefix(path, s) for s in _STRIPPED if len(s) == 2):
        return True
    return reset_status and path[:1] == (fp.field("status"),)


def _filter(paths: set[fp.Path], reset_status: bool) -> set[fp.Path]:
    return {p for p in paths if not _ignored(p, reset_status)}


def _strip_meta(obj: dict[str, Any]) -> dict[str, Any]:
    out = clone(obj)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return out


def _find(managers: list[Manager], identity: tuple[str, str, str, str]) -> Manager | None:
    return next((m for m in managers if m.identity == identity), None)


def update(
    old: dict[str, Any], new: dict[str, Any], managers: list[Manager], name: str, api_version: str,
    node: Node, reset_status: bool, subresource: str = "",
) -> list[Manager]:
    """Ownership after a non-apply write by ``name`` took ``old`` to ``new``."""
    added, modified, removed = (
        _filter(s, reset_status) for s in typed.compare(_strip_meta(old), _strip_meta(new), node)
    )
    me = Manager(name, "Update", api_version, set(), subresource=subresource)
    out = []
    mine = _find(managers, me.identity)
    for m in managers:
        if m is mine:
            continue
        remaining = m.fields - added - modified - removed
        if remaining != m.fields:
            m = Manager(m.name, m.operation, m.api_version, remaining, m.time, m.subresource)
        if m.fields:
            out.append(m)
    fields = ((mine.fields if mine else set()) - removed) | added | modified
    if fields:
        changed = mine is None or fields != mine.fields or bool(added or modified or removed)
        me.fields = fields
        me.time = now() if changed or mine is None else mine.time
        out.append(me)
    return out


def apply(
    live: dict[str, Any], config: dict[str, Any], managers: list[Manager], name: str, api_version: str,
    node: Node, force: bool, reset_status: bool,
) -> tuple[dict[str, Any], list[Manager]]:
    """Merge ``config`` applied by ``name`` into ``live``; raise Conflict unless forced."""
    live_plain = _strip_meta(live)
    config = _strip_meta(config)
    if reset_status:
        config.pop("status", None)  # the main resource ignores status (ResetFields)
    merged = typed.merge(live_plain, config, node)
    applied = _filter(typed.to_field_set(config, node), reset_status)
    me = Manager(name, "Apply", api_version, applied)
    previous = _find(managers, me.identity)
    last = previous.fields if previous else set()

    added, modified, _ = (_filter(s, reset_status) for s in typed.compare(live_plain, merged, node))
    changed = added | modified
    conflicts = []
    others = []
    for m in managers:
        if m is previous:
            continue
        clash = m.fields & changed
        if clash and not force:
            conflicts.extend((m.display(), p) for p in sorted(clash, key=fp.render))
        remaining = m.fields - clash
        if remaining:
            others.append(m if remaining == m.fields else Manager(
                m.name, m.operation, m.api_version, remaining, m.time, m.subresource))
    if conflicts:
        raise Conflict(conflicts)

    owned = set(applied)
    for m in others:
        owned |= m.fields

    def keep(path: fp.Path) -> bool:
        return path in owned or any(fp.has_prefix(o, path) for o in owned)

    result = typed.remove(merged, last - owned, keep, node)
    if previous is not None and previous.fields == applied and not changed and result == live_plain:
        me.time = previous.time
    return result, others + [me]
