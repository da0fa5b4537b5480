"""``drift.ignore``: fields kubepush leaves as the cluster has them, in apply, diff and heal alike.

Ignored fields are not filtered out of the comparison but out of what is applied:
:func:`respect` gives the object to send - Git's, with each ignored field as it is live -
so the dry run the preview compares is the apply itself, and ``diff`` never promises a
change the apply would not make (or hides one it would). The rules are also the
selector syntax of ``shared:`` (:class:`IgnoreRule` without fields).
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubepush.cluster.compare import fields as fs
from kubepush.cluster.compare.diff import subset
from kubepush.cluster.compare.fields import FIELD_MANAGER
from kubepush.cluster.compare.mask import hidden, show
from kubepush.cluster.plan import group_of
from kubepush.model import format_path


@dataclass(frozen=True)
class IgnoreRule:
    """Fields kubepush leaves as they are in the cluster: JSON pointers, or fields owned by named managers."""

    kind: str = "*"
    name: str = "*"
    namespace: str = "*"
    paths: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> IgnoreRule:
        return cls(raw.get("kind", "*"), raw.get("name", "*"), raw.get("namespace", "*"),
                   tuple(raw.get("paths") or ()), tuple(raw.get("managers") or ()))

    def matches(self, obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        kind, group = obj.get("kind", ""), group_of(obj.get("apiVersion", ""))
        kinds = (kind, f"{kind}.{group}") if group else (kind,)
        return (any(fnmatch.fnmatchcase(k, self.kind) for k in kinds)
                and fnmatch.fnmatchcase(meta.get("name", ""), self.name)
                and fnmatch.fnmatchcase(meta.get("namespace", ""), self.namespace))


@dataclass(frozen=True)
class Ignore:
    """The rules that apply to one object."""

    paths: tuple[fs.Path, ...] = ()
    managers: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_object(cls, rules: Iterable[IgnoreRule], obj: dict[str, Any]) -> Ignore:
        matching = [r for r in rules if r.matches(obj)]
        return cls(tuple(fs.parse_pointer(p) for r in matching for p in r.paths),
                   frozenset(m for r in matching for m in r.managers))


@dataclass(frozen=True, slots=True)
class LeftAlone:
    """A field an apply leaves as the cluster has it although Git says otherwise, and the rule why."""

    path: fs.Path
    live: Any
    git: Any
    rule: str


@dataclass(frozen=True, slots=True)
class Respected:
    """The object to send for one desired object, and the fields it leaves alone."""

    obj: dict[str, Any]
    left: tuple[LeftAlone, ...] = ()

    def note(self, secret: bool = False) -> str:
        """``left alone: spec.replicas stays 3 (Git: 2; ignored: /spec/replicas)`` (empty when nothing was)."""
        parts = []
        for f in self.left:
            masked = hidden(f.path, secret)
            now = "unset" if f.live is fs.ABSENT else "as it is" if masked else show(f.live)
            parts.append(f"{format_path(f.path)} stays {now} (Git: {'a different value' if masked else show(f.git)}"
                         f"; {f.rule})")
        return "left alone: " + "; ".join(parts) if parts else ""


def respect(rules: Iterable[IgnoreRule], desired: dict[str, Any], live: dict[str, Any] | None) -> Respected:
    """What to apply so that every ignored field of ``live`` stays exactly as it is - value and owner.

    Argo CD's ``RespectIgnoreDifferences`` sync option: the desired object is pre-patched from the
    live one before it is applied, and an object that does not exist yet is applied as Git has it
    (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#respect-ignore-differences-configs).
    apply, diff's dry run and heal all send this object, so the preview is what the apply does.

    Server-side apply decides what "as it is" takes: a field kubepush owns and stops sending is
    removed from the object (or reset to its default) unless another manager owns it too, while a
    field kubepush does not own is not touched by leaving it out; a changed value moves ownership to
    whoever changed it, so a field another manager (an HPA, ``kubectl scale``) changed is no longer
    kubepush's (https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management).
    Hence, per ignored field: the part kubepush owns is sent with its live values, the rest is left
    out - and a field the live object does not have is not added.

    A rule by manager covers each field those managers own (from ``managedFields``) that no other
    manager but kubepush owns too - the fields whose differences drift attributes to them.
    """
    ignore = Ignore.for_object(rules, desired)
    if live is None or not (ignore.paths or ignore.managers):
        return Respected(desired)
    entries = (live.get("metadata") or {}).get("managedFields") or []
    ours = next((e.get("fieldsV1") or {} for e in entries if e.get("manager") == FIELD_MANAGER
                 and e.get("operation") == "Apply" and not e.get("subresource")), None)
    out = copy.deepcopy(desired)
    fields: dict[fs.Steps, str] = {path: f"ignored: {fs.pointer(path)}" for path in ignore.paths}
    for path, manager in _managed_only_by(entries, live, ignore.managers).items():
        fields.setdefault(path, f"owned by {manager}")
    left = []
    for path, rule in fields.items():
        want, where = fs.get(out, path), fs.positional(out, path)
        have = fs.get(live, path)
        owned = fs.fieldset_at(ours, live, path) if ours is not None and have is not fs.ABSENT else None
        if owned is None:
            fs.delete(out, path)
        else:
            fs.put(out, path, fs.project(have, owned))
        if want is not fs.ABSENT and not subset(want, have):
            left.append(LeftAlone(where, have, want, rule))
    return Respected(out, tuple(left))


def _managed_only_by(entries: list[dict[str, Any]], live: dict[str, Any], managers: frozenset[str]
                     ) -> dict[fs.Steps, str]:
    """Leaf fields of ``managers`` that no other manager but kubepush owns, each with its manager."""
    found: dict[fs.Steps, str] = {}
    for entry in entries:
        if entry.get("manager") in managers:
            for leaf in fs.leaves(entry.get("fieldsV1") or {}):
                found.setdefault(leaf, entry["manager"])
    others = [e.get("fieldsV1") or {} for e in entries if e.get("manager") not in managers | {FIELD_MANAGER}]
    return {leaf: m for leaf, m in found.items() if all(fs.fieldset_at(o, live, leaf) is None for o in others)}
