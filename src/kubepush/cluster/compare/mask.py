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


def mask(live: dict[str, Any] | None, want: dict[str, Any] | None) -> tuple[dict[str, Any] | None,
                                                                          dict[str, Any] | None]:
    """Secret values replaced by markers: ``***`` (same), ``*** (changed)``, ``*** (added)``."""
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


def hidden(path: Path, secret: bool) -> bool:
    """A Secret's values (and kubectl's copy of them) are never shown."""
    return secret and (path[:1] in (("data",), ("stringData",))
                       or path[:3] == ("metadata", "annotations", LAST_APPLIED))


def show(value: Any) -> str:
    """A value for a one-line message: JSON unless a string, cut at 60 characters."""
    text = json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."
