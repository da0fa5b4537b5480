"""What the cluster unit tests share: manifest objects and the plan items made of them; not a test
module."""

from __future__ import annotations

from kubepush.cluster.plan import Item


def obj(kind, name, namespace=None, api_version="v1", **extra):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **extra}


CRD = obj("CustomResourceDefinition", "backups.example.com", api_version="apiextensions.k8s.io/v1", spec={
    "group": "example.com", "scope": "Namespaced", "names": {"kind": "Backup", "plural": "backups"}})
CLUSTER_CRD = obj("CustomResourceDefinition", "tenants.example.com", api_version="apiextensions.k8s.io/v1", spec={
    "group": "example.com", "scope": "Cluster", "names": {"kind": "Tenant", "plural": "tenants"}})


def items(*objs):
    return [Item(o, "m.yaml", i) for i, o in enumerate(objs)]
