"""Paths into objects, and into ``managedFields``' FieldsV1 sets - what ignore, diff and owners share.

A field is named three ways: by an RFC 6901 JSON pointer in kubepush.yaml (``drift.ignore``),
by a path of map keys and list positions in a difference, and in ``managedFields`` by a
FieldsV1 set whose list members are named by key (``k:{"name":"app"}``), value (``v:"a"``)
or position (``i:0``). This module walks objects and sets along any of them, so the
ignore rules, the who-drifted attribution and the cheap pre-check agree on what a path means
(https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

#: A field that is not there (distinct from a field whose value is ``None``).
ABSENT = object()
#: kubepush's field manager name: what it owns in ``managedFields`` (defined here, below the client,
#: so the pure comparison does not load the cluster client to know it)
FIELD_MANAGER = "kubepush"

Path = tuple[str | int, ...]


def parse_pointer(pointer: str) -> Path:
    """RFC 6901 ``/spec/template/spec/containers/0/image`` as a path (digits are list indexes)."""
    parts: list[str | int] = []
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def pointer(path: Path) -> str:
    """The RFC 6901 pointer of ``path`` (the inverse of :func:`parse_pointer`)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


@dataclass(frozen=True, slots=True)
class ItemKey:
    """A list item named the way ``managedFields`` names it: ``k:{"name":"app"}``, ``v:"a"`` or ``i:0``."""

    raw: str

    def find(self, items: list[Any]) -> int | None:
        return next((i for i, item in enumerate(items) if _item_is(self.raw, item, i)), None)


#: A path that may name list items by key (from ``managedFields``) as well as by position.
Steps = tuple[str | int | ItemKey, ...]


def leaves(fields: dict[str, Any], prefix: Steps = ()) -> Iterator[Steps]:
    """Every field a FieldsV1 set owns outright (``{}``); owning only a map's or item's existence (``.``) is not one."""
    for key, sub in fields.items():
        if key == ".":
            continue
        step = key[2:] if key.startswith("f:") else ItemKey(key)
        if sub:
            yield from leaves(sub, (*prefix, step))
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


def get(obj: Any, path: Steps) -> Any:
    """The value at ``path``, :data:`ABSENT` when it is not there."""
    for step in path:
        where = _index(obj, step)
        if where is None:
            return ABSENT
        obj = obj[where]
    return obj


def positional(obj: Any, path: Steps) -> Path:
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


def put(obj: dict[str, Any], path: Steps, value: Any) -> None:
    """Set ``path`` (in place), creating the maps on the way."""
    parent = _container(obj, path, create=True)
    if isinstance(parent, dict) and not isinstance(path[-1], ItemKey):
        parent[str(path[-1])] = value
    elif (where := _index(parent, path[-1])) is not None:
        parent[where] = value  # a list item Git does not have cannot be placed: Git's list stands


def delete(obj: dict[str, Any], path: Steps) -> None:
    """Remove ``path`` (in place) when it is there."""
    parent = _container(obj, path, create=False)
    where = _index(parent, path[-1]) if parent is not None else None
    if where is not None:
        del parent[where]


def copy_tree(value: Any) -> Any:
    """A copy of a JSON-shaped value (dicts, lists, scalars): what ``copy.deepcopy`` gives for a
    manifest or an API object, at a fraction of its cost (no memo: their scalars are immutable,
    and a YAML alias is data twice, not identity)."""
    if isinstance(value, dict):
        return {k: copy_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_tree(v) for v in value]
    return value


def without(obj: dict[str, Any] | None, paths: Iterable[Path]) -> dict[str, Any] | None:
    """A copy of ``obj`` without ``paths`` (for showing only what a message counts)."""
    paths = list(paths)
    if obj is None or not paths:
        return obj
    out = copy.deepcopy(obj)
    for path in paths:
        delete(out, path)
    return out


def project(value: Any, fields: dict[str, Any]) -> Any:
    """The part of ``value`` a FieldsV1 set names: all of it for a leaf or an atomic value."""
    if not fields:
        return copy.deepcopy(value)
    if isinstance(value, dict):
        return {k[2:]: project(value[k[2:]], sub) for k, sub in fields.items()
                if k.startswith("f:") and k[2:] in value}
    if isinstance(value, list):
        return [project(item, fields[key]) for i, item in enumerate(value)
                if (key := _list_key(fields, item, i)) is not None]
    return copy.deepcopy(value)


def fieldset_at(fields: dict[str, Any], obj: Any, path: Steps) -> dict[str, Any] | None:
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
