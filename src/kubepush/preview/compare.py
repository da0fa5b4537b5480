"""Two revisions' rendered objects of one target, compared object by object (pure).

An object is known by its identity across API versions (group, kind, namespace, name), so a
file split, a moved document or an ``apps/v1beta2`` -> ``apps/v1`` upgrade is not a prune plus
a create. What is compared is the parsed object - formatting, key order and comments are gone,
and ``"1"``/``1`` are what YAML 1.1 made of them, exactly as validate reads them - with list-maps
matched by their keys (:mod:`.keys`), so a reordered ``env`` is no change.

An object that disappears while one of the same kind and namespace appears with nearly the same
content is one rename (a configMapGenerator's hash suffix, a renamed Deployment), shown as the
fields that changed. Secret values are masked before anything is shown, with the live
comparison's markers (:mod:`kubepush.cluster.compare.mask`): a reviewer sees *that* a key changed.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubepush.cluster.compare.mask import mask
from kubepush.cluster.compare.normalise import fold_string_data
from kubepush.model import CONFIGURE, CREATE, MOVE, PRUNE, RENAME, FieldChange, ObjectDiff, ObjectRef
from kubepush.preview.keys import KeysAt, Path, key_of, keys_for, with_key_defaults

Key = tuple[str, str, str, str]
#: how alike (difflib ratio of the YAML without the name) a pruned and a created object must be to be a rename
RENAME_SIMILARITY = 0.9
#: kustomize's generator suffix (a hash of the content): ``web-config-7f5d4b9c2k``
_HASH_SUFFIX = re.compile(r"^(?P<stem>.+)-[a-z0-9]{10}$")
#: a group with more candidates than this is not searched for renames (the search is quadratic)
_RENAME_CANDIDATES = 200


@dataclass(slots=True)
class Placed:
    """One rendered object and where it is written (file, 1-based line, document index)."""

    obj: dict[str, Any]
    file: str
    line: int = 0
    document: int = 0
    #: the loaded document (:class:`kubepush.manifests.documents.Document`), to locate a field in
    doc: Any = None

    def locate(self, path: Path) -> int:
        """The line of ``path`` in the file (its nearest written ancestor), else the object's first line."""
        if self.doc is not None and path:
            line = int(self.doc.locate(path)[0])
            if line:
                return line
        return self.line

    @property
    def ref(self) -> ObjectRef:
        from kubepush.manifests.documents import object_ref

        return object_ref(self.obj)


@dataclass(frozen=True, slots=True)
class Pruning:
    """What an apply does with an object that left Git (the target's ``prune:`` settings)."""

    enabled: bool = False
    namespaces: bool = False
    crds: bool = False

    def prunes(self, obj: dict[str, Any]) -> bool:
        kind = obj.get("kind")
        if kind == "Namespace":
            return self.enabled and self.namespaces
        if kind == "CustomResourceDefinition":
            return self.enabled and self.crds
        return self.enabled


def compare(target: str, base: Mapping[Key, Placed], head: Mapping[Key, Placed], pruning: Pruning
            ) -> tuple[list[ObjectDiff], int]:
    """The object changes from ``base`` to ``head`` in head order (prunes last), and how many stayed the same."""
    out: list[ObjectDiff] = []
    unchanged = 0
    for key, new in head.items():
        old = base.get(key)
        if old is None:
            continue
        entry = _changed(target, old, new)
        if entry is None:
            unchanged += 1
        else:
            out.append(entry)
    created = [k for k in head if k not in base]
    pruned = [k for k in base if k not in head]
    renames = _renames(base, head, created, pruned)
    for key in created:
        new = head[key]
        if key in renames:
            out.append(_renamed(target, base[renames[key]], new, pruning))
            continue
        shown = mask(None, fold_string_data(new.obj))[1]
        out.append(ObjectDiff(target, new.ref, CREATE, new.file, new.line, new.document,
                              diff=unified(None, shown, str(new.ref), ("base", "head"))))
    gone = set(renames.values())
    for key in pruned:
        if key not in gone:
            old = base[key]
            shown = mask(fold_string_data(old.obj), None)[0]
            out.append(ObjectDiff(target, old.ref, PRUNE, old.file, old.line, old.document,
                                  diff=unified(shown, None, str(old.ref), ("base", "head")),
                                  note=_prune_note(old.obj, pruning)))
    return out, unchanged


def _changed(target: str, old: Placed, new: Placed) -> ObjectDiff | None:
    if _same(old.obj, new.obj):
        return _moved(target, old, new)
    keys = keys_for(new.obj)
    before, after = shown_pair(old.obj, new.obj, keys)
    fields = differences(before, after, keys)
    if not fields:  # only list-map order or typing-equal rewrites: not a change
        return _moved(target, old, new)
    return ObjectDiff(target, new.ref, CONFIGURE, new.file, new.line, new.document,
                      base_file=old.file if old.file != new.file else "", fields=fields,
                      diff=unified(align(before, after, keys), after, str(new.ref), ("base", "head")))


def unified(old: dict[str, Any] | None, new: dict[str, Any] | None, name: str, sides: tuple[str, str]) -> str:
    """The live comparison's unified YAML diff (imported here: the cluster package is costly to load,
    and most previews show few diffs)."""
    from kubepush.cluster.compare.diff import unified as diff

    return diff(old, new, name, sides)


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Equal values of equal types (``1``, ``1.0`` and ``true`` are three values, as YAML typed them),
    in one C call for the common case of an object no change touched."""
    import orjson

    try:
        return bool(orjson.dumps(old, option=orjson.OPT_SORT_KEYS) == orjson.dumps(new, option=orjson.OPT_SORT_KEYS))
    except TypeError:  # keys that are not strings: the field-by-field comparison decides
        return False


def _moved(target: str, old: Placed, new: Placed) -> ObjectDiff | None:
    if old.file == new.file:
        return None
    return ObjectDiff(target, new.ref, MOVE, new.file, new.line, new.document, base_file=old.file,
                      note="the same object, written in another file: nothing changes in the cluster")


def _renamed(target: str, old: Placed, new: Placed, pruning: Pruning) -> ObjectDiff:
    keys = keys_for(new.obj)
    before, after = shown_pair(old.obj, new.obj, keys)
    what = "prunes" if pruning.prunes(old.obj) else "leaves (prune is off)"
    return ObjectDiff(target, new.ref, RENAME, new.file, new.line, new.document,
                      base_file=old.file if old.file != new.file else "", before=old.ref,
                      fields=differences(before, after, keys),
                      diff=unified(align(before, after, keys), after, str(new.ref), ("base", "head")),
                      note=f"an apply creates {new.ref.name} and {what} {old.ref.name}")


def _prune_note(obj: dict[str, Any], pruning: Pruning) -> str:
    if pruning.prunes(obj):
        return "removed from Git: an apply deletes it from the cluster"
    if pruning.enabled:
        setting = "prune.namespaces" if obj.get("kind") == "Namespace" else "prune.customResourceDefinitions"
        return f"removed from Git: it stays in the cluster ({setting} is off for this target)"
    return "removed from Git: it stays in the cluster (prune is off for this target)"


def shown_pair(old: dict[str, Any], new: dict[str, Any], keys: KeysAt) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both sides as they are compared and a reviewer may see them: list-map key defaults written out,
    a Secret's ``stringData`` folded into ``data`` and every value of it replaced by the live
    comparison's markers (same, changed, added)."""
    before, after = mask(fold_string_data(with_key_defaults(old, keys)), fold_string_data(with_key_defaults(new, keys)))
    return before or {}, after or {}


def differences(old: Any, new: Any, keys: KeysAt, path: Path = ()) -> list[FieldChange]:
    """Leaf-level changes from ``old`` to ``new``; list-maps matched by key, other lists by position.

    Unlike the live comparison's (:func:`kubepush.cluster.compare.diff.differences`, which names list
    items by their index in the live object and knows only ``name`` as a key), paths here are the
    head's - where a reviewer finds the field - and the keys are the API server's.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for key in [*new, *(k for k in old if k not in new)]:
            if key not in old:
                out.append(FieldChange((*path, key), "added", new=new[key]))
            elif key not in new:
                out.append(FieldChange((*path, key), "removed", old=old[key]))
            else:
                out += differences(old[key], new[key], keys, (*path, key))
        return out
    if isinstance(old, list) and isinstance(new, list):
        names = keys(path, old) if old and new else None
        if names and keys(path, new) == names:
            matched = _by_key(old, names)
            if matched is not None and _by_key(new, names) is not None:
                out = []
                for i, item in enumerate(new):
                    j = matched.pop(key_of(item, names), None)
                    if j is None:
                        out.append(FieldChange((*path, i), "added", new=item))
                    else:
                        out += differences(old[j], item, keys, (*path, i))
                out += [FieldChange((*path, j), "removed", old=old[j]) for j in sorted(matched.values())]
                return out
        if len(old) == len(new):
            out = []
            for i, (a, b) in enumerate(zip(old, new, strict=True)):
                out += differences(a, b, keys, (*path, i))
            return out
    if old == new and type(old) is type(new):
        return []
    return [FieldChange(path, "changed", old, new)]


def _by_key(items: list[Any], names: tuple[str, ...]) -> dict[tuple[Any, ...], int] | None:
    """Key -> index, or None when two entries share a key (then position is all there is)."""
    out = {key_of(item, names): i for i, item in enumerate(items)}
    return out if len(out) == len(items) else None


def align(old: Any, new: Any, keys: KeysAt, path: Path = ()) -> Any:
    """``old`` with its list-map entries in ``new``'s order (the ones ``new`` lacks last), so a unified
    diff of the two shows what changed, not that entries moved."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: align(v, new[k], keys, (*path, k)) if k in new else v for k, v in old.items()}
    if isinstance(old, list) and isinstance(new, list) and old and new:
        names = keys(path, old)
        matched = _by_key(old, names) if names and keys(path, new) == names else None
        if matched is not None:
            ordered = []
            for i, item in enumerate(new):
                j = matched.pop(key_of(item, names), None) if names else None
                if j is not None:
                    ordered.append(align(old[j], item, keys, (*path, i)))
            return ordered + [old[j] for j in sorted(matched.values())]
        if len(old) == len(new):
            return [align(a, b, keys, (*path, i)) for i, (a, b) in enumerate(zip(old, new, strict=True))]
    return old


def _renames(base: Mapping[Key, Placed], head: Mapping[Key, Placed], created: list[Key], pruned: list[Key]
             ) -> dict[Key, Key]:
    """Created key -> the pruned key it renames: same group, kind and namespace, and a generator's
    hash suffix on the same stem or content nearly the same (name aside)."""
    candidates: dict[tuple[str, str, str], list[Key]] = defaultdict(list)
    for key in pruned:
        candidates[key[:3]].append(key)
    out: dict[Key, Key] = {}
    for key in created:
        pool = candidates.get(key[:3])
        if not pool or len(pool) > _RENAME_CANDIDATES:
            continue
        best, score = None, 0.0
        for old in pool:
            similarity = _similarity(base[old].obj, head[key].obj, old[3], key[3])
            if similarity > score:
                best, score = old, similarity
        if best is not None and score >= RENAME_SIMILARITY:
            out[key] = best
            pool.remove(best)
    return out


def _similarity(old: dict[str, Any], new: dict[str, Any], old_name: str, new_name: str) -> float:
    a, b = _HASH_SUFFIX.match(old_name), _HASH_SUFFIX.match(new_name)
    if a and b and a["stem"] == b["stem"]:
        return 1.0
    return difflib.SequenceMatcher(None, _text(old), _text(new), autojunk=False).ratio()


def _text(obj: dict[str, Any]) -> list[str]:
    """An object's YAML lines without its name (what a rename keeps)."""
    import json

    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "name"}
    return json.dumps({**obj, "metadata": meta}, sort_keys=True, indent=0, default=str).splitlines()
