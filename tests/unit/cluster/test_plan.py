"""Pure parts of the cluster stages: staging order, guardrails, health rules, inventory sets."""

from __future__ import annotations

import base64
import hashlib

import pytest

from kubepush.cluster import inventory as inv
from kubepush.cluster import prune
from kubepush.cluster.health import CURRENT, FAILED, IN_PROGRESS, health
from kubepush.cluster.plan import (
    Guardrails,
    Item,
    duplicates,
    stages,
    static_scope,
    violations,
    with_namespaces,
)


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


# --- health ----------------------------------------------------------------------------------
def deployment(generation=2, observed=2, replicas=3, updated=3, available=3, total=3, progressing=None):
    conditions = [{"type": "Progressing", "status": "False" if progressing else "True",
                   "reason": progressing or "NewReplicaSetAvailable", "message": "m"}]
    return {"kind": "Deployment", "metadata": {"generation": generation}, "spec": {"replicas": replicas},
            "status": {"observedGeneration": observed, "replicas": total, "updatedReplicas": updated,
                       "availableReplicas": available, "conditions": conditions}}


@pytest.mark.parametrize("kwargs, state", [
    ({}, CURRENT),
    ({"observed": 1}, IN_PROGRESS),
    ({"updated": 2}, IN_PROGRESS),
    ({"total": 4}, IN_PROGRESS),
    ({"available": 1}, IN_PROGRESS),
    ({"progressing": "ProgressDeadlineExceeded", "available": 0}, FAILED),
])
def test_deployment_health(kwargs, state):
    assert health(deployment(**kwargs)).state == state


def test_progress_deadline_exceeded_is_failed_even_with_an_old_observed_generation():
    assert health(deployment(observed=2, progressing="ProgressDeadlineExceeded")).state == FAILED


@pytest.mark.parametrize("status, state", [
    ({"conditions": [{"type": "Complete", "status": "True"}]}, CURRENT),
    ({"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}, FAILED),
    ({"active": 1}, IN_PROGRESS),
])
def test_job_health(status, state):
    assert health({"kind": "Job", "metadata": {}, "status": status}).state == state


@pytest.mark.parametrize("conditions, state", [
    ([], CURRENT),
    ([{"type": "Ready", "status": "True"}], CURRENT),
    ([{"type": "Ready", "status": "False", "reason": "Waiting"}], IN_PROGRESS),
    ([{"type": "Reconciling", "status": "True"}, {"type": "Ready", "status": "True"}], IN_PROGRESS),
    ([{"type": "Stalled", "status": "True", "reason": "Broken", "message": "bad"}], FAILED),
])
def test_custom_resource_health_by_conventional_conditions(conditions, state):
    verdict = health({"kind": "Backup", "metadata": {"generation": 1},
                      "status": {"observedGeneration": 1, "conditions": conditions}})
    assert verdict.state == state


def test_health_of_statefulsets_daemonsets_pvcs_crds():
    sts = {"kind": "StatefulSet", "metadata": {"generation": 1}, "spec": {"replicas": 2},
           "status": {"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 2,
                      "currentRevision": "a", "updateRevision": "b"}}
    assert health(sts).state == IN_PROGRESS
    sts["status"]["currentRevision"] = "b"
    assert health(sts).state == CURRENT
    ds = {"kind": "DaemonSet", "metadata": {"generation": 1}, "status": {
        "observedGeneration": 1, "desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberAvailable": 1}}
    assert health(ds).state == IN_PROGRESS
    assert health({"kind": "PersistentVolumeClaim", "metadata": {}, "status": {"phase": "Pending"}}).state == IN_PROGRESS
    assert health({"kind": "PersistentVolumeClaim", "metadata": {}, "status": {"phase": "Bound"}}).state == CURRENT
    crd = {"kind": "CustomResourceDefinition", "metadata": {}, "status": {"conditions": [
        {"type": "NamesAccepted", "status": "True"}, {"type": "Established", "status": "False"}]}}
    assert health(crd).state == IN_PROGRESS
    assert health({"kind": "ConfigMap", "metadata": {}}).state == CURRENT
    assert health({"kind": "ConfigMap", "metadata": {"deletionTimestamp": "x"}}).state == IN_PROGRESS


# --- inventory -------------------------------------------------------------------------------
def test_applyset_id_is_computed_like_kubectl():
    digest = hashlib.sha256(b"web.prod.Secret.").digest()
    expected = "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"
    assert inv.Parent("web", "prod").id == expected
    assert inv.applyset_id("web", "prod", "Secret", "") != inv.applyset_id("web", "prod", "ConfigMap", "")


def test_parent_manifest_records_group_kinds_namespaces_and_revisions():
    parent = inv.Parent("kubepush-prod", "ops")
    state = inv.State.of(parent, items(obj("Deployment", "d", "shop", "apps/v1"), obj("ConfigMap", "c", "ops"),
                                       obj("Namespace", "shop")))
    manifest = parent.manifest(inv.State(state.group_kinds, state.namespaces, "abc", "def"))
    annotations = manifest["metadata"]["annotations"]
    assert annotations[inv.CONTAINS_GROUP_KINDS] == "ConfigMap,Deployment.apps,Namespace"
    assert annotations[inv.ADDITIONAL_NAMESPACES] == "shop"
    assert annotations[inv.TOOLING].startswith("kubepush/v")
    assert (annotations[inv.REVISION], annotations[inv.HEALTHY_REVISION]) == ("abc", "def")
    assert manifest["metadata"]["labels"] == {inv.ID_LABEL: parent.id}
    assert inv.State.read(parent, manifest) == inv.State(state.group_kinds, state.namespaces, "abc", "def")


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


# --- kubepush.yaml: the cluster settings ----------------------------------------------------------
def test_config_accepts_the_cluster_settings_and_suggests_misspelt_keys(tmp_path):
    from kubepush import config
    from kubepush.cluster.spec import TargetSpec
    from kubepush.errors import UsageError

    good = tmp_path / "kubepush.yaml"
    good.write_text(
        "targets:\n"
        "  - {name: prod, path: ., context: prod, namespaces: [shop], restricted: true, recreate: true,\n"
        "     kinds: {deny: [Secret]}, prune: {enabled: true, namespaces: true}, inventory: {kind: ConfigMap}}\n"
        "apply: {timeout: 60, concurrency: 4}\n"
        "drift: {ignore: [{kind: Deployment, paths: [/spec/replicas], managers: [hpa]}]}\n")
    cfg = config.load(str(good))
    spec = TargetSpec.from_config(cfg.targets[0].raw, ".", None, None)
    assert (spec.context, spec.prune, spec.prune_namespaces, spec.prune_crds) == ("prod", True, True, False)
    assert (spec.inventory_kind, spec.recreate, spec.guard.cluster_scoped) == ("ConfigMap", True, False)
    assert cfg.section("apply")["timeout"] == 60
    for text, hint in [("apply: {timout: 5}\n", "did you mean 'timeout'?"),
                       ("targets: [{name: a, path: ., namespces: [x]}]\n", "did you mean 'namespaces'?"),
                       ("drift: {ignore: [{pahts: [/a]}]}\n", "did you mean 'paths'?")]:
        bad = tmp_path / "bad.yaml"
        bad.write_text(text)
        with pytest.raises(UsageError) as err:
            config.load(str(bad))
        assert hint.replace("'", '"') in str(err.value) or hint in str(err.value), str(err.value)
