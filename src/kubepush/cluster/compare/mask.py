"""Secret values never leave the comparison: markers instead of values, and what a message may show.

A diff of a Secret still has to say *that* a value changed, or was added, without saying
what it was or is: :func:`mask` replaces each value with a marker computed from both
sides. kubectl's client-side apply keeps the whole object, values included, in its
``last-applied-configuration`` annotation, so that is masked on Secrets too. Messages
that name a single field (who drifted, what was left alone) ask :func:`hidden` first and
render the rest with :func:`show`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from kubepush.cluster.compare.fields import Path
from kubepush.cluster.compare.normalise import fold_string_data, is_secret

MASK, CHANGED, ADDED = "***", "*** (changed)", "*** (added)"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def mask(live: dict[str, Any] | None, want: dict[str, Any] | None, sealed: tuple[Path, ...] = ()
         ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Secret values replaced by markers: ``***`` (same), ``*** (changed)``, ``*** (added)``; so are
    the values at ``sealed`` paths of any kind (what SOPS encrypted in Git: :mod:`kubepush.manifests.sops`)."""
    if sealed:
        live, want = _mask_paths(live, want, sealed)
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


def _mask_paths(live: dict[str, Any] | None, want: dict[str, Any] | None, sealed: tuple[Path, ...]
                ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    live, want = copy.deepcopy(live), copy.deepcopy(want)
    for path in sealed:
        have, wanted = _at(live, path), _at(want, path)
        if wanted is not _NONE:
            _put(want, path, MASK if have == wanted else CHANGED if have is not _NONE else ADDED)
        if have is not _NONE:
            _put(live, path, MASK)
    return live, want


_NONE = object()


def _at(obj: Any, path: Path) -> Any:
    for part in path:
        try:
            obj = obj[part]
        except (KeyError, IndexError, TypeError):
            return _NONE
    return obj


def _put(obj: Any, path: Path, value: str) -> None:
    for part in path[:-1]:
        obj = obj[part]
    obj[path[-1]] = value


def hidden(path: Path, secret: bool, sealed: tuple[Path, ...] = ()) -> bool:
    """A Secret's values (and kubectl's copy of them), and what SOPS encrypted, are never shown."""
    return secret and (path[:1] in (("data",), ("stringData",))
                       or path[:3] == ("metadata", "annotations", LAST_APPLIED)) or any(
        path[:len(p)] == p or p[:len(path)] == path for p in sealed)


def show(value: Any) -> str:
    """A value for a one-line message: JSON unless a string, cut at 60 characters."""
    text = json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."
