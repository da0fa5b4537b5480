"""Desired versus live, without noise - pure functions, no API.

The authoritative comparison is between the live object and what a server-side-apply
dry run of the desired object returns: both went through the same defaulting and
normalisation, so only real differences remain once status and server-managed
metadata are dropped (:func:`clean`). Before spending a dry run, :func:`may_differ`
decides cheaply from the live object alone whether a difference is possible at all.

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubepush.cluster.client import FIELD_MANAGER
from kubepush.cluster.plan import group_of
from kubepush.report.model import format_path

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
    """Differences not to report: JSON pointers, or fields owned by named managers."""

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

    def strip(self, obj: dict[str, Any] | None) -> dict[str, Any] | None:
        """A copy of ``obj`` without the ignored paths."""
        if obj is None or not self.paths:
            return obj
        out = copy.deepcopy(obj)
        for path in self.paths:
            _remove(out, path)
        return out


def parse_pointer(pointer: str) -> Path:
    """RFC 6901 ``/spec/template/spec/containers/0/image`` as a path (digits are list indexes)."""
    parts: list[str | int] = []
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def _remove(obj: Any, path: Path) -> None:
    for part in path[:-1]:
        try:
            obj = obj[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(obj, dict):
        obj.pop(path[-1], None)
    elif isinstance(obj, list) and isinstance(path[-1], int) and path[-1] < len(obj):
        del obj[path[-1]]


# --- the cheap check -------------------------------------------------------------------------
def may_differ(desired: dict[str, Any], live: dict[str, Any], ignore: Ignore = Ignore()) -> bool:
    """False only when applying ``desired`` cannot change ``live``.

    That holds when every value in ``desired`` is already live (lists compared whole,
    position by position) and kubepush owns no field that ``desired`` no longer has
    (which an apply would remove). Anything else - including values the server
    normalises - is left to the dry run.
    """
    want = ignore.strip(fold_string_data(desired))
    have = ignore.strip(live)
    if not _subset(want, have):
        return True
    ours = next((m for m in (live.get("metadata") or {}).get("managedFields") or []
                 if m.get("manager") == FIELD_MANAGER and m.get("operation") == "Apply"), None)
    if ours is None:
        return True
    declared = _field_paths(want) | _field_paths(ignore.strip(desired))  # a Secret's stringData as written, too
    owned = {p for p in _field_paths_of_fieldset(ours.get("fieldsV1") or {})
             if not any(p[:len(i)] == i for i in ignore.paths)}
    return not owned <= declared


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
        if _owns(entry.get("fieldsV1") or {}, live, path):
            found.append(Owner(entry.get("manager", "?"), entry.get("operation", "?"), entry.get("time", ""),
                               entry.get("subresource", "")))
    return sorted(found, key=lambda o: o.time, reverse=True)


def _owns(fields: dict[str, Any], obj: Any, path: Path) -> bool:
    for part in path:
        if not fields:
            return True  # a leaf (or atomic) set member covers everything under it
        if isinstance(part, int):
            if not isinstance(obj, list) or part >= len(obj):
                return False
            item = obj[part]
            key = _list_key(fields, item, part)
            if key is None:
                return False
            fields, obj = fields[key], item
        else:
            key = f"f:{part}"
            if key not in fields or not isinstance(obj, dict):
                return False
            fields, obj = fields[key], obj.get(part)
    return True


def _list_key(fields: dict[str, Any], item: Any, index: int) -> str | None:
    for key in fields:
        if key.startswith("k:"):
            try:
                keys = json.loads(key[2:])
            except ValueError:
                continue
            if isinstance(item, dict) and all(item.get(k) == v for k, v in keys.items()):
                return key
        elif key.startswith("v:"):
            try:
                if json.loads(key[2:]) == item:
                    return key
            except ValueError:
                continue
        elif key == f"i:{index}":
            return key
    return None


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def attribute(live: dict[str, Any], diff: Difference, secret: bool = False) -> tuple[str, list[Owner]]:
    """One who-drifted line for a difference, and the managers it names."""
    where = format_path(diff.path)
    if diff.live is _ABSENT:
        return f"{where} is not in the cluster (removed outside kubepush, or new in Git)", []
    who = [o for o in owners(live, diff.path) if o.manager != FIELD_MANAGER]
    hidden = secret and (diff.path[:1] == ("data",) or diff.path[:3] == ("metadata", "annotations", LAST_APPLIED))
    value = "a new value" if hidden else _show(diff.live)
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
