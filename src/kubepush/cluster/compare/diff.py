"""The differences between live and desired, cheaply ruled out first, then listed and rendered.

A scheduled drift check must not cost a dry run per object: :func:`may_differ` clears,
from the live object alone, every object an apply cannot change. For the rest the live
object and the dry run are compared leaf by leaf (:func:`differences`), named list items
aligned by name so one inserted container is one difference, not a cascade; and shown as
a unified YAML diff (:func:`unified`) - masked first by the caller (:mod:`.mask`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from kubepush.cluster.compare.fields import ABSENT, FIELD_MANAGER, Path
from kubepush.cluster.compare.normalise import fold_string_data


def may_differ(desired: dict[str, Any], live: dict[str, Any]) -> bool:
    """False only when applying ``desired`` (as :func:`~.ignore.respect` made it) cannot change ``live``.

    That holds when every value in ``desired`` is already live (lists compared whole,
    position by position) and kubepush owns no field that ``desired`` no longer has
    (which an apply would remove). Anything else - including values the server
    normalises - is left to the dry run.
    """
    want = fold_string_data(desired)
    if not subset(want, live):
        return True
    fieldset = _our_fieldset(live)
    declared = _field_paths(want) | _field_paths(desired)  # a Secret's stringData as written, too
    return fieldset is None or not _fieldset_paths(fieldset)[0] <= declared


def apply_is_noop(desired: dict[str, Any], live: dict[str, Any]) -> bool:
    """True when server-side applying ``desired`` would leave ``live`` exactly as it is, its
    ``managedFields`` included, so an apply need not send it (Argo CD skips in-sync objects too).

    On top of :func:`may_differ`'s test, kubepush must already own every field ``desired``
    declares (a field inside an atomic one, such as a label selector, is owned with it): where
    another manager set a value first, the apply would make kubepush a co-owner, and only then
    does removing the field from Git later remove it from the cluster. The identity fields
    (``apiVersion``, ``kind``, name, namespace, ...) are never in ``managedFields``. Any doubt - a
    value the server normalises, a status in the manifest - reads as "send it", which costs
    one request and changes nothing.
    """
    want = fold_string_data(desired)
    fieldset = _our_fieldset(live, desired.get("apiVersion"))
    if fieldset is None or not subset(want, live):
        return False
    forms = [_field_paths(desired)] if want is desired else [_field_paths(desired), _field_paths(want)]
    owned, atomic = _fieldset_paths(fieldset)
    if not owned <= set().union(*forms):  # an apply would remove what Git no longer has
        return False

    def covered(path: Path) -> bool:
        return path in owned or any(path[:i] in atomic for i in range(1, len(path)))

    return any(all(covered(path) for path in paths - _NEVER_OWNED) for paths in forms)


#: the fields the server's field manager never records as owned: what names the object, and what
#: the server itself maintains (the strip set of apimachinery's ``managedfields/internal/stripmeta.go``)
_NEVER_OWNED = {("apiVersion",), ("kind",), ("metadata",)} | {("metadata", name) for name in (
    "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields",
    "resourceVersion")}


def _our_fieldset(live: dict[str, Any], api_version: str | None = None) -> dict[str, Any] | None:
    """The FieldsV1 set of kubepush's Apply entry in ``live`` (None: it owns nothing there), and
    only one recorded in ``api_version`` when given: a set is in its version's field names."""
    ours = next((m for m in (live.get("metadata") or {}).get("managedFields") or []
                 if m.get("manager") == FIELD_MANAGER and m.get("operation") == "Apply"
                 and not m.get("subresource")), None)
    if ours is None or (api_version is not None and ours.get("apiVersion") != api_version):
        return None
    return ours.get("fieldsV1") or {}


def subset(want: Any, have: Any) -> bool:
    """Every value of ``want`` is in ``have`` (maps may have more keys; lists match whole, by position)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and subset(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(
            subset(w, h) for w, h in zip(want, have, strict=True))
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


def _fieldset_paths(fields: dict[str, Any]) -> tuple[set[Path], set[Path]]:
    """The same for a FieldsV1 set (``f:`` members only, stopping at list members), and among
    them the fields it owns whole (``{}``: atomic structs, and leaves) - one walk for both."""
    owned: set[Path] = set()
    whole: set[Path] = set()

    def walk(node: dict[str, Any], prefix: Path) -> None:
        for key, value in node.items():
            if key.startswith("f:"):
                path = (*prefix, key[2:])
                owned.add(path)
                if value == {}:
                    whole.add(path)
                elif isinstance(value, dict) and not any(k[:2] in ("k:", "v:", "i:") for k in value):
                    walk(value, path)

    walk(fields, ())
    return owned, whole


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
            out += differences(live.get(key, ABSENT), want.get(key, ABSENT), (*path, key))
        return out
    if isinstance(live, list) and isinstance(want, list):
        if _named(live) and _named(want):
            by_name = {item["name"]: i for i, item in enumerate(live)}
            out = []
            for item in want:
                i = by_name.pop(item["name"], None)
                out += differences(live[i] if i is not None else ABSENT, item,
                                   (*path, i if i is not None else len(live)))
            out += [Difference((*path, i), live[i], ABSENT) for i in sorted(by_name.values())]
            return out
        if len(live) == len(want):
            out = []
            for i, (a, b) in enumerate(zip(live, want, strict=True)):
                out += differences(a, b, (*path, i))
            return out
    if live is ABSENT and want is ABSENT or live == want and type(live) is type(want):
        return []
    return [Difference(path, live, want)]


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items)


def unified(live: dict[str, Any] | None, want: dict[str, Any] | None, name: str,
            sides: tuple[str, str] = ("live", "git")) -> str:
    """A unified diff of the two objects as YAML, ``live`` first (``---``) and desired (``+++``);
    ``sides`` name them (the rendered preview compares two revisions: ``base``, ``head``)."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter when PyYAML has it

    def lines(obj: dict[str, Any] | None) -> list[str]:
        return [] if obj is None else yaml.dump(obj, Dumper=dumper, sort_keys=True, default_flow_style=False
                                                ).splitlines()

    return "\n".join(difflib.unified_diff(lines(live), lines(want), f"{sides[0]}/{name}", f"{sides[1]}/{name}",
                                          lineterm="", n=3))
