"""Desired versus live, without noise - pure functions, no API.

The authoritative comparison is between the live object and what a server-side-apply
dry run of the desired object returns: both went through the same defaulting and
normalisation, so only real differences remain once status and server-managed
metadata are dropped (:func:`clean`). Before spending a dry run, :func:`may_differ`
decides cheaply from the live object alone whether a difference is possible at all.

Ignored fields (``drift.ignore``) are not filtered out of the comparison but out of what
is applied: :func:`respect` gives the object to send - Git's, with each ignored field as it
is live - to apply, heal and the dry run alike, so the preview is what an apply does.

Every difference is attributed from ``managedFields`` (:func:`attribute`): who set the
live value, with which operation and when. Secret values never leave this module:
:func:`mask` replaces them with markers that only say whether a value changed.
"""

from __future__ import annotations

import base64
import copy
import difflib
import fnmatch
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kubepush.cluster.client import FIELD_MANAGER
from kubepush.cluster.plan import group_of
from kubepush.model import format_path

#: Metadata the API server owns; never part of a difference.
SERVER_METADATA = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink",
                   "deletionTimestamp", "deletionGracePeriodSeconds")
MASK, CHANGED, ADDED = "***", "*** (changed)", "*** (added)"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_ABSENT = object()

Path = tuple[str | int, ...]


def clean(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy without status and server-managed metadata."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for key in SERVER_METADATA:
        meta.pop(key, None)
    return out


def is_secret(obj: dict[str, Any]) -> bool:
    return obj.get("kind") == "Secret" and group_of(obj.get("apiVersion", "v1")) == ""


def fold_string_data(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret's ``stringData`` as the API stores it: base64 in ``data`` (a copy)."""
    if not is_secret(obj) or not obj.get("stringData"):
        return obj
    out = copy.deepcopy(obj)
    data = out.setdefault("data", {}) or {}
    for key, value in out.pop("stringData").items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    out["data"] = data
    return out


def mask(live: dict[str, Any] | None, want: dict[str, Any] | None) -> tuple[dict[str, Any] | None,
                                                                          dict[str, Any] | None]:
    """Secret values replaced by markers: ``***`` (same), ``*** (changed)``, ``*** (added)``."""
    target = want if want is not None else live
    if target is None or not is_secret(target):
        return live, want
    live = copy.deepcopy(live) if live is not None else None
    want = copy.deepcopy(fold_string_data(want)) if want is not None else None
    live_data = (live or {}).get("data") or {}
    if want is not None:
        data = want.get("data") or {}
        want["data"] = {k: MASK if live_data.get(k) == v else CHANGED if k in live_data else ADDED
                        for k, v in data.items()}
        want.pop("stringData", None)
    if live is not None and live_data:
        live["data"] = {k: MASK for k in live_data}
    for obj in (live, want):  # client-side kubectl apply keeps the whole Secret, values included, here
        annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
        if LAST_APPLIED in annotations:
            annotations[LAST_APPLIED] = MASK
    return live, want


# --- ignore rules --------------------------------------------------------------------------
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

    paths: tuple[Path, ...] = ()
    managers: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_object(cls, rules: Iterable[IgnoreRule], obj: dict[str, Any]) -> Ignore:
        matching = [r for r in rules if r.matches(obj)]
        return cls(tuple(parse_pointer(p) for r in matching for p in r.paths),
                   frozenset(m for r in matching for m in r.managers))


def parse_pointer(pointer: str) -> Path:
    """RFC 6901 ``/spec/template/spec/containers/0/image`` as a path (digits are list indexes)."""
    parts: list[str | int] = []
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def _pointer(path: Path) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


@dataclass(frozen=True, slots=True)
class ItemKey:
    """A list item named the way ``managedFields`` names it: ``k:{"name":"app"}``, ``v:"a"`` or ``i:0``."""

    raw: str

    def find(self, items: list[Any]) -> int | None:
        return next((i for i, item in enumerate(items) if _item_is(self.raw, item, i)), None)


#: A path that may name list items by key (from ``managedFields``) as well as by position.
Steps = tuple[str | int | ItemKey, ...]


@dataclass(frozen=True, slots=True)
class LeftAlone:
    """A field an apply leaves as the cluster has it although Git says otherwise, and the rule why."""

    path: Path
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
            hidden = _hidden(f.path, secret)
            now = "unset" if f.live is _ABSENT else "as it is" if hidden else _show(f.live)
            parts.append(f"{format_path(f.path)} stays {now} (Git: {'a different value' if hidden else _show(f.git)}"
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
    fields: dict[Steps, str] = {path: f"ignored: {_pointer(path)}" for path in ignore.paths}
    for path, manager in _managed_only_by(entries, live, ignore.managers).items():
        fields.setdefault(path, f"owned by {manager}")
    left = []
    for path, rule in fields.items():
        want, where = _get(out, path), _positional(out, path)
        have = _get(live, path)
        owned = _fieldset_at(ours, live, path) if ours is not None and have is not _ABSENT else None
        if owned is None:
            _delete(out, path)
        else:
            _put(out, path, _project(have, owned))
        if want is not _ABSENT and not _subset(want, have):
            left.append(LeftAlone(where, have, want, rule))
    return Respected(out, tuple(left))


def _managed_only_by(entries: list[dict[str, Any]], live: dict[str, Any], managers: frozenset[str]
                     ) -> dict[Steps, str]:
    """Leaf fields of ``managers`` that no other manager but kubepush owns, each with its manager."""
    found: dict[Steps, str] = {}
    for entry in entries:
        if entry.get("manager") in managers:
            for leaf in _leaves(entry.get("fieldsV1") or {}):
                found.setdefault(leaf, entry["manager"])
    others = [e.get("fieldsV1") or {} for e in entries if e.get("manager") not in managers | {FIELD_MANAGER}]
    return {leaf: m for leaf, m in found.items() if all(_fieldset_at(o, live, leaf) is None for o in others)}


def _leaves(fields: dict[str, Any], prefix: Steps = ()) -> Iterator[Steps]:
    """Every field a FieldsV1 set owns outright (``{}``); owning only a map's or item's existence (``.``) is not one."""
    for key, sub in fields.items():
        if key == ".":
            continue
        step = key[2:] if key.startswith("f:") else ItemKey(key)
        if sub:
            yield from _leaves(sub, (*prefix, step))
        else:
            yield (*prefix, step)


def _index(node: Any, step: str | int | ItemKey) -> str | int | None:
    """Where ``step`` is in ``node`` (a map key or list index), None when it is not there. A
    pointer's number names a map key in a map (RFC 6901: the token is read as the node needs)."""
    if isinstance(node, dict):
        key = step if isinstance(step, str) else str(step) if isinstance(step, int) else None
        return key if key in node else None
    if not isinstance(node, list) or isinstance(step, str):
        return None
    if isinstance(step, int):
        return step if 0 <= step < len(node) else None
    return step.find(node)


def _get(obj: Any, path: Steps) -> Any:
    for step in path:
        where = _index(obj, step)
        if where is None:
            return _ABSENT
        obj = obj[where]
    return obj


def _positional(obj: Any, path: Steps) -> Path:
    """``path`` with list items by position in ``obj`` (for messages); items it lacks keep their key."""
    out: list[str | int] = []
    for step in path:
        where = _index(obj, step)
        out.append(where if where is not None else step.raw if isinstance(step, ItemKey) else step)
        obj = obj[where] if where is not None else None
    return tuple(out)


def _container(obj: Any, path: Steps, create: bool) -> Any:
    """What holds the last step of ``path``; missing maps on the way are created when asked."""
    for step in path[:-1]:
        where = _index(obj, step)
        if where is None:
            if not (create and isinstance(obj, dict) and not isinstance(step, ItemKey)):
                return None
            where = str(step)
            obj[where] = {}
        obj = obj[where]
    return obj


def _put(obj: dict[str, Any], path: Steps, value: Any) -> None:
    parent = _container(obj, path, create=True)
    if isinstance(parent, dict) and not isinstance(path[-1], ItemKey):
        parent[str(path[-1])] = value
    elif (where := _index(parent, path[-1])) is not None:
        parent[where] = value  # a list item Git does not have cannot be placed: Git's list stands


def _delete(obj: dict[str, Any], path: Steps) -> None:
    parent = _container(obj, path, create=False)
    where = _index(parent, path[-1]) if parent is not None else None
    if where is not None:
        del parent[where]


def without(obj: dict[str, Any] | None, paths: Iterable[Path]) -> dict[str, Any] | None:
    """A copy of ``obj`` without ``paths`` (for showing only what a message counts)."""
    paths = list(paths)
    if obj is None or not paths:
        return obj
    out = copy.deepcopy(obj)
    for path in paths:
        _delete(out, path)
    return out


def _project(value: Any, fields: dict[str, Any]) -> Any:
    """The part of ``value`` a FieldsV1 set names: all of it for a leaf or an atomic value."""
    if not fields:
        return copy.deepcopy(value)
    if isinstance(value, dict):
        return {k[2:]: _project(value[k[2:]], sub) for k, sub in fields.items()
                if k.startswith("f:") and k[2:] in value}
    if isinstance(value, list):
        return [_project(item, fields[key]) for i, item in enumerate(value)
                if (key := _list_key(fields, item, i)) is not None]
    return copy.deepcopy(value)


# --- the cheap check -------------------------------------------------------------------------
def may_differ(desired: dict[str, Any], live: dict[str, Any]) -> bool:
    """False only when applying ``desired`` (as :func:`respect` made it) cannot change ``live``.

    That holds when every value in ``desired`` is already live (lists compared whole,
    position by position) and kubepush owns no field that ``desired`` no longer has
    (which an apply would remove). Anything else - including values the server
    normalises - is left to the dry run.
    """
    want = fold_string_data(desired)
    if not _subset(want, live):
        return True
    ours = next((m for m in (live.get("metadata") or {}).get("managedFields") or []
                 if m.get("manager") == FIELD_MANAGER and m.get("operation") == "Apply"), None)
    if ours is None:
        return True
    declared = _field_paths(want) | _field_paths(desired)  # a Secret's stringData as written, too
    return not _field_paths_of_fieldset(ours.get("fieldsV1") or {}) <= declared


def _subset(want: Any, have: Any) -> bool:
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _subset(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(
            _subset(w, h) for w, h in zip(want, have, strict=True))
    return want == have and type(want) is type(have)


def _field_paths(obj: Any, prefix: Path = ()) -> set[Path]:
    """Paths of every map field, not descending into lists (their items are matched by value)."""
    out: set[Path] = set()
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.add((*prefix, key))
            if isinstance(value, dict):
                out |= _field_paths(value, (*prefix, key))
    return out


def _field_paths_of_fieldset(fields: dict[str, Any], prefix: Path = ()) -> set[Path]:
    """The same for a FieldsV1 set: ``f:`` members only, stopping at list members."""
    out: set[Path] = set()
    for key, value in fields.items():
        if key.startswith("f:"):
            path = (*prefix, key[2:])
            out.add(path)
            if isinstance(value, dict) and not any(k[:2] in ("k:", "v:", "i:") for k in value):
                out |= _field_paths_of_fieldset(value, path)
    return out


# --- differences and who made them ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Difference:
    path: Path
    live: Any
    want: Any


def differences(live: Any, want: Any, path: Path = ()) -> list[Difference]:
    """Leaf-level differences; lists of named items are aligned by name, others by position."""
    if isinstance(live, dict) and isinstance(want, dict):
        out: list[Difference] = []
        for key in list(want) + [k for k in live if k not in want]:
            out += differences(live.get(key, _ABSENT), want.get(key, _ABSENT), (*path, key))
        return out
    if isinstance(live, list) and isinstance(want, list):
        if _named(live) and _named(want):
            by_name = {item["name"]: i for i, item in enumerate(live)}
            out = []
            for item in want:
                i = by_name.pop(item["name"], None)
                out += differences(live[i] if i is not None else _ABSENT, item,
                                   (*path, i if i is not None else len(live)))
            out += [Difference((*path, i), live[i], _ABSENT) for i in sorted(by_name.values())]
            return out
        if len(live) == len(want):
            out = []
            for i, (a, b) in enumerate(zip(live, want, strict=True)):
                out += differences(a, b, (*path, i))
            return out
    if live is _ABSENT and want is _ABSENT or live == want and type(live) is type(want):
        return []
    return [Difference(path, live, want)]


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items)


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
        if _fieldset_at(entry.get("fieldsV1") or {}, live, path) is not None:
            found.append(Owner(entry.get("manager", "?"), entry.get("operation", "?"), entry.get("time", ""),
                               entry.get("subresource", "")))
    return sorted(found, key=lambda o: o.time, reverse=True)


def _fieldset_at(fields: dict[str, Any], obj: Any, path: Steps) -> dict[str, Any] | None:
    """The part of a FieldsV1 set at ``path`` of ``obj``: ``{}`` when a leaf or an atomic parent
    covers it, None when the set does not reach it."""
    for step in path:
        if not fields:
            return {}  # a leaf (or atomic) set member covers everything under it
        where = _index(obj, step)
        if where is None:
            return None
        if isinstance(obj, dict):
            key: str | None = f"f:{where}"
        else:
            key = step.raw if isinstance(step, ItemKey) else _list_key(fields, obj[where], int(where))
        if key is None or key not in fields:
            return None
        fields, obj = fields[key], obj[where]
    return fields


def _list_key(fields: dict[str, Any], item: Any, index: int) -> str | None:
    return next((key for key in fields if _item_is(key, item, index)), None)


def _item_is(key: str, item: Any, index: int) -> bool:
    """Whether a FieldsV1 list member (``k:``, ``v:``, ``i:``) names ``item`` at ``index``."""
    try:
        if key.startswith("k:"):
            keys = json.loads(key[2:])
            return isinstance(item, dict) and all(item.get(k) == v for k, v in keys.items())
        if key.startswith("v:"):
            return bool(json.loads(key[2:]) == item)
    except ValueError:
        return False
    return key == f"i:{index}"


def _hidden(path: Path, secret: bool) -> bool:
    """A Secret's values (and kubectl's copy of them) are never shown."""
    return secret and (path[:1] in (("data",), ("stringData",))
                       or path[:3] == ("metadata", "annotations", LAST_APPLIED))


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def attribute(live: dict[str, Any], diff: Difference, secret: bool = False) -> tuple[str, list[Owner]]:
    """One who-drifted line for a difference, and the managers it names."""
    where = format_path(diff.path)
    if diff.live is _ABSENT:
        return f"{where} is not in the cluster (removed outside kubepush, or new in Git)", []
    who = [o for o in owners(live, diff.path) if o.manager != FIELD_MANAGER]
    value = "a new value" if _hidden(diff.path, secret) else _show(diff.live)
    if diff.want is _ABSENT:
        if who:
            return f"{where} set to {value} by {who[0]}; no longer in Git", who
        return f"{where} is no longer in Git (kubepush will remove it)", []
    if who:
        return f"{where} set to {value} by {who[0]}", who
    return f"{where} changed in Git (live: {value})", []


def unified(live: dict[str, Any] | None, want: dict[str, Any] | None, name: str) -> str:
    """A unified diff of the two objects as YAML, ``live`` first (``---``) and desired (``+++``)."""
    import yaml

    def lines(obj: dict[str, Any] | None) -> list[str]:
        return [] if obj is None else yaml.safe_dump(obj, sort_keys=True, default_flow_style=False).splitlines()

    return "\n".join(difflib.unified_diff(lines(live), lines(want), f"live/{name}", f"git/{name}", lineterm="",
                                          n=3))
