"""Legacy discovery documents (/api, /apis, /apis/<g>/<v>) and /version, built from the store.

Aggregated discovery (apidiscovery.k8s.io/v2) is not served: like an apiserver that
cannot produce it, every discovery endpoint answers with the legacy document and
``Content-Type: application/json``, which tells client-go to fall back.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .schema import ResourceType

VERSION = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.0-fakekube", "gitCommit": "0" * 40,
    "gitTreeState": "clean", "buildDate": "2024-12-11T00:00:00Z", "goVersion": "go1.23.4",
    "compiler": "gc", "platform": "linux/amd64",
}


def _version_priority(version: str) -> tuple[int, int, int]:
    """kube-aware ordering: GA > beta > alpha, then by number (v2 > v1 > v1beta1)."""
    import re

    m = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", version)
    if not m:
        return (-1, 0, 0)
    major, stage, minor = m.groups()
    rank = {"alpha": 0, "beta": 1, None: 2}[stage]
    return (rank, int(major), int(minor or 0))


def core_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group_versions(types: list[ResourceType]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for rt in types:
        if rt.group and rt.version not in groups.setdefault(rt.group, []):
            groups[rt.group].append(rt.version)
    for versions in groups.values():
        versions.sort(key=_version_priority, reverse=True)
    return groups


def group(name: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": entries,
            "preferredVersion": entries[0]}


def group_list(types: list[ResourceType]) -> dict[str, Any]:
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [group(g, vs) for g, vs in _group_versions(types).items()]}


def group_of(types: list[ResourceType], name: str) -> dict[str, Any] | None:
    versions = _group_versions(types).get(name)
    return group(name, versions) if versions else None


def resource_list(types: list[ResourceType], group_name: str, version: str) -> dict[str, Any] | None:
    mine = sorted((rt for rt in types if rt.group == group_name and rt.version == version),
                  key=lambda rt: rt.plural)
    if not mine:
        return None
    resources: list[dict[str, Any]] = []
    for rt in mine:
        entry: dict[str, Any] = {
            "name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced, "kind": rt.kind,
            "verbs": rt.verbs,
            "storageVersionHash": hashlib.sha256(f"{rt.group}/{rt.version}/{rt.kind}".encode()).hexdigest()[:11],
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        if rt.has_scale:
            resources.append({"name": f"{rt.plural}/scale", "singularName": "", "namespaced": rt.namespaced,
                              "group": "autoscaling", "version": "v1", "kind": "Scale",
                              "verbs": ["get", "patch", "update"]})
        if rt.has_status:
            resources.append({"name": f"{rt.plural}/status", "singularName": "", "namespaced": rt.namespaced,
                              "kind": rt.kind, "verbs": ["get", "patch", "update"]})
    gv = f"{group_name}/{version}" if group_name else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
