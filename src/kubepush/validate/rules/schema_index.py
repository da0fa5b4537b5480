"""Compact indexes derived once from the Kubernetes OpenAPI definitions shipped by
the ``kubernetes-validate`` package.

Why derive instead of hand-writing tables: which lists are list-maps (and keyed by
what) and which group/version/kinds exist is exactly what the API server's OpenAPI
says, and it changes every release. The definitions are read once per process, on the
first document that needs them, and parsed only as far as the kinds checked reach.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubepush.validate.definitions import Definitions

# Node of the list-map index: field -> (shape, keys, child node).
# shape: OBJECT descends into a mapping, ARRAY into each list item, MAP into each map value.
# keys: list-map key field names, None for other lists. (Lists of type "set" are left out:
# they hold scalars nobody writes twice by hand, and indexing them - volumeMounts'
# bindMountOptions - would make every volume mount a place to visit.)
OBJECT, ARRAY, MAP = 0, 1, 2
Node = dict[str, tuple[int, tuple[str, ...] | None, "Node | None"]]

#: Top-level fields that are never part of what gets applied (status is server-owned).
_SKIP_ROOT_FIELDS = frozenset({"status"})
#: Server-populated metadata that manifests do not carry; indexing them would make every
#: ObjectMeta (including those nested in templates) a place to visit.
_SKIP_FIELDS = frozenset({"ownerReferences", "managedFields"})
#: Meta kinds present in every group/version of the definitions; not real resources.
_META_KINDS = frozenset({"DeleteOptions", "WatchEvent"})


@functools.cache
def _definitions() -> Definitions:
    """The newest bundled version's definitions, shared with the schema layer's cache
    (list-map keys are the same in the strict and non-strict variants)."""
    from kubepush.validate.schemas import bundled_versions, load_definitions

    return load_definitions(bundled_versions()[-1], True)


@functools.cache
def _gvk_to_definition() -> dict[tuple[str, str], str]:
    """(apiVersion, kind) -> definition name for every built-in resource."""
    out: dict[tuple[str, str], str] = {}
    for (group, version, kind), name in _definitions().kinds().items():
        if kind not in _META_KINDS:
            out[(f"{group}/{version}" if group else version, kind)] = name
    return out


def served_apis() -> frozenset[tuple[str, str]]:
    """All (apiVersion, kind) pairs the newest known Kubernetes serves."""
    return frozenset(_gvk_to_definition())


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


class _IndexBuilder:
    """Turns definitions into pruned list-map nodes, sharing one node per definition."""

    def __init__(self, defs: Mapping[str, Any]) -> None:
        self.defs = defs
        self.nodes: dict[str, Node] = {}

    def node(self, def_name: str, root: bool = False) -> Node | None:
        if not root and def_name in self.nodes:
            return self.nodes[def_name] or None
        node: Node = {}
        if not root:
            self.nodes[def_name] = node  # placeholder first: definitions can be recursive
        for field, prop in (self.defs.get(def_name, {}).get("properties") or {}).items():
            if (root and field in _SKIP_ROOT_FIELDS) or field in _SKIP_FIELDS:
                continue
            entry = self._entry(prop)
            if entry is not None:
                node[field] = entry
        return node or None

    def _entry(self, prop: dict[str, Any]) -> tuple[int, tuple[str, ...] | None, Node | None] | None:
        list_type = prop.get("x-kubernetes-list-type")
        if "items" in prop:
            keys: tuple[str, ...] | None = None
            if list_type == "map":
                keys = tuple(prop.get("x-kubernetes-list-map-keys") or ())
            item_ref = _ref_name(prop["items"])
            child = self.node(item_ref) if item_ref else None
            if keys is None and child is None:
                return None
            return (ARRAY, keys, child)
        if isinstance(prop.get("additionalProperties"), dict):
            value_ref = _ref_name(prop["additionalProperties"])
            child = self.node(value_ref) if value_ref else None
            return (MAP, None, child) if child else None
        ref = _ref_name(prop)
        if ref:
            child = self.node(ref)
            return (OBJECT, None, child) if child else None
        return None


@functools.cache
def _builder() -> _IndexBuilder:
    return _IndexBuilder(_definitions())


_LISTMAP_CACHE: dict[tuple[Any, Any], Node | None] = {}


def listmap_index(api_version: Any, kind: Any) -> Node | None:
    """The pruned list-map node tree for a built-in kind, or None (unknown kind or no list-maps).

    Only fields that lead to a list-map are kept, so walking a document with
    it touches just those branches.
    """
    key = (api_version, kind)
    try:
        return _LISTMAP_CACHE[key]
    except KeyError:
        pass
    except TypeError:  # unhashable apiVersion/kind: bad input, the schema layer reports it
        return None
    def_name = _gvk_to_definition().get(key)
    # Nodes are finalised lazily: a placeholder filled later is fine, an empty one is pruned
    # here (recursive definitions may leave empty children behind).
    node = _prune(_builder().node(def_name, root=True)) if def_name else None
    _LISTMAP_CACHE[key] = node
    return node


def _prune(node: Node | None, _seen: set[int] | None = None) -> Node | None:
    """Drop entries whose subtree turned out empty (possible with recursive definitions)."""
    if not node:
        return None
    seen = _seen if _seen is not None else set()
    if id(node) in seen:
        return node
    seen.add(id(node))
    for field, (shape, keys, child) in list(node.items()):
        pruned = _prune(child, seen) if child is not None else None
        if pruned is None and keys is None:
            del node[field]
        elif pruned is not child:
            node[field] = (shape, keys, pruned)
    return node or None
