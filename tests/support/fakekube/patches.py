"""The three non-apply PATCH formats: JSON merge patch, strategic merge patch, JSON patch."""

from __future__ import annotations

from typing import Any

from .jsonutil import clone
from .schema import ANY_NODE, LIST, Node
from .status import bad_request

_DIRECTIVE = "$patch"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    out = clone(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def strategic_merge_patch(target: Any, patch: Any, node: Node) -> Any:
    """Strategic merge patch driven by the ``x-kubernetes-patch-*`` schema extensions.

    Lists whose patch strategy is ``merge`` merge by their patch merge key (or as a set of
    primitives); other lists are replaced. Supports ``$patch: delete|replace`` on maps and
    list items, ``$retainKeys``, ``$deleteFromPrimitiveList/<field>``; ``$setElementOrder``
    is accepted and ignored (order follows the live list, new items appended).
    """
    if not isinstance(patch, dict):
        return clone(patch)
    if patch.get(_DIRECTIVE) == "replace":
        return {k: v for k, v in clone(patch).items() if k != _DIRECTIVE}
    if patch.get(_DIRECTIVE) == "delete":
        return None
    out = clone(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$retainKeys", _DIRECTIVE):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            name = k.split("/", 1)[1]
            out[name] = [i for i in out.get(name) or [] if i not in v]
            continue
        child = node.child(k) or ANY_NODE
        strategy = (child.raw or {}).get("x-kubernetes-patch-strategy", "").split(",")
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and child.shape == LIST and "merge" in strategy:
            out[k] = _merge_list(out.get(k) or [], v, child)
        elif isinstance(v, dict):
            merged = strategic_merge_patch(out.get(k), v, child)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        else:
            out[k] = clone(v)
    if isinstance(patch.get("$retainKeys"), list):
        out = {k: v for k, v in out.items() if k in patch["$retainKeys"]}
    return out


def _merge_list(current: list[Any], patch: list[Any], node: Node) -> list[Any]:
    key = node.raw.get("x-kubernetes-patch-merge-key")
    if key is None:
        return current + [i for i in patch if i not in current]
    out = clone(current)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise bad_request(f"map: {item!r} does not contain declared merge key: {key}")
        idx = next((i for i, c in enumerate(out) if isinstance(c, dict) and c.get(key) == item[key]), None)
        if item.get(_DIRECTIVE) == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append({k: v for k, v in clone(item).items() if k != _DIRECTIVE})
        else:
            out[idx] = strategic_merge_patch(out[idx], item, node.item())
    return out


def json_patch(target: Any, ops: Any) -> Any:
    """RFC 6902 add/remove/replace/move/copy/test over JSON pointers."""
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    doc = clone(target)
    for op in ops:
        kind, path = op.get("op"), op.get("path", "")
        if kind in ("add", "replace", "test"):
            value = clone(op.get("value"))
        if kind == "test":
            if _get(doc, path) != value:
                raise bad_request(f"testing value {path} failed: test failed")
            continue
        if kind in ("move", "copy"):
            value = clone(_get(doc, op.get("from", "")))
            if kind == "move":
                doc = _remove(doc, op["from"])
            kind = "add"
        if kind == "remove":
            doc = _remove(doc, path)
        elif kind == "add":
            doc = _put(doc, path, value, insert=True)
        elif kind == "replace":
            _get(doc, path)
            doc = _put(doc, path, value, insert=False)
        else:
            raise bad_request(f"Unexpected kind: {kind}")
    return doc


def _tokens(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _get(doc: Any, path: str) -> Any:
    for t in _tokens(path):
        try:
            doc = doc[int(t)] if isinstance(doc, list) else doc[t]
        except (KeyError, IndexError, ValueError, TypeError):
            raise bad_request(f"the server rejected our request due to an error in our request: "
                              f"doc is missing path: {path}") from None
    return doc


def _put(doc: Any, path: str, value: Any, insert: bool) -> Any:
    tokens = _tokens(path)
    if not tokens:
        return value
    parent = _get(doc, "/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens[:-1])) \
        if len(tokens) > 1 else doc
    last = tokens[-1]
    if isinstance(parent, list):
        idx = len(parent) if last == "-" else int(last)
        if insert:
            parent.insert(idx, value)
        else:
            parent[idx] = value
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise bad_request(f"doc is missing path: {path}")
    return doc


def _remove(doc: Any, path: str) -> Any:
    tokens = _tokens(path)
    _get(doc, path)
    parent = _get(doc, "/" + "/".join(tokens[:-1])) if len(tokens) > 1 else doc
    if isinstance(parent, list):
        parent.pop(int(tokens[-1]))
    else:
        parent.pop(tokens[-1])
    return doc
