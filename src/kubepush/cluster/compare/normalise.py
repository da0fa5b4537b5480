"""Both sides of a comparison as the API server stores them, so only real differences remain.

The live object and the dry run of the desired one have been through the same defaulting;
what still differs without being a difference is status and the metadata the server
manages (:func:`clean`), and a Secret's ``stringData``, which the server folds into
base64 ``data`` (:func:`fold_string_data`).
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from kubepush.cluster.compare.fields import copy_tree
from kubepush.cluster.plan import group_of

#: Metadata the API server owns; never part of a difference.
SERVER_METADATA = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink",
                   "deletionTimestamp", "deletionGracePeriodSeconds")


def clean(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy without status and server-managed metadata."""
    out: dict[str, Any] = copy_tree(obj)
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for key in SERVER_METADATA:
        meta.pop(key, None)
    return out


def is_secret(obj: dict[str, Any]) -> bool:
    return obj.get("kind") == "Secret" and group_of(obj.get("apiVersion", "v1")) == ""


def fold_string_data(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret's ``stringData`` as the API stores it: base64 in ``data`` (a copy)."""
    if not is_secret(obj) or not obj.get("stringData"):
        return obj
    out = copy.deepcopy(obj)
    data = out.setdefault("data", {}) or {}
    for key, value in out.pop("stringData").items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    out["data"] = data
    return out
