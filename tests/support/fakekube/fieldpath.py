"""Field paths and the FieldsV1 wire format used in ``metadata.managedFields``.

A path is a tuple of elements, each ``(prefix, text)`` exactly as FieldsV1 spells the
element after its prefix: ``("f", "spec")``, ``("k", '{"name":"app"}')``,
``("v", '"foo"')``. Keeping the FieldsV1 spelling makes encoding trivial and lets a
set of paths be an ordinary Python set.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Element = tuple[str, str]
Path = tuple[Element, ...]


def field(name: str) -> Element:
    return ("f", name)


def key(values: dict[str, Any]) -> Element:
    return ("k", json.dumps(values, sort_keys=True, separators=(",", ":")))


def value(v: Any) -> Element:
    return ("v", json.dumps(v, sort_keys=True, separators=(",", ":")))


def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    """Encode a set of member paths as a FieldsV1 trie (``.`` marks a member with children)."""
    root: dict[str, Any] = {}
    members: set[Path] = set(paths)
    for path in members:
        node = root
        for prefix, text in path:
            node = node.setdefault(f"{prefix}:{text}", {})
    for path in members:
        node = root
        for prefix, text in path:
            node = node[f"{prefix}:{text}"]
        if node and "." not in node:
            node["."] = {}
    return _sorted(root)


def _sorted(node: dict[str, Any]) -> dict[str, Any]:
    return {k: _sorted(node[k]) for k in sorted(node, key=lambda k: (k != ".", k))}


def from_fields_v1(trie: dict[str, Any] | None) -> set[Path]:
    """Decode a FieldsV1 trie into its set of member paths."""
    out: set[Path] = set()

    def walk(node: dict[str, Any], prefix: Path) -> None:
        children = [k for k in node if k != "."]
        if prefix and (not children or "." in node):
            out.add(prefix)
        for k in children:
            p, _, text = k.partition(":")
            walk(node[k] or {}, prefix + ((p, text),))

    walk(trie or {}, ())
    return out


def render(path: Path) -> str:
    """Human form used in conflict messages: ``.spec.containers[name="app"].image``."""
    parts = []
    for prefix, text in path:
        if prefix == "f":
            parts.append("." + text)
        elif prefix == "k":
            items = json.loads(text)
            parts.append("[" + ",".join(f"{k}={json.dumps(v)}" for k, v in items.items()) + "]")
        elif prefix == "v":
            parts.append(f"[={text}]")
        else:
            parts.append(f"[{text}]")
    return "".join(parts)


def has_prefix(path: Path, prefix: Path) -> bool:
    return path[: len(prefix)] == prefix
