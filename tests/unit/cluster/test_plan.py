"""cluster/plan.py: staging order, scope, guardrails and duplicate objects (pure)."""

from __future__ import annotations

from kubepush.cluster.plan import (
    Guardrails,
    duplicates,
    stages,
    static_scope,
    violations,
    with_namespaces,
)
from tests.unit.cluster.objects import CLUSTER_CRD, CRD, items, obj


def test_stages_put_crds_and_namespaces_first_then_classes_then_the_rest_keeping_input_order():
    given = items(obj("ConfigMap", "a", "x"), obj("Backup", "b", "x", "example.com/v1"), CRD,
                  obj("StorageClass", "fast", api_version="storage.k8s.io/v1"), obj("Namespace", "x"),
                  obj("IngressClass", "nginx", api_version="networking.k8s.io/v1"), obj("Secret", "s", "x"))
    order = [[i.obj["metadata"]["name"] for i in stage] for stage in stages(given, static_scope(given))]
    assert order == [["backups.example.com", "x"], ["fast", "nginx"], ["a", "b", "s"]]


def test_a_namespaced_kind_named_class_is_not_a_cluster_wide_class():
    crd = obj("CustomResourceDefinition", "c", api_version="apiextensions.k8s.io/v1", spec={
        "group": "example.com", "scope": "Namespaced", "names": {"kind": "WidgetClass"}})
    given = items(crd, obj("WidgetClass", "w", "x", "example.com/v1"))
    assert [len(s) for s in stages(given, static_scope(given))] == [1, 0, 1]


def test_static_scope_knows_builtins_and_crds_in_the_set_and_nothing_else():
    scope = static_scope(items(CRD, CLUSTER_CRD))
    assert scope("v1", "ConfigMap") is True
    assert scope("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") is False
    assert scope("example.com/v1", "Backup") is True
    assert scope("example.com/v1", "Tenant") is False
    assert scope("other.io/v1", "Thing") is None


def test_with_namespaces_fills_the_default_for_namespaced_kinds_only_and_copies():
    given = items(obj("ConfigMap", "a"), obj("ConfigMap", "b", "mine"), obj("ClusterRole", "r", "oops",
                                                                             "rbac.authorization.k8s.io/v1"))
    out = with_namespaces(given, static_scope(given), "team")
    assert [i.obj["metadata"].get("namespace") for i in out] == ["team", "mine", None]
    assert "namespace" not in given[0].obj["metadata"]  # the input is not mutated


def test_guardrails_list_every_offending_object_with_every_reason():
    pod_template = {"template": {"spec": {"containers": [{"name": "c", "image": "i"}],
                                          "volumes": [{"name": "h", "hostPath": {"path": "/etc"}}]}}}
    given = items(
        obj("ConfigMap", "ok", "team"),
        obj("ConfigMap", "elsewhere", "kube-system"),
        obj("ClusterRoleBinding", "admin", api_version="rbac.authorization.k8s.io/v1"),
        obj("Deployment", "sneaky", "team", "apps/v1", spec=pod_template),
        obj("Secret", "denied", "team"),
    )
    guard = Guardrails.from_target({"restricted": True, "namespaces": ["team", "team-*"],
                                    "kinds": {"deny": ["Secret"]}})
    found = violations(given, guard, static_scope(given))
    by_name = {f.object.name: f.message for f in found}
    assert set(by_name) == {"elsewhere", "admin", "sneaky", "denied"}
    assert "namespace 'kube-system' is not allowed" in by_name["elsewhere"]
    assert "cluster-scoped" in by_name["admin"]
    assert "hostPath volume at spec.template.spec.volumes[0]" in by_name["sneaky"]
    assert "denied" in by_name["denied"]
    assert all(f.rule == "guardrail" and f.file == "m.yaml" for f in found)


def test_allowed_kinds_accept_kind_or_kind_dot_group():
    given = items(obj("Deployment", "d", "a", "apps/v1"), obj("ConfigMap", "c", "a"), obj("Service", "s", "a"))
    found = violations(given, Guardrails(allow_kinds=("Deployment.apps", "ConfigMap")), static_scope(given))
    assert [f.object.name for f in found] == ["s"]


def test_an_unrestricted_target_refuses_nothing():
    given = items(obj("ClusterRoleBinding", "x", api_version="rbac.authorization.k8s.io/v1"),
                  obj("Pod", "p", "a", spec={"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}))
    assert violations(given, Guardrails.from_target({}), static_scope(given)) == []


def test_duplicates_name_the_first_definition():
    found = duplicates(items(obj("ConfigMap", "a", "x"), obj("ConfigMap", "a", "x"), obj("ConfigMap", "a", "y")))
    assert len(found) == 1 and "m.yaml (document 0)" in found[0].message
