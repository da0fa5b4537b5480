"""duplicate-list-key: two entries of a list-map with the same key.

The API server merely warns for some of these (duplicate env names, container
ports) and rejects others (containers, volumes, Service ports), but server-side
apply rejects all of them, and with client-side apply the later entry silently
hides the earlier one. The list-map keys come from the OpenAPI definitions
(``x-kubernetes-list-map-keys``), see :mod:`.schema_index`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubepush.model import format_path

from .base import Emitter, Path
from .schema_index import ARRAY, OBJECT, Node, listmap_index

#: Defaults the API server applies to list-map key fields before comparing entries.
KEY_DEFAULTS = {"protocol": "TCP"}


def check_list_maps(doc: dict[str, Any], out: Emitter) -> None:
    try:
        visit = _VISITORS[(doc.get("apiVersion"), doc.get("kind"))]
    except KeyError:
        visit = _visitor(doc.get("apiVersion"), doc.get("kind"))
    except TypeError:  # unhashable apiVersion/kind: bad input the schema layer reports
        return
    if visit is not None:
        visit(doc, (), out)


Visitor = Callable[[dict[str, Any], Path, Emitter], None]
_VISITORS: dict[tuple[object, object], Visitor | None] = {}
#: Globals of the generated visitor functions, shared so each index node is compiled once.
_GENERATED: dict[str, object] = {"_dups": None}
_NODE_FUNCTIONS: dict[int, str] = {}


def _visitor(api_version: object, kind: object) -> Visitor | None:
    node = listmap_index(api_version, kind)
    visit = None if node is None else _GENERATED[_compile(node)]
    if len(_VISITORS) > 10_000:  # bounded: custom kinds are unbounded in principle
        _VISITORS.clear()
    _VISITORS[(api_version, kind)] = visit  # type: ignore[assignment]
    return visit  # type: ignore[return-value]


def _compile(node: Node) -> str:
    """Generate a straight-line visitor function per index node; return the root's name.

    Why generate code: this walk runs on every document, and unrolling the index into
    plain ``obj.get(...)`` chains makes it several times cheaper than interpreting the
    index. Nodes shared between kinds (PodSpec, Container) are compiled once.
    """
    sources: list[str] = []

    def emit(node: Node) -> str:
        name = _NODE_FUNCTIONS.get(id(node))
        if name is not None:
            return name
        name = _NODE_FUNCTIONS[id(node)] = f"_visit_{len(_NODE_FUNCTIONS)}"
        body = []
        for field, (shape, keys, child) in node.items():
            f = repr(field)
            child_name = emit(child) if child is not None else None
            body.append(f"    v = obj.get({f})")
            if shape == ARRAY:
                body.append("    if type(v) is list:")
                if keys is not None:
                    body.append(f"        if len(v) > 1: _dups(v, {keys!r}, path + ({f},), out)")
                if child_name:
                    body.append("        for i, item in enumerate(v):")
                    body.append(f"            if type(item) is dict: {child_name}(item, path + ({f}, i), out)")
                else:
                    body.append("        pass")
            elif shape == OBJECT:
                body.append(f"    if type(v) is dict: {child_name}(v, path + ({f},), out)")
            else:
                body.append("    if type(v) is dict:")
                body.append("        for k, item in v.items():")
                body.append(f"            if type(item) is dict: {child_name}(item, path + ({f}, k), out)")
        sources.append(f"def {name}(obj, path, out):\n" + "\n".join(body or ["    pass"]))
        return name

    root = emit(node)
    _GENERATED["_dups"] = _check_duplicates
    exec(compile("\n\n".join(sources), "<kubepush list-map visitors>", "exec"), _GENERATED)
    return root


def _key_of(item: object, keys: tuple[str, ...]) -> object:
    """The list-map key of one entry (defaults applied); None when it cannot be compared."""
    if type(item) is not dict:
        return None
    if len(keys) == 1:
        return item.get(keys[0], KEY_DEFAULTS.get(keys[0]))
    key = tuple(item.get(k, KEY_DEFAULTS.get(k)) for k in keys)
    return None if None in key else key


def _check_duplicates(items: list[Any], keys: tuple[str, ...], path: Path, out: Emitter) -> None:
    if _all_distinct(items, keys):
        return
    seen: dict[object, int] = {}
    for i, item in enumerate(items):
        key = _key_of(item, keys)
        if key is None:
            continue  # a missing required key is the schema's finding
        try:
            first = seen.setdefault(key, i)
        except TypeError:  # unhashable key value (a mapping where a string belongs)
            continue
        if first != i:
            _report(out, items, keys, key, first, i, path)


def _all_distinct(items: list[Any], keys: tuple[str, ...]) -> bool:
    """Fast proof of the common case, with as few steps as possible; False means "look closer"."""
    try:
        if len(keys) == 1:
            k, default = keys[0], KEY_DEFAULTS.get(keys[0])
            return len({item.get(k, default) for item in items}) == len(items)
        if len(items) == 2 and len(keys) == 2:
            (a, b), (k1, k2) = items, keys
            d1, d2 = KEY_DEFAULTS.get(k1), KEY_DEFAULTS.get(k2)
            return bool(a.get(k1, d1) != b.get(k1, d1) or a.get(k2, d2) != b.get(k2, d2))
        return len({tuple(item.get(k, KEY_DEFAULTS.get(k)) for k in keys) for item in items}) == len(items)
    except (AttributeError, TypeError):  # a non-mapping entry or an unhashable key
        return False


def _report(out: Emitter, items: list[Any], keys: tuple[str, ...], key: Any, first: int, i: int, path: Path) -> None:
    where = format_path(path)
    if len(keys) == 1:
        out.add(
            "duplicate-list-key",
            path + (i, keys[0]),
            f'duplicate {keys[0]} "{key}" in {where} (also at index {first}; '
            f"{format_path(path[-1:])} is a list-map keyed by {keys[0]})",
            "rename or remove one entry: the later one hides the earlier with client-side apply, "
            "and server-side apply rejects the object",
        )
        return
    defaulted = [k for k in keys if k in KEY_DEFAULTS and k not in items[i]]
    note = "".join(f"; {k} defaults to {KEY_DEFAULTS[k]}" for k in defaulted)
    out.add(
        "duplicate-list-key",
        path + (i,),
        f"duplicate {'/'.join(keys)} {'/'.join(str(k) for k in key)} in {where} "
        f"(also at index {first}; list-map keyed by {'+'.join(keys)}{note})",
        "merge or remove one entry: server-side apply rejects the object, and the API server keeps only one of them",
    )
