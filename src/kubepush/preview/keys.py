"""Which lists of an object are maps, and by which keys - so a reordered list is no change.

The keys are the API server's own (``x-kubernetes-list-map-keys`` of the OpenAPI definitions),
read from the index the ``duplicate-list-key`` rule uses (:mod:`kubepush.validate.rules.schema_index`),
with the defaults it applies to key fields (``protocol: TCP``). Kinds the definitions do not know
(custom resources) fall back to what the live comparison does: a list of mappings that all have a
distinct string ``name`` is keyed by it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Path = tuple[str | int, ...]
#: the keys of the list at a path (None: not a list-map)
KeysAt = Callable[[Path, list[Any]], tuple[str, ...] | None]
_NAME = ("name",)


def keys_for(obj: dict[str, Any]) -> KeysAt:
    """The list-map keys of ``obj``'s kind, by path (the index is loaded on the first object that changed)."""
    from kubepush.validate.rules.schema_index import ARRAY, MAP, OBJECT, listmap_index

    try:
        root = listmap_index(obj.get("apiVersion"), obj.get("kind"))
    except Exception:  # noqa: BLE001 - an unreadable schema must not stop a preview: fall back to names
        root = None

    def at(path: Path, items: list[Any]) -> tuple[str, ...] | None:
        if root is None:
            return _NAME if _named(items) else None
        node: Any = root
        keys: tuple[str, ...] | None = None
        steps = list(path)
        while steps:
            entry = node.get(str(steps.pop(0))) if node is not None else None
            if entry is None:
                return None  # the definitions lead to no list-map here
            shape, keys, node = entry
            if shape in (ARRAY, MAP) and steps:
                steps.pop(0)  # the item index or map key
                keys = None
            elif shape == OBJECT:
                keys = None
        return keys if keys and all(isinstance(i, dict) for i in items) else None

    return at


def key_of(item: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...]:
    """An entry's key, with the defaults the API server gives key fields."""
    from kubepush.validate.rules.listmaps import KEY_DEFAULTS

    return tuple(_hashable(item.get(k, KEY_DEFAULTS.get(k))) for k in keys)


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _named(items: list[Any]) -> bool:
    names = [i.get("name") if isinstance(i, dict) else None for i in items]
    return bool(items) and all(isinstance(n, str) for n in names) and len(set(names)) == len(names)


def with_key_defaults(node: Any, keys: KeysAt, path: Path = ()) -> Any:
    """A copy of ``node`` whose list-map entries have their key fields' defaults written out, as the
    API server stores them: ``{containerPort: 80}`` and ``{containerPort: 80, protocol: TCP}`` are one port."""
    from kubepush.validate.rules.listmaps import KEY_DEFAULTS

    if isinstance(node, dict):
        return {k: with_key_defaults(v, keys, (*path, k)) for k, v in node.items()}
    if isinstance(node, list):
        names = keys(path, node) if node else None
        defaults = {k: KEY_DEFAULTS[k] for k in names or () if k in KEY_DEFAULTS}
        return [with_key_defaults({**defaults, **item} if defaults and isinstance(item, dict) else item, keys,
                                  (*path, i)) for i, item in enumerate(node)]
    return node
