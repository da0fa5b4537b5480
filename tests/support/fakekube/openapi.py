"""OpenAPI v3 documents: just enough for kubectl to use server-side field validation.

kubectl (apply, create, diff, replace) downloads /openapi/v3 and looks in the group
version's document for a PATCH operation tagged with the object's
``x-kubernetes-group-version-kind`` that declares the ``fieldValidation`` query
parameter; when present it leaves validation to the server (``fieldValidation=Strict``).
So each group version document lists the real paths and operations with their query
parameters; component schemas are not served (no ``kubectl explain``), and /openapi/v2
is 404 (kubectl only falls back to it when v3 is missing).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .schema import ResourceType
from .store import Store

_QUERY = {
    "get": ["pretty"],
    "list": ["allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "pretty",
             "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"],
    "post": ["dryRun", "fieldManager", "fieldValidation", "pretty"],
    "put": ["dryRun", "fieldManager", "fieldValidation", "pretty"],
    "patch": ["dryRun", "fieldManager", "fieldValidation", "force", "pretty"],
    "delete": ["dryRun", "gracePeriodSeconds", "ignoreStoreReadErrorWithClusterBreakingPotential",
               "orphanDependents", "propagationPolicy", "pretty"],
}


def _operation(rt: ResourceType, action: str, method: str, op_id: str) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "parameters": [{"name": p, "in": "query", "schema": {"type": "string" if p != "limit" else "integer"},
                        "uniqueItems": True} for p in _QUERY[method]],
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
    }


def _prefix(rt: ResourceType) -> str:
    return f"/apis/{rt.group}/{rt.version}" if rt.group else "/api/v1"


def _paths(rt: ResourceType) -> dict[str, Any]:
    base = _prefix(rt) + ("/namespaces/{namespace}" if rt.namespaced else "")
    op = f"{rt.kind}{'Namespaced' if rt.namespaced else ''}"
    collection = f"{base}/{rt.plural}"
    item = f"{collection}/{{name}}"
    paths = {
        collection: {"get": _operation(rt, "list", "list", f"list{op}"),
                     "post": _operation(rt, "post", "post", f"create{op}")},
        item: {"get": _operation(rt, "get", "get", f"read{op}"),
               "put": _operation(rt, "put", "put", f"replace{op}"),
               "patch": _operation(rt, "patch", "patch", f"patch{op}"),
               "delete": _operation(rt, "delete", "delete", f"delete{op}")},
    }
    if rt.has_status:
        paths[f"{item}/status"] = {"get": _operation(rt, "get", "get", f"read{op}Status"),
                                   "put": _operation(rt, "put", "put", f"replace{op}Status"),
                                   "patch": _operation(rt, "patch", "patch", f"patch{op}Status")}
    return paths


def _gv_key(rt: ResourceType) -> str:
    return _prefix(rt).lstrip("/")


def document(store: Store, parts: list[str]) -> dict[str, Any] | None:
    """The /openapi/v3 index or one group version's document; None means 404."""
    if not parts or parts[0] != "v3":
        return None
    types = store.types()
    by_gv: dict[str, list[ResourceType]] = {}
    for rt in types:
        by_gv.setdefault(_gv_key(rt), []).append(rt)
    if len(parts) == 1:
        return {"paths": {gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash={_hash(rts)}"}
                          for gv, rts in sorted(by_gv.items())}}
    gv = "/".join(parts[1:])
    if gv not in by_gv:
        return None
    paths: dict[str, Any] = {}
    for rt in by_gv[gv]:
        paths.update(_paths(rt))
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths,
            "components": {"schemas": {}}}


def _hash(rts: list[ResourceType]) -> str:
    text = json.dumps(sorted((rt.group, rt.version, rt.plural, rt.kind) for rt in rts))
    return hashlib.sha512(text.encode()).hexdigest()[:128].upper()
