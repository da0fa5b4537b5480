"""Schema-aware operations on JSON objects, after sigs.k8s.io/structured-merge-diff.

These are the primitives server-side apply is defined by: the field set an applied
configuration claims (``to_field_set``), the difference between two objects
(``compare``), the apply merge (``merge``) and removal of fields an applier gave up
(``remove``). Granularity comes from the schema: struct and map fields, list-map items
keyed by ``x-kubernetes-list-map-keys``, set items by value; atomic lists/maps and
scalars are leaves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import fieldpath as fp
from .jsonutil import clone
from .schema import ANY, ANY_NODE, LIST, MAP, SCALAR, STRUCT, Node

ABSENT = object()

#: Key fields the apiserver defaults before items are keyed (containerPort+protocol).
KEY_DEFAULTS = {"protocol": "TCP"}


def _is_leaf(node: Node, value: Any) -> bool:
    if node.shape == SCALAR or node.atomic:
        return True
    if node.shape in (STRUCT, MAP, ANY):
        return not isinstance(value, dict)  # deduced (ANY) lists are atomic, maps granular
    if node.shape == LIST:
        return not isinstance(value, list) or node.list_type == "atomic"
    return True


def item_element(node: Node, item: Any) -> fp.Element:
    """Path element naming a list item: its keys for list-maps, its value for sets."""
    if node.list_type == "map" and isinstance(item, dict):
        return fp.key({k: item.get(k, KEY_DEFAULTS.get(k)) for k in node.keys if k in item or k in KEY_DEFAULTS})
    return fp.value(item)


def to_field_set(obj: Any, node: Node) -> set[fp.Path]:
    """Paths an applied configuration claims (structured-merge-diff's ToFieldSet)."""
    out: set[fp.Path] = set()

    def walk(value: Any, node: Node, path: fp.Path) -> None:
        if _is_leaf(node, value):
            out.add(path)
            return
        if isinstance(value, dict):
            for k, v in value.items():
                child = node.child(k)
                if child is None:
                    continue
                p = path + (fp.field(k),)
                declared = node.shape == STRUCT and k in (node.raw.get("properties") or {})
                if v is None or (isinstance(v, dict) and not v) or not declared:
                    out.add(p)
                walk(v, child, p)
        elif isinstance(value, list):
            item_node = node.item()
            for item in value:
                p = path + (item_element(node, item),)
                out.add(p)
                walk(item, item_node, p)

    walk(obj, node, ())
    return out


def compare(lhs: Any, rhs: Any, node: Node) -> tuple[set[fp.Path], set[fp.Path], set[fp.Path]]:
    """(added, modified, removed) paths going from ``lhs`` to ``rhs``."""
    added: set[fp.Path] = set()
    modified: set[fp.Path] = set()
    removed: set[fp.Path] = set()

    def walk(a: Any, b: Any, node: Node, path: fp.Path) -> None:
        if _is_leaf(node, b if b is not ABSENT else a) or (a is not ABSENT and _is_leaf(node, a)):
            if path:
                if a is ABSENT:
                    added.add(path)
                elif b is ABSENT:
                    removed.add(path)
                elif a != b:
                    modified.add(path)
            return
        # Every added/removed node is a member, except struct fields that have members below
        # them: those exist (empty) in the zero value of the Go type the apiserver compares.
        empty = (b if b is not ABSENT else a) in ({}, None)
        if path and (path[-1][0] != "f" or node.shape != STRUCT or empty):
            if a is ABSENT:
                added.add(path)
            elif b is ABSENT:
                removed.add(path)
        if isinstance(a if a is not ABSENT else b, dict):
            da = a if isinstance(a, dict) else {}
            db = b if isinstance(b, dict) else {}
            for k in list(da) + [k for k in db if k not in da]:
                child = node.child(k)
                if child is None:
                    continue
                walk(da.get(k, ABSENT), db.get(k, ABSENT), child, path + (fp.field(k),))
        else:
            la = _index(node, a if isinstance(a, list) else [])
            lb = _index(node, b if isinstance(b, list) else [])
            item_node = node.item()
            for pe in list(la) + [pe for pe in lb if pe not in la]:
                walk(la.get(pe, ABSENT), lb.get(pe, ABSENT), item_node, path + (pe,))

    walk(lhs, rhs, node, ())
    return added, modified, removed


def _index(node: Node, items: list[Any]) -> dict[fp.Element, Any]:
    return {item_element(node, item): item for item in items}


def merge(lhs: Any, rhs: Any, node: Node) -> Any:
    """Apply-merge ``rhs`` (the applied configuration) onto ``lhs`` (the live object)."""
    if rhs is ABSENT:
        return clone(lhs)
    if lhs is ABSENT or _is_leaf(node, rhs) or _is_leaf(node, lhs):
        return clone(rhs)
    if isinstance(rhs, dict):
        out = clone(lhs)
        for k, v in rhs.items():
            child = node.child(k)
            if child is None:
                continue
            out[k] = merge(lhs.get(k, ABSENT), v, child)
        return out
    return _merge_list(lhs, rhs, node)


def _merge_list(lhs: list[Any], rhs: list[Any], node: Node) -> list[Any]:
    """Merge associative lists the way structured-merge-diff orders them.

    Items only in the live list keep their place; shared items follow the applied
    order; new items are inserted where the applied list has them.
    """
    item_node = node.item()
    lpe = [item_element(node, i) for i in lhs]
    rpe = [item_element(node, i) for i in rhs]
    lmap, rmap = dict(zip(lpe, lhs, strict=True)), dict(zip(rpe, rhs, strict=True))
    shared = [pe for pe in rpe if pe in lmap]
    out: list[Any] = []
    done: set[fp.Element] = set()
    li = ri = 0
    while li < len(lpe) or ri < len(rpe):
        if li < len(lpe) and ri < len(rpe):
            if lpe[li] == rpe[ri]:
                pe = lpe[li]
                if pe not in done:
                    out.append(merge(lmap[pe], rmap[pe], item_node))
                    done.add(pe)
                li += 1
                ri += 1
                if shared and shared[0] == pe:
                    shared.pop(0)
                continue
            if lpe[li] in rmap and shared and shared[0] != lpe[li]:
                li += 1
                continue
        if li < len(lpe):
            pe = lpe[li]
            if pe not in rmap:
                out.append(clone(lhs[li]))
                li += 1
                continue
            if pe in done:
                li += 1
                continue
        if ri < len(rpe):
            pe = rpe[ri]
            if pe not in done:
                out.append(merge(lmap.get(pe, ABSENT), rmap[pe], item_node))
                done.add(pe)
            ri += 1
            if shared and shared[0] == pe:
                shared.pop(0)
    return out


def remove(obj: Any, paths: set[fp.Path], keep: Callable[[fp.Path], bool], node: Node) -> Any:
    """Remove the members in ``paths`` from ``obj`` unless ``keep(path)`` says otherwise.

    Maps and lists that become empty because of the removal are dropped too (the typed
    Go objects the apiserver round-trips through omit empty maps and slices).
    """

    def walk(value: Any, node: Node, path: fp.Path) -> Any:
        if isinstance(value, dict) and not _is_leaf(node, value):
            out = {}
            for k, v in value.items():
                p = path + (fp.field(k),)
                child = node.child(k) or node
                if p in paths and not keep(p):
                    continue
                nv = walk(v, child, p)
                if nv is ABSENT:
                    continue
                out[k] = nv
            if value and not out and path and node.shape != STRUCT:
                return ABSENT
            return out
        if isinstance(value, list) and not _is_leaf(node, value):
            item_node = node.item()
            out_l = []
            for item in value:
                p = path + (item_element(node, item),)
                if p in paths and not keep(p):
                    continue
                nv = walk(item, item_node, p)
                out_l.append(item if nv is ABSENT else nv)
            if value and not out_l:
                return ABSENT
            return out_l
        return value

    result = walk(obj, node, ())
    return {} if result is ABSENT else result


def unknown_fields(obj: Any, node: Node) -> list[str]:
    """Dotted paths of fields the schema does not declare (what strict validation rejects)."""
    found: list[str] = []

    def walk(value: Any, node: Node, path: str) -> None:
        if node.shape == STRUCT and isinstance(value, dict):
            for k, v in value.items():
                child = node.child(k)
                p = f"{path}.{k}"
                if child is None:
                    found.append(p)
                else:
                    walk(v, child, p)
        elif node.shape == MAP and isinstance(value, dict):
            for k, v in value.items():
                walk(v, node.child(k), f"{path}.{k}")
        elif node.shape == LIST and isinstance(value, list):
            item_node = node.item()
            for i, item in enumerate(value):
                walk(item, item_node, f"{path}[{i}]")

    walk(obj, node, "")
    return found


def prune_unknown(obj: Any, node: Node) -> Any:
    """Drop undeclared fields, as decoding into typed objects (or CRD pruning) does."""
    if node.shape == STRUCT and isinstance(obj, dict):
        return {k: prune_unknown(v, c) for k, v in obj.items() if (c := node.child(k)) is not None}
    if node.shape == MAP and isinstance(obj, dict):
        return {k: prune_unknown(v, node.child(k)) for k, v in obj.items()}
    if node.shape == LIST and isinstance(obj, list):
        item_node = node.item()
        return [prune_unknown(i, item_node) for i in obj]
    return obj


def typed_patch_errors(obj: Any, node: Node) -> list[str]:
    """Why an applied configuration cannot be typed against the schema (SMD's ObjectToTyped).

    Undeclared fields, list-map items without a key field, and duplicate keys or set
    values, each as ``<path>: <problem>`` with the path rendered like conflict paths.
    """
    found: list[str] = []

    def walk(value: Any, node: Node, path: fp.Path) -> None:
        if isinstance(value, dict) and node.shape in (STRUCT, MAP, ANY) and not node.atomic:
            for k, v in value.items():
                child = node.child(k)
                if child is None:
                    found.append(f"{fp.render(path + (fp.field(k),))}: field not declared in schema")
                else:
                    walk(v, child, path + (fp.field(k),))
        elif isinstance(value, list) and node.shape == LIST and node.list_type != "atomic":
            item_node = node.item()
            seen: set[fp.Element] = set()
            for i, item in enumerate(value):
                missing = [k for k in node.keys if isinstance(item, dict) and k not in item
                           and k not in KEY_DEFAULTS]
                if missing:
                    found.append(f"{fp.render(path)}: element {i}: associative list with keys has an element "
                                 f"that omits key field {json.dumps(missing[0])} (and doesn't have default value)")
                    continue
                pe = item_element(node, item)
                if pe in seen:
                    found.append(f"{fp.render(path)}: duplicate entries for key {fp.render((pe,))}")
                seen.add(pe)
                walk(item, item_node, path + (pe,))

    walk(obj, node, ())
    return found


def drop_empty(obj: Any, node: Node) -> Any:
    """Remove empty maps (``additionalProperties``) and empty lists, as Go's ``omitempty`` does.

    Empty structs stay: encoding/json never omits them, which is why live objects carry
    ``resources: {}`` and ``securityContext: {}``.
    """
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            child = node.child(k) or ANY_NODE
            v = drop_empty(v, child)
            if v == [] or (v == {} and child.shape == MAP):
                continue
            out[k] = v
        return out
    if isinstance(obj, list):
        item = node.item()
        return [drop_empty(i, item) for i in obj]
    return obj
