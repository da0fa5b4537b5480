"""cluster/prune.py: what a prune deletes and what it keeps (pure)."""

from __future__ import annotations

from kubepush.cluster import prune
from tests.unit.cluster.objects import obj


def test_prune_plan_deletes_what_left_git_but_protects_namespaces_crds_and_opted_out_objects():
    def live(kind, name, namespace="", api_version="v1", annotations=None):
        o = obj(kind, name, namespace or None, api_version)
        o["metadata"]["namespace"] = namespace
        if annotations:
            o["metadata"]["annotations"] = annotations
        return o

    members = [live("ConfigMap", "keep", "a"), live("ConfigMap", "gone", "a"), live("Namespace", "old"),
               live("CustomResourceDefinition", "x.io", api_version="apiextensions.k8s.io/v1"),
               live("Secret", "precious", "a", annotations={prune.PRUNE_ANNOTATION: "disabled"})]
    desired = {("", "ConfigMap", "a", "keep")}
    plan = prune.prune_plan(members, desired)
    assert [o["metadata"]["name"] for o in plan.delete] == ["gone"]
    assert sorted(o["metadata"]["name"] for o, _ in plan.kept) == ["old", "precious", "x.io"]
    plan = prune.prune_plan(members, desired, namespaces=True, crds=True)
    assert sorted(o["metadata"]["name"] for o in plan.delete) == ["gone", "old", "x.io"]
