"""Server-side apply internals of the fake apiserver, and HTTP details the clients' tests
do not reach (discovery content negotiation, anonymous requests, finalizers, standalone mode).

Expected FieldsV1 documents are the ones a real apiserver (structured-merge-diff) writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fakekube import fieldpath as fp
from tests.support.fakekube import typed
from tests.support.fakekube.managed import Conflict
from tests.support.fakekube.schema import builtin_schema, resolve
from tests.support.fakekube.status import ApiError

DEPLOY_NODE = resolve(builtin_schema("apps", "v1", "Deployment"))
POD_SPEC = {"containers": [{"name": "app", "image": "a:1", "ports": [{"containerPort": 80}],
                            "env": [{"name": "X", "value": "1"}]}]}


def _deployment(**spec):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "labels": {"a": "b"}},
            "spec": {"selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}}, "spec": json.loads(json.dumps(POD_SPEC))},
                     **spec}}


def test_applied_field_set_matches_real_fieldsv1():
    fields = typed.to_field_set(_deployment(replicas=2)["spec"], DEPLOY_NODE.child("spec"))
    assert fp.to_fields_v1(fields) == {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {"f:metadata": {"f:labels": {"f:a": {}}}, "f:spec": {"f:containers": {
            'k:{"name":"app"}': {
                ".": {}, "f:env": {'k:{"name":"X"}': {".": {}, "f:name": {}, "f:value": {}}},
                "f:image": {}, "f:name": {},
                "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}}}},
    }


def test_fieldsv1_round_trip_and_rendering():
    doc = {"f:metadata": {"f:finalizers": {".": {}, 'v:"example.com/x"': {}}},
           "f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}}}}
    paths = fp.from_fields_v1(doc)
    assert fp.to_fields_v1(paths) == doc
    rendered = sorted(fp.render(p) for p in paths)
    assert rendered == ['.metadata.finalizers', '.metadata.finalizers[="example.com/x"]',
                        '.spec.ports[port=80,protocol="TCP"]', '.spec.ports[port=80,protocol="TCP"].port']


def test_set_lists_are_owned_by_value(fake_kube):
    obj = fake_kube.apply({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "c", "namespace": "default", "finalizers": ["example.com/a"]}},
                          manager="m")
    [entry] = obj["metadata"]["managedFields"]
    assert entry["fieldsV1"] == {"f:metadata": {"f:finalizers": {'v:"example.com/a"': {}}}}


def test_list_merge_keeps_live_only_items_and_follows_applied_order():
    node = DEPLOY_NODE.child("spec").child("template").child("spec").child("containers")
    live = [{"name": n, "image": "x"} for n in ("a", "b", "c")]
    merged = typed.merge(live, [{"name": "c", "image": "y"}, {"name": "d", "image": "z"}], node)
    assert [(c["name"], c["image"]) for c in merged] == [("a", "x"), ("b", "x"), ("c", "y"), ("d", "z")]
    swapped = typed.merge(live[:2], [{"name": "b"}, {"name": "a"}], node)
    assert [c["name"] for c in swapped] == ["b", "a"]


def test_dropping_a_container_from_the_applied_config_removes_it(fake_kube):
    two = _deployment()
    two["metadata"]["namespace"] = "default"
    two["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "s:1"})
    fake_kube.apply(two, manager="m")
    one = _deployment()
    one["metadata"]["namespace"] = "default"
    after = fake_kube.apply(one, manager="m")
    assert [c["name"] for c in after["spec"]["template"]["spec"]["containers"]] == ["app"]


def test_conflict_lists_every_clashing_field_and_nothing_changes(fake_kube):
    base = _deployment(replicas=1)
    base["metadata"]["namespace"] = "default"
    fake_kube.apply(base, manager="a")
    fake_kube.edit("Deployment", "default", "d", {"metadata": {"labels": {"a": "c"}}}, manager="kubectl-label")
    clash = _deployment(replicas=3)
    clash["metadata"]["namespace"] = "default"
    with pytest.raises(ApiError) as exc:
        fake_kube.apply(clash, manager="b")
    assert exc.value.code == 409
    assert exc.value.body["message"] == (
        'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n'
        'conflicts with "kubectl-label" using apps/v1:\n- .metadata.labels.a')
    assert fake_kube.get("Deployment", "default", "d")["spec"]["replicas"] == 1


def test_conflict_message_single():
    c = Conflict([('"x"', ((("f", "spec"), ("f", "replicas"))))])
    assert c.message() == 'Apply failed with 1 conflict: conflict with "x": .spec.replicas'


def test_clearing_managed_fields_with_single_empty_entry(fake_kube):
    fake_kube.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"},
                     "data": {"k": "v"}}, manager="m")
    kept = fake_kube.edit("ConfigMap", "default", "c", {"metadata": {"managedFields": []}})
    assert [e["manager"] for e in kept["metadata"]["managedFields"]] == ["m"]
    cleared = fake_kube.edit("ConfigMap", "default", "c", {"metadata": {"managedFields": [{}]}})
    assert "managedFields" not in cleared["metadata"]


def test_finalizers_hold_deletion_until_removed(fake_kube):
    fake_kube.create({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "held", "namespace": "default", "finalizers": ["example.com/x"]}})
    req = urllib.request.Request(f"{fake_kube.url}/api/v1/namespaces/default/configmaps/held", method="DELETE",
                                 headers={"Authorization": f"Bearer {fake_kube.token}"})
    with urllib.request.urlopen(req) as resp:
        assert json.load(resp)["metadata"]["deletionTimestamp"]
    assert fake_kube.get("ConfigMap", "default", "held")["metadata"]["deletionTimestamp"]
    fake_kube.edit("ConfigMap", "default", "held", {"metadata": {"finalizers": None}})
    assert fake_kube.get("ConfigMap", "default", "held") is None


def _get(fake, path, accept="application/json", token=True):
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {fake.token}"
    return urllib.request.urlopen(urllib.request.Request(fake.url + path, headers=headers), timeout=10)


def test_aggregated_discovery_request_gets_legacy_json(fake_kube):
    accept = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
    with _get(fake_kube, "/apis", accept) as resp:
        assert resp.headers["Content-Type"] == "application/json"
        body = json.load(resp)
    assert body["kind"] == "APIGroupList"
    apps = [g for g in body["groups"] if g["name"] == "apps"][0]
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    with _get(fake_kube, "/api/v1") as resp:
        resources = {r["name"]: r for r in json.load(resp)["resources"]}
    assert resources["services/status"]["verbs"] == ["get", "patch", "update"]
    assert resources["configmaps"]["shortNames"] == ["cm"]


def test_anonymous_requests_allowed_on_http_only(fake_kube, fake_kube_tls):
    with _get(fake_kube, "/api/v1/namespaces", token=False) as resp:
        assert resp.status == 200
    import ssl

    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    req = urllib.request.Request(fake_kube_tls.url + "/api/v1/namespaces")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, context=ctx, timeout=10)
    assert exc.value.code == 401


def test_unsupported_patch_type_is_415(fake_kube):
    fake_kube.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}})
    req = urllib.request.Request(f"{fake_kube.url}/api/v1/namespaces/default/configmaps/c", method="PATCH",
                                 data=b"{}", headers={"Authorization": f"Bearer {fake_kube.token}",
                                                      "Content-Type": "text/plain"})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=10)
    body = json.load(exc.value)
    assert (exc.value.code, body["reason"], body["kind"]) == (415, "UnsupportedMediaType", "Status")


def test_standalone_module_serves_until_terminated(tmp_path: Path):
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.fakekube", "--port", "0", "--token", "t0k",
                             "--kubeconfig", str(kubeconfig)],
                            cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split()[-1]
        assert proc.stdout.readline().strip() == f"kubeconfig: {kubeconfig}"
        req = urllib.request.Request(url + "/version", headers={"Authorization": "Bearer t0k"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.load(resp)["minor"] == "32"
        assert f"server: {url}" in kubeconfig.read_text()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_custom_resources_get_schema_defaults_and_pruning(fake_kube):
    fake_kube.create({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "caches.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "caches", "kind": "Cache"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": {"type": "object", "properties": {
                         "size": {"type": "integer", "default": 1},
                         "tls": {"type": "object", "default": {},
                                 "properties": {"enabled": {"type": "boolean", "default": True}}},
                         "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}}}]}})
    created = fake_kube.create({"apiVersion": "example.com/v1", "kind": "Cache",
                                "metadata": {"name": "c", "namespace": "default"},
                                "spec": {"extra": {"anything": {"goes": 1}}, "unknown": "dropped"}})
    assert created["spec"] == {"size": 1, "tls": {"enabled": True}, "extra": {"anything": {"goes": 1}}}
    assert created["metadata"]["generation"] == 1


def test_strategic_merge_patch_follows_patch_strategies():
    from tests.support.fakekube.patches import strategic_merge_patch

    live = _deployment(replicas=1, strategy={"type": "RollingUpdate",
                                             "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    live["spec"]["template"]["spec"]["tolerations"] = [{"key": "a", "operator": "Exists"}]
    live["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "s:1"})
    patch = {"metadata": {"labels": {"a": None, "new": "x"}},
             "spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"},
                      "template": {"spec": {
                          "tolerations": [{"key": "b", "operator": "Exists"}],  # no patch strategy: replaced
                          "containers": [{"name": "side", "$patch": "delete"},
                                         {"name": "app", "env": [{"name": "Y", "value": "2"}]}]}}}}
    out = strategic_merge_patch(live, patch, DEPLOY_NODE)
    assert out["metadata"]["labels"] == {"new": "x"}
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    pod = out["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"key": "b", "operator": "Exists"}]
    assert [c["name"] for c in pod["containers"]] == ["app"]
    assert [e["name"] for e in pod["containers"][0]["env"]] == ["X", "Y"]


def test_switching_to_recreate_keeps_unowned_rolling_update_and_is_invalid(fake_kube):
    """The well-known SSA pitfall: defaulted rollingUpdate is nobody's, so it survives the apply."""
    base = _deployment()
    base["metadata"]["namespace"] = "default"
    fake_kube.apply(base, manager="m")
    recreate = _deployment(strategy={"type": "Recreate"})
    recreate["metadata"]["namespace"] = "default"
    with pytest.raises(ApiError) as exc:
        fake_kube.apply(recreate, manager="m")
    assert exc.value.code == 422
    assert exc.value.body["message"] == (
        'Deployment.apps "d" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when '
        "strategy `type` is 'Recreate'")
    recreate["spec"]["strategy"]["rollingUpdate"] = None  # the documented fix: own it as null
    assert fake_kube.apply(recreate, manager="m")["spec"]["strategy"] == {"type": "Recreate"}


def test_invalid_label_value_is_rejected(fake_kube):
    with pytest.raises(ApiError) as exc:
        fake_kube.create({"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"name": "c", "namespace": "default", "labels": {"a": "not valid!"}}})
    assert exc.value.code == 422
    assert exc.value.body["details"]["causes"][0]["field"] == "metadata.labels"


def test_service_cluster_ip_may_not_change(fake_kube):
    svc = fake_kube.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "default"},
                            "spec": {"ports": [{"port": 5432}]}})
    ip = svc["spec"]["clusterIP"]
    # Allocated at storage time, after ownership was computed: the creator owns the defaulted
    # type but not the IP.
    [creator] = svc["metadata"]["managedFields"]
    assert "f:type" in creator["fieldsV1"]["f:spec"] and "f:clusterIP" not in creator["fieldsV1"]["f:spec"]
    # Applying without clusterIP keeps the allocated one (nobody asked to change it).
    again = fake_kube.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "default"},
                             "spec": {"ports": [{"port": 5432}]}}, manager="m")
    assert again["spec"]["clusterIP"] == ip
    with pytest.raises(ApiError) as exc:
        fake_kube.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "default"},
                         "spec": {"clusterIP": "None", "ports": [{"port": 5432}]}}, manager="m")
    assert exc.value.body["message"] == (
        'Service "db" is invalid: spec.clusterIPs[0]: Invalid value: ["None"]: may not change once set')


def test_pod_spec_updates_are_limited(fake_kube):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
           "spec": {"containers": [{"name": "c", "image": "a:1"}]}}
    fake_kube.apply(pod, manager="m")
    pod["spec"]["containers"][0]["image"] = "a:2"
    assert fake_kube.apply(pod, manager="m")["spec"]["containers"][0]["image"] == "a:2"
    pod["spec"]["containers"][0]["args"] = ["--x"]
    with pytest.raises(ApiError) as exc:
        fake_kube.apply(pod, manager="m")
    assert "spec: Forbidden: pod updates may not change fields other than" in exc.value.body["message"]


def test_crd_kinds_are_served_only_once_established(fake_kube):
    fake_kube.auto_establish_crds = False
    crd = fake_kube.create({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {"group": "example.com", "scope": "Cluster", "names": {"plural": "gadgets", "kind": "Gadget"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {"type": "object"}}}]}})
    established = [c for c in crd["status"]["conditions"] if c["type"] == "Established"][0]
    assert (established["status"], established["reason"]) == ("False", "Installing")
    with pytest.raises(urllib.error.HTTPError) as exc:
        _get(fake_kube, "/apis/example.com/v1/gadgets")
    assert exc.value.code == 404
    fake_kube.crd_established("gadgets.example.com")
    with _get(fake_kube, "/apis/example.com/v1") as resp:
        [gadgets] = json.load(resp)["resources"]
    assert (gadgets["name"], gadgets["namespaced"]) == ("gadgets", False)


_KEYS = st.sampled_from(["a", "b", "c", "d"])
_CONFIG = st.fixed_dictionaries({
    "labels": st.dictionaries(_KEYS, st.sampled_from(["1", "2"]), max_size=4),
    "data": st.dictionaries(_KEYS, st.sampled_from(["x", "y"]), max_size=4),
    "finalizers": st.lists(st.sampled_from(["example.com/p", "example.com/q"]), unique=True, max_size=2),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["m1", "m2", "m3"]), _CONFIG), min_size=1, max_size=6))
def test_forced_applies_keep_ownership_consistent(fake_kube, steps):
    """Invariants of server-side apply over random sequences of forced applies by several managers."""
    name = f"h{fake_kube.store.resource_version}"
    last: dict[str, dict] = {}
    for manager, cfg in steps:
        # Empty maps are left out: an applied {} is owned but omitted from the stored object.
        meta = {"name": name, "namespace": "default", "finalizers": cfg["finalizers"],
                **({"labels": cfg["labels"]} if cfg["labels"] else {})}
        body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                **({"data": cfg["data"]} if cfg["data"] else {})}
        obj = fake_kube.apply(body, manager=manager, force=True)
        owned = {m["manager"]: fp.from_fields_v1(m["fieldsV1"]) for m in obj["metadata"].get("managedFields", [])}
        # 1. what was just applied is there
        assert cfg["labels"].items() <= (obj["metadata"].get("labels") or {}).items()
        assert cfg["data"].items() <= (obj.get("data") or {}).items()
        assert set(cfg["finalizers"]) <= set(obj["metadata"].get("finalizers") or [])
        # 2. the applier owns exactly its configuration
        expected = fp.from_fields_v1({"f:metadata": {
            **({"f:labels": {f"f:{k}": {} for k in cfg["labels"]}} if cfg["labels"] else {}),
            **({"f:finalizers": {f'v:"{f}"': {} for f in cfg["finalizers"]}} if cfg["finalizers"] else {})},
            **({"f:data": {f"f:{k}": {} for k in cfg["data"]}} if cfg["data"] else {})})
        expected -= {(("f", "metadata"),)}
        assert owned.get(manager, set()) == expected
        # 3. nobody owns a field that is not there
        present = typed.to_field_set(obj, resolve(builtin_schema("", "v1", "ConfigMap")))
        for paths in owned.values():
            assert paths <= present
        # 4. what the applier dropped is gone unless someone else still owns it
        others = set().union(*(p for m, p in owned.items() if m != manager))
        for key in (last.get(manager) or {}).get("data", {}):
            if key not in cfg["data"] and (("f", "data"), ("f", key)) not in others:
                assert key not in (obj.get("data") or {})
        last[manager] = cfg


def test_applied_empty_map_is_owned_but_not_stored(fake_kube):
    obj = fake_kube.apply({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "e", "namespace": "default", "labels": {}, "finalizers": []},
                           "data": {}}, manager="m")
    assert "labels" not in obj["metadata"] and "finalizers" not in obj["metadata"] and "data" not in obj
    [entry] = obj["metadata"]["managedFields"]
    assert entry["fieldsV1"] == {"f:data": {}, "f:metadata": {"f:labels": {}}}


def _eventually(check, timeout: float = 5.0):
    """Poll ``check`` until it returns something truthy, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout}s")


def test_simulated_controllers_bind_claims_and_fail_statefulsets(fake_kube):
    fake_kube.simulate(rollouts="fail", bind_pvcs=True)
    fake_kube.create({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                      "metadata": {"name": "data", "namespace": "default"},
                      "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    pvc = _eventually(lambda: (p := fake_kube.get("PersistentVolumeClaim", "default", "data"))
                      and p["status"]["phase"] == "Bound" and p)
    assert pvc["status"]["capacity"] == {"storage": "1Gi"} and pvc["spec"]["volumeName"]
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
           "spec": {"serviceName": "db", "selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}}, "spec": POD_SPEC}}}
    fake_kube.apply(sts, manager="m")
    status = _eventually(lambda: fake_kube.get("StatefulSet", "default", "db").get("status"))
    assert status["observedGeneration"] == 1 and status["readyReplicas"] == 0
    assert status["updateRevision"] != status["currentRevision"]


def test_simulate_rejects_unknown_outcomes(fake_kube):
    with pytest.raises(ValueError):
        fake_kube.simulate(rollouts="maybe")


def test_untypeable_apply_configs_fail_like_the_fieldmanager(fake_kube):
    dup = _deployment()
    dup["metadata"]["namespace"] = "default"
    dup["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "X", "value": "2"})
    dup["spec"]["template"]["spec"]["containers"][0]["foo"] = 1
    with pytest.raises(ApiError) as exc:
        fake_kube.apply(dup, manager="m")
    assert exc.value.code == 500
    assert exc.value.body["message"] == (
        "failed to create typed patch object (default/d; apps/v1, Kind=Deployment): errors:\n"
        '  .spec.template.spec.containers[name="app"].env: duplicate entries for key [name="X"]\n'
        '  .spec.template.spec.containers[name="app"].foo: field not declared in schema')


def test_apply_needs_a_field_manager_and_force_only_applies(fake_kube):
    fake_kube.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}})
    base = f"{fake_kube.url}/api/v1/namespaces/default/configmaps/c"
    for url, ctype in ((base, "application/apply-patch+yaml"), (base + "?force=true", "application/merge-patch+json")):
        req = urllib.request.Request(url, method="PATCH", data=b'{"apiVersion":"v1","kind":"ConfigMap"}',
                                     headers={"Authorization": f"Bearer {fake_kube.token}", "Content-Type": ctype})
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(req, timeout=10)
        body = json.load(exc.value)
        assert (exc.value.code, body["reason"], body["details"]["kind"]) == (422, "Invalid", "PatchOptions")


def test_duplicate_container_ports_fail_an_apply_but_only_warn_a_create_or_update(fake_kube):
    """What the real apiserver does with the same duplicate list-map key on each path: SSA cannot type it
    (a 500 from the fieldmanager), a create or update stores it and sends pod-spec Warning headers."""
    dup = _deployment()
    dup["metadata"]["namespace"] = "default"
    ports = dup["spec"]["template"]["spec"]["containers"][0]["ports"]
    ports.append({"containerPort": 80, "protocol": "TCP"})
    url = f"{fake_kube.url}/apis/apps/v1/namespaces/default/deployments"

    def send(method, path, content_type, query=""):
        req = urllib.request.Request(url + path + query, method=method, data=json.dumps(dup).encode(),
                                     headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.headers.get_all("Warning") or [], json.load(resp)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get_all("Warning") or [], json.load(exc)

    code, warnings, body = send("PATCH", "/d", "application/apply-patch+yaml", "?fieldManager=m")
    assert code == 500 and not body.get("reason")  # a plain error: StatusReasonUnknown
    assert body["message"] == ('failed to create typed patch object (default/d; apps/v1, Kind=Deployment): '
                               '.spec.template.spec.containers[name="app"].ports: duplicate entries for key '
                               '[containerPort=80,protocol="TCP"]')
    assert warnings == []
    expected = ['299 - "spec.template.spec.containers[0].ports[1]: duplicate port definition with '
                'spec.template.spec.containers[0].ports[0]"']
    code, warnings, body = send("POST", "", "application/json")
    assert code == 201 and warnings == expected
    assert len(body["spec"]["template"]["spec"]["containers"][0]["ports"]) == 2
    code, warnings, _ = send("PUT", "/d", "application/json")
    assert code == 200 and warnings == []  # the same spec: a workload warns only when its generation moves
    dup["spec"]["template"]["spec"]["containers"][0]["image"] = "a:2"
    code, warnings, _ = send("PUT", "/d", "application/json")
    assert code == 200 and warnings == expected
