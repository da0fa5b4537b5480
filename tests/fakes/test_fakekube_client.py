"""The fake apiserver against the real ``kubernetes`` Python client (DynamicClient).

Each test asserts what the Kubernetes API documents for the behaviour: status codes,
Status bodies, managedFields, server-side apply semantics.
"""

from __future__ import annotations

import json
import time

import pytest
import urllib3

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import config, dynamic  # noqa: E402
from kubernetes.dynamic.exceptions import (  # noqa: E402
    ApiException,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnprocessibleEntityError,
)

from tests.support.fakekube.publisher import ROOT_CA  # noqa: E402

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
            {"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
             "env": [{"name": "A", "value": "1"}]}]}},
    },
}


def _client(fake, tmp_path, token=None):
    path = fake.write_kubeconfig(str(tmp_path / "kc"), token=token) if token else fake.kubeconfig_path
    configuration = kubernetes.client.Configuration()
    config.load_kube_config(config_file=path, client_configuration=configuration)
    configuration.retries = False  # fault tests must see the first failure
    return dynamic.DynamicClient(kubernetes.client.ApiClient(configuration),
                                 cache_file=str(tmp_path / "discovery.json"))


@pytest.fixture
def dyn(fake_kube, tmp_path):
    return _client(fake_kube, tmp_path)


def _deployments(dyn):
    return dyn.resources.get(api_version="apps/v1", kind="Deployment")


def _apply(resource, body, manager, **kw):
    return resource.server_side_apply(body=body, name=body["metadata"]["name"],
                                      namespace=body["metadata"].get("namespace"), field_manager=manager, **kw)


def _body(exc: ApiException) -> dict:
    return json.loads(exc.body)


def _managers(obj) -> dict[str, dict]:
    return {m["manager"]: m for m in obj.to_dict()["metadata"]["managedFields"]}


def test_discovery_lists_builtin_kinds_with_scope(dyn):
    kinds = {(r.group_version, r.kind): r for r in dyn.resources.search() if r.name and "/" not in r.name}
    for gv, kind in [("v1", "Namespace"), ("v1", "ConfigMap"), ("apps/v1", "Deployment"),
                     ("batch/v1", "CronJob"), ("networking.k8s.io/v1", "Ingress"),
                     ("rbac.authorization.k8s.io/v1", "ClusterRole"), ("policy/v1", "PodDisruptionBudget"),
                     ("autoscaling/v2", "HorizontalPodAutoscaler"),
                     ("apiextensions.k8s.io/v1", "CustomResourceDefinition")]:
        assert (gv, kind) in kinds, kind
    assert kinds[("v1", "ConfigMap")].namespaced is True
    assert kinds[("v1", "Namespace")].namespaced is False
    assert kinds[("apps/v1", "Deployment")].short_names == ["deploy"]


def test_create_get_list_with_selectors_and_pagination(dyn):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    for i in range(5):
        cms.create(body={"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": f"cm{i}", "labels": {"tier": "a" if i % 2 else "b"}},
                         "data": {"i": str(i)}}, namespace="default")
    got = cms.get(name="cm3", namespace="default")
    assert got.data.i == "3"
    assert got.metadata.uid and got.metadata.creationTimestamp and int(got.metadata.resourceVersion) > 0

    selected = cms.get(namespace="default", label_selector="tier=a")
    assert sorted(i.metadata.name for i in selected.items) == ["cm1", "cm3"]
    assert [i.metadata.name for i in cms.get(namespace="default", label_selector="tier in (b),tier!=x").items] \
        == ["cm0", "cm2", "cm4"]
    assert [i.metadata.name for i in cms.get(namespace="default", field_selector="metadata.name=cm2").items] \
        == ["cm2"]

    page1 = cms.get(namespace="default", limit=2)
    assert [i.metadata.name for i in page1.items] == ["cm0", "cm1"]
    # cm2..cm4 and the kube-root-ca.crt the controller-manager publishes in every namespace
    assert page1.metadata["continue"] and page1.metadata.remainingItemCount == 4
    page2 = cms.get(namespace="default", limit=2, _continue=page1.metadata["continue"])
    assert [i.metadata.name for i in page2.items] == ["cm2", "cm3"]

    with pytest.raises(ConflictError) as exc:
        cms.create(body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm0"}}, namespace="default")
    assert _body(exc.value)["reason"] == "AlreadyExists"
    assert _body(exc.value)["message"] == 'configmaps "cm0" already exists'
    with pytest.raises(NotFoundError) as exc:
        cms.get(name="nope", namespace="default")
    assert _body(exc.value) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'configmaps "nope" not found', "reason": "NotFound",
        "details": {"name": "nope", "kind": "configmaps"}, "code": 404}


def test_field_selector_on_unknown_field_is_bad_request(dyn):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    with pytest.raises(ApiException) as exc:
        cms.get(namespace="default", field_selector="spec.foo=bar")
    assert exc.value.status == 400 and _body(exc.value)["reason"] == "BadRequest"


def test_create_in_missing_namespace_is_not_found(dyn):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    with pytest.raises(NotFoundError) as exc:
        cms.create(body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, namespace="nowhere")
    assert _body(exc.value)["message"] == 'namespaces "nowhere" not found'


def test_ssa_conflict_then_force_moves_ownership(dyn):
    deps = _deployments(dyn)
    created = _apply(deps, DEPLOYMENT, "kubepush")
    mf = _managers(created)["kubepush"]
    assert mf["operation"] == "Apply" and mf["apiVersion"] == "apps/v1" and mf["fieldsType"] == "FieldsV1"
    fields = mf["fieldsV1"]
    assert "f:replicas" in fields["f:spec"]
    container = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"app"}']
    assert container["."] == {} and "f:image" in container
    assert 'k:{"containerPort":80,"protocol":"TCP"}' in container["f:ports"]
    assert 'k:{"name":"A"}' in container["f:env"]
    assert fields["f:spec"]["f:selector"] == {}  # LabelSelector is an atomic map

    other = json.loads(json.dumps(DEPLOYMENT))
    other["spec"]["replicas"] = 5
    with pytest.raises(ConflictError) as exc:
        _apply(deps, other, "ci-bot")
    body = _body(exc.value)
    assert body["code"] == 409 and body["reason"] == "Conflict"
    assert body["message"] == 'Apply failed with 1 conflict: conflict with "kubepush": .spec.replicas'
    assert body["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "kubepush"', "field": ".spec.replicas"}]
    assert deps.get(name="web", namespace="default").spec.replicas == 2

    forced = _apply(deps, other, "ci-bot", force_conflicts=True)
    assert forced.spec.replicas == 5
    managers = _managers(forced)
    assert "f:replicas" in managers["ci-bot"]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in managers["kubepush"]["fieldsV1"]["f:spec"]
    # Same value for a shared field is co-ownership, not a conflict.
    assert "f:image" in managers["ci-bot"]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][
        'k:{"name":"app"}']


def test_update_manager_conflict_names_version(dyn, fake_kube):
    deps = _deployments(dyn)
    _apply(deps, DEPLOYMENT, "kubepush")
    fake_kube.edit("Deployment", "default", "web", {"spec": {"replicas": 7}}, manager="kubectl-edit")
    with pytest.raises(ConflictError) as exc:
        _apply(deps, DEPLOYMENT, "kubepush")
    assert _body(exc.value)["message"] == (
        'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas')


def test_multiple_conflicts_message(dyn, fake_kube):
    deps = _deployments(dyn)
    _apply(deps, DEPLOYMENT, "a")
    changed = json.loads(json.dumps(DEPLOYMENT))
    changed["spec"]["replicas"] = 3
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    with pytest.raises(ConflictError) as exc:
        _apply(deps, changed, "b")
    body = _body(exc.value)
    assert body["message"] == (
        'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n'
        '- .spec.template.spec.containers[name="app"].image')
    assert [c["field"] for c in body["details"]["causes"]] == [
        ".spec.replicas", '.spec.template.spec.containers[name="app"].image']


def test_reapply_unchanged_keeps_resource_version_and_drops_removed_fields(dyn):
    deps = _deployments(dyn)
    first = _apply(deps, DEPLOYMENT, "kubepush")
    again = _apply(deps, DEPLOYMENT, "kubepush")
    assert again.metadata.resourceVersion == first.metadata.resourceVersion

    slim = json.loads(json.dumps(DEPLOYMENT))
    del slim["spec"]["template"]["spec"]["containers"][0]["env"]
    slim["metadata"]["labels"] = {"app": "web", "team": "x"}
    after = _apply(deps, slim, "kubepush")
    container = after.spec.template.spec.containers[0]
    assert container.env is None
    assert after.to_dict()["metadata"]["labels"] == {"app": "web", "team": "x"}
    assert int(after.metadata.resourceVersion) > int(first.metadata.resourceVersion)
    assert after.metadata.generation == 2  # spec changed


def test_removed_field_stays_when_another_manager_owns_it(dyn, fake_kube):
    deps = _deployments(dyn)
    cfg = json.loads(json.dumps(DEPLOYMENT))
    cfg["metadata"]["labels"]["shared"] = "yes"
    _apply(deps, cfg, "one")
    _apply(deps, cfg, "two")
    del cfg["metadata"]["labels"]["shared"]
    after = _apply(deps, cfg, "one")
    assert after.metadata.labels["shared"] == "yes"
    after = _apply(deps, cfg, "two")
    assert "shared" not in after.metadata.labels


def test_generation_bumps_on_spec_not_metadata(dyn):
    deps = _deployments(dyn)
    created = _apply(deps, DEPLOYMENT, "kubepush")
    assert created.metadata.generation == 1
    labelled = deps.patch(name="web", namespace="default", body={"metadata": {"labels": {"x": "y"}}},
                          content_type="application/merge-patch+json")
    assert labelled.metadata.generation == 1
    scaled = deps.patch(name="web", namespace="default", body={"spec": {"replicas": 4}},
                        content_type="application/merge-patch+json")
    assert scaled.metadata.generation == 2


def test_server_defaults_are_filled_in(dyn):
    deps = _deployments(dyn)
    obj = _apply(deps, DEPLOYMENT, "kubepush").to_dict()
    spec = obj["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%",
                                                                            "maxSurge": "25%"}}
    assert spec["revisionHistoryLimit"] == 10 and spec["progressDeadlineSeconds"] == 600
    c = spec["template"]["spec"]["containers"][0]
    assert c["imagePullPolicy"] == "IfNotPresent" and c["terminationMessagePath"] == "/dev/termination-log"
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    svc = dyn.resources.get(api_version="v1", kind="Service").create(namespace="default", body={
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}).to_dict()
    assert svc["spec"]["type"] == "ClusterIP" and svc["spec"]["sessionAffinity"] == "None"
    assert svc["spec"]["clusterIP"].startswith("10.96.") and svc["spec"]["clusterIPs"] == [svc["spec"]["clusterIP"]]
    assert svc["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert "generation" not in svc["metadata"]


def test_dry_run_never_persists(dyn, fake_kube):
    deps = _deployments(dyn)
    preview = _apply(deps, DEPLOYMENT, "kubepush", dry_run="All")
    assert preview.spec.replicas == 2 and preview.spec.revisionHistoryLimit == 10  # defaulted
    assert fake_kube.get("Deployment", "default", "web") is None
    with pytest.raises(NotFoundError):
        deps.get(name="web", namespace="default")

    live = _apply(deps, DEPLOYMENT, "kubepush")
    changed = json.loads(json.dumps(DEPLOYMENT))
    changed["spec"]["replicas"] = 9
    preview = _apply(deps, changed, "kubepush", dry_run="All")
    assert preview.spec.replicas == 9 and preview.metadata.generation == 2
    assert deps.get(name="web", namespace="default").spec.replicas == 2
    assert deps.get(name="web", namespace="default").metadata.resourceVersion == live.metadata.resourceVersion

    deps.delete(name="web", namespace="default", dry_run="All")
    assert deps.get(name="web", namespace="default").metadata.uid == live.metadata.uid
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.create(namespace="default", dry_run="All",
               body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dry"}})
    assert fake_kube.get("ConfigMap", "default", "dry") is None


def test_immutable_selector_is_422_invalid(dyn):
    deps = _deployments(dyn)
    _apply(deps, DEPLOYMENT, "kubepush")
    changed = json.loads(json.dumps(DEPLOYMENT))
    changed["spec"]["selector"] = {"matchLabels": {"app": "web", "v": "2"}}
    changed["spec"]["template"]["metadata"]["labels"]["v"] = "2"
    with pytest.raises(UnprocessibleEntityError) as exc:
        _apply(deps, changed, "kubepush")
    body = _body(exc.value)
    assert body["reason"] == "Invalid" and body["code"] == 422
    assert body["message"].startswith('Deployment.apps "web" is invalid: spec.selector: Invalid value: ')
    assert body["message"].endswith("field is immutable")
    assert body["details"]["kind"] == "Deployment" and body["details"]["group"] == "apps"
    assert body["details"]["causes"][0]["field"] == "spec.selector"
    assert body["details"]["causes"][0]["reason"] == "FieldValueInvalid"


def test_job_template_and_pvc_spec_are_immutable(dyn):
    jobs = dyn.resources.get(api_version="batch/v1", kind="Job")
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": "default"},
           "spec": {"template": {"spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "m", "image": "migrate:1"}]}}}}
    created = _apply(jobs, job, "kubepush")
    assert created.spec.selector.matchLabels["batch.kubernetes.io/controller-uid"] == created.metadata.uid
    job["spec"]["template"]["spec"]["containers"][0]["image"] = "migrate:2"
    with pytest.raises(UnprocessibleEntityError) as exc:
        _apply(jobs, job, "kubepush")
    assert [c["field"] for c in _body(exc.value)["details"]["causes"]] == ["spec.template"]

    pvcs = dyn.resources.get(api_version="v1", kind="PersistentVolumeClaim")
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "default"},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    _apply(pvcs, pvc, "kubepush")
    pvc["spec"]["resources"]["requests"]["storage"] = "2Gi"
    assert _apply(pvcs, pvc, "kubepush").spec.resources.requests.storage == "2Gi"
    pvc["spec"]["accessModes"] = ["ReadWriteMany"]
    with pytest.raises(UnprocessibleEntityError) as exc:
        _apply(pvcs, pvc, "kubepush")
    assert "spec: Forbidden: spec is immutable after creation" in _body(exc.value)["message"]


def test_put_with_stale_resource_version_is_conflict(dyn):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cm = cms.create(namespace="default", body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                                               "data": {"a": "1"}}).to_dict()
    cm["data"]["a"] = "2"
    updated = cms.replace(body=cm, namespace="default")
    assert updated.data.a == "2"
    cm["data"]["a"] = "3"  # still carries the old resourceVersion
    with pytest.raises(ConflictError) as exc:
        cms.replace(body=cm, namespace="default")
    assert _body(exc.value)["message"] == (
        'Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your '
        "changes to the latest version and try again")


def test_strict_field_validation_rejects_unknown_fields(dyn):
    deps = _deployments(dyn)
    bad = json.loads(json.dumps(DEPLOYMENT))
    bad["spec"]["replicaz"] = 3
    with pytest.raises(ApiException) as exc:
        _apply(deps, bad, "k")  # apply always types the patch against the schema
    # The fieldmanager returns a plain error, which the apiserver sends as a reasonless 500.
    assert exc.value.status == 500 and "reason" not in _body(exc.value)
    assert _body(exc.value)["message"] == (
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): "
        ".spec.replicaz: field not declared in schema")
    with pytest.raises(ApiException) as exc:
        deps.create(body=bad, namespace="default", query_params=[("fieldValidation", "Strict")])
    assert _body(exc.value)["message"] == 'strict decoding error: unknown field "spec.replicaz"'
    # The default (Warn) drops the field and succeeds.
    assert "replicaz" not in deps.create(body=bad, namespace="default").to_dict()["spec"]


def test_strategic_merge_patch_merges_containers_by_name(dyn):
    deps = _deployments(dyn)
    _apply(deps, DEPLOYMENT, "kubepush")
    patched = deps.patch(name="web", namespace="default", content_type="application/strategic-merge-patch+json",
                         body={"spec": {"template": {"spec": {"containers": [
                             {"name": "app", "image": "nginx:1.27", "env": [{"name": "B", "value": "2"}]}]}}}})
    c = patched.spec.template.spec.containers
    assert len(c) == 1 and c[0].image == "nginx:1.27"
    assert [e.name for e in c[0].env] == ["A", "B"]
    managers = _managers(patched)
    assert "f:image" not in managers["kubepush"]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][
        'k:{"name":"app"}']  # the Update manager took the changed field
    update_mgr = [m for m in managers.values() if m["operation"] == "Update"]
    assert len(update_mgr) == 1


def test_namespace_deletion_removes_contents(dyn, fake_kube):
    nss = dyn.resources.get(api_version="v1", kind="Namespace")
    nss.create(body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.create(namespace="team", body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    deleted = nss.delete(name="team", propagation_policy="Foreground")
    assert deleted.status.phase == "Terminating"
    assert fake_kube.list("ConfigMap", "team") == []
    with pytest.raises(NotFoundError):
        nss.get(name="team")


def test_delete_returns_success_status(dyn):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.create(namespace="default", body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    result = cms.delete(name="c", namespace="default", propagation_policy="Background")
    assert result.status == "Success" and result.details.name == "c"
    with pytest.raises(NotFoundError):
        cms.delete(name="c", namespace="default")


def test_crd_makes_kind_discoverable(dyn, fake_kube, tmp_path):
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    crd = crds.create(body={
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": {"type": "object", "properties": {
                         "size": {"type": "integer"},
                         "items": {"type": "array", "x-kubernetes-list-type": "map",
                                   "x-kubernetes-list-map-keys": ["id"],
                                   "items": {"type": "object", "properties": {"id": {"type": "string"},
                                                                              "v": {"type": "string"}}}}}}}}}}]}})
    conditions = {c["type"]: c["status"] for c in crd.to_dict()["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}

    (tmp_path / "fresh").mkdir()
    fresh = _client(fake_kube, tmp_path / "fresh")  # a new client sees the new kind in discovery
    widgets = fresh.resources.get(api_version="example.com/v1", kind="Widget")
    assert widgets.namespaced is True
    w = _apply(widgets, {"apiVersion": "example.com/v1", "kind": "Widget",
                         "metadata": {"name": "w", "namespace": "default"},
                         "spec": {"size": 1, "items": [{"id": "a", "v": "1"}]}}, "kubepush")
    fields = _managers(w)["kubepush"]["fieldsV1"]["f:spec"]
    assert 'k:{"id":"a"}' in fields["f:items"]
    assert w.metadata.generation == 1
    crds.delete(name="widgets.example.com")
    assert fake_kube.store.resource("example.com", "v1", "widgets") is None


def test_wrong_token_is_401(fake_kube, tmp_path):
    with pytest.raises(ApiException) as exc:
        _client(fake_kube, tmp_path, token="not-the-token")  # discovery is the first request
    assert exc.value.status == 401
    assert _body(exc.value) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


def test_injected_403_names_user_verb_and_resource(dyn, fake_kube):
    deps = _deployments(dyn)
    fake_kube.inject("patch", r"/deployments/web$", status=403)
    with pytest.raises(ForbiddenError) as exc:
        _apply(deps, DEPLOYMENT, "kubepush")
    body = _body(exc.value)
    assert body["reason"] == "Forbidden"
    assert body["message"] == (
        'deployments.apps "web" is forbidden: User "kubepush-test" cannot patch resource "deployments" '
        'in API group "apps" in the namespace "default"')
    assert _apply(deps, DEPLOYMENT, "kubepush").metadata.name == "web"  # only the next request failed


def test_injected_server_errors_and_dropped_connections(dyn, fake_kube):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    fake_kube.inject("list", "/configmaps", status=500, times=2)
    for _ in range(2):
        with pytest.raises(ApiException) as exc:
            cms.get(namespace="default")
        assert exc.value.status == 500 and _body(exc.value)["reason"] == "InternalError"
    assert [i.metadata.name for i in cms.get(namespace="default").items] == [ROOT_CA]
    fake_kube.inject("GET", "/configmaps", close=True)
    with pytest.raises(urllib3.exceptions.HTTPError):
        cms.get(namespace="default")


def test_injected_delay_times_out_client(dyn, fake_kube):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    fake_kube.inject("list", "/configmaps", delay=1.0)
    start = time.monotonic()
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        cms.get(namespace="default", _request_timeout=0.2)
    assert time.monotonic() - start < 0.9


def test_a_hung_server_accepts_requests_and_answers_none_until_resumed(dyn, fake_kube):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    fake_kube.hang()
    for _ in range(2):
        start = time.monotonic()
        with pytest.raises(urllib3.exceptions.ReadTimeoutError):
            cms.get(namespace="default", _request_timeout=0.3)
        assert time.monotonic() - start < 2
    assert fake_kube.count(verb="list", resource="configmaps") == 2  # accepted and read, never answered
    fake_kube.resume()
    assert [i.metadata.name for i in cms.get(namespace="default", _request_timeout=5).items] == [ROOT_CA]


def test_stopped_server_refuses_connections(dyn, fake_kube):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    assert [i.metadata.name for i in cms.get(namespace="default").items] == [ROOT_CA]
    fake_kube.stop()
    with pytest.raises(urllib3.exceptions.HTTPError):
        cms.get(namespace="default")


def test_latency_and_request_counting(make_fake_kube, tmp_path):
    fake = make_fake_kube(latency=0.05)
    client = _client(fake, tmp_path)
    cms = client.resources.get(api_version="v1", kind="ConfigMap")
    fake.reset_requests()
    start = time.monotonic()
    for _ in range(3):
        cms.get(namespace="default")
    assert time.monotonic() - start >= 0.15
    assert fake.count(verb="list", resource="configmaps") == 3
    assert fake.counts()[("list", "/api/v1/namespaces/default/configmaps")] == 3
    assert fake.count(method="PATCH") == 0

    fake.latency = lambda record: 0.2 if record.verb == "create" else 0.0  # slow writes only
    start = time.monotonic()
    cms.get(namespace="default")
    assert time.monotonic() - start < 0.15
    cms.create(namespace="default", body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}})
    assert time.monotonic() - start >= 0.2


def test_status_helpers_drive_rollouts(dyn, fake_kube):
    deps = _deployments(dyn)
    _apply(deps, DEPLOYMENT, "kubepush")
    fake_kube.rollout_complete("Deployment", "default", "web")
    done = deps.get(name="web", namespace="default")
    assert done.status.observedGeneration == 1 and done.status.availableReplicas == 2
    fake_kube.rollout_fail("Deployment", "default", "web")
    failed = deps.get(name="web", namespace="default").to_dict()
    progressing = [c for c in failed["status"]["conditions"] if c["type"] == "Progressing"][0]
    assert progressing["reason"] == "ProgressDeadlineExceeded" and progressing["status"] == "False"
    # A client cannot write status through the main resource.
    changed = json.loads(json.dumps(DEPLOYMENT))
    changed["status"] = {"replicas": 99}
    assert _apply(deps, changed, "kubepush").status.replicas == 2


def test_stopped_server_can_come_back_on_the_same_port(dyn, fake_kube):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cms.create(namespace="default", body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}})
    port = fake_kube.port
    fake_kube.stop()
    with pytest.raises(urllib3.exceptions.HTTPError):
        cms.get(namespace="default")
    fake_kube.start()
    assert fake_kube.port == port
    assert [i.metadata.name for i in cms.get(namespace="default").items] == ["kept", ROOT_CA]


def test_watch_streams_changes_and_expires_after_compaction(dyn, fake_kube):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    listed = cms.get(namespace="default")
    rv = listed.metadata.resourceVersion
    fake_kube.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w", "namespace": "default"}})
    fake_kube.edit("ConfigMap", "default", "w", {"data": {"k": "v"}})
    events = []
    for event in dyn.watch(cms, namespace="default", resource_version=rv, timeout=2):
        events.append((event["type"], event["object"].metadata.name))
        if len(events) == 2:
            break
    assert events == [("ADDED", "w"), ("MODIFIED", "w")]

    fake_kube.store.compact()
    response = dyn.request("get", "/api/v1/namespaces/default/configmaps",
                           query_params=[("watch", "true"), ("resourceVersion", rv)], _preload_content=False,
                           serialize=False)
    first = json.loads(response.data.decode().splitlines()[0])
    assert first["type"] == "ERROR" and first["object"]["code"] == 410
    assert first["object"]["reason"] == "Expired"


def test_writes_to_all_namespaces_path_are_not_allowed(fake_kube):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"{fake_kube.url}/api/v1/configmaps", method="POST", data=b"{}",
                                 headers={"Authorization": f"Bearer {fake_kube.token}",
                                          "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)
    assert exc.value.code == 405 and json.load(exc.value)["reason"] == "MethodNotAllowed"


def test_injected_throttling_carries_retry_after(fake_kube):
    import urllib.error
    import urllib.request

    fake_kube.inject("GET", "/api/v1/namespaces$", status=429)
    req = urllib.request.Request(f"{fake_kube.url}/api/v1/namespaces",
                                 headers={"Authorization": f"Bearer {fake_kube.token}"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)
    assert exc.value.code == 429 and exc.value.headers["Retry-After"] == "1"
    body = json.load(exc.value)
    assert body["reason"] == "TooManyRequests" and body["details"] == {"retryAfterSeconds": 1}
    with urllib.request.urlopen(req, timeout=10) as resp:  # the fault was used up
        assert resp.status == 200
    assert fake_kube.count(path="^/api/v1/namespaces$") == 2


def test_injected_update_conflict_names_the_object(dyn, fake_kube):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    cm = cms.create(namespace="default", body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    fake_kube.inject("update", "/configmaps/c$", status=409)
    with pytest.raises(ConflictError) as exc:
        cms.replace(body=cm.to_dict(), namespace="default")
    assert _body(exc.value)["message"].startswith('Operation cannot be fulfilled on configmaps "c"')


def test_tls_server_requires_the_kubeconfig_token(fake_kube_tls, tmp_path):
    client = _client(fake_kube_tls, tmp_path)  # verifies the server against the kubeconfig's CA
    assert client.resources.get(api_version="v1", kind="Namespace").get(name="default").status.phase == "Active"
    assert fake_kube_tls.url.startswith("https://")
    (tmp_path / "wrong").mkdir()
    with pytest.raises(ApiException) as exc:
        _client(fake_kube_tls, tmp_path / "wrong", token="wrong")
    assert exc.value.status == 401


def test_concurrent_writers_get_unique_resource_versions(dyn, fake_kube):
    from concurrent.futures import ThreadPoolExecutor

    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")

    def write(i: int) -> str:
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}", "namespace": "default"},
                "data": {"i": str(i)}}
        return _apply(cms, body, f"writer-{i % 3}").metadata.resourceVersion

    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = list(pool.map(write, range(40)))
    assert len(set(versions)) == 40
    assert {o["metadata"]["name"] for o in fake_kube.list("ConfigMap", "default")} == \
        {f"c{i}" for i in range(40)} | {ROOT_CA}


def test_null_fields_are_unset(dyn):
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    created = cms.create(namespace="default", body={"apiVersion": "v1", "kind": "ConfigMap",
                                                    "metadata": {"name": "n", "labels": None}, "data": None})
    assert "labels" not in created.to_dict()["metadata"] and "data" not in created.to_dict()


def test_every_namespace_gets_the_root_ca_configmap_back_whatever_clients_do(dyn, fake_kube):
    """As kube-controller-manager's root-ca-cert-publisher: in every namespace, re-created and restored."""
    cms = dyn.resources.get(api_version="v1", kind="ConfigMap")
    namespaces = dyn.resources.get(api_version="v1", kind="Namespace")
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert fake_kube.get("ConfigMap", ns, ROOT_CA)["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")
    namespaces.create(body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "later"}})
    published = cms.get(name=ROOT_CA, namespace="later").to_dict()
    assert published["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")
    assert "kubernetes.io/description" in published["metadata"]["annotations"]
    assert [m["manager"] for m in published["metadata"]["managedFields"]] == ["kube-controller-manager"]

    cms.patch(name=ROOT_CA, namespace="later", body={"data": {"ca.crt": "mine", "extra": "x"}},
              content_type="application/merge-patch+json")
    assert fake_kube.get("ConfigMap", "later", ROOT_CA)["data"] == published["data"]
    cms.delete(name=ROOT_CA, namespace="later")
    recreated = fake_kube.get("ConfigMap", "later", ROOT_CA)
    assert recreated["data"] == published["data"] and recreated["metadata"]["uid"] != published["metadata"]["uid"]
    cms.delete(namespace="later", field_selector=f"metadata.name={ROOT_CA}")
    assert fake_kube.get("ConfigMap", "later", ROOT_CA) is not None
    namespaces.create(body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dry"}},
                      query_params=[("dryRun", "All")])
    assert fake_kube.get("ConfigMap", "dry", ROOT_CA) is None
