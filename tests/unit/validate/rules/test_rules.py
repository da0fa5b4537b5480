"""Unit tests for kubepush.validate.rules: every rule with good and bad input,
asserting rule id, message content and the exact path of the offending node."""

from __future__ import annotations

import copy
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubepush.model import ObjectRef, Severity
from kubepush.validate.rules import DEFAULT_ENABLED, RULES, DuplicateTracker, check_document, diagnose_unknown
from kubepush.validate.rules.deprecations import DEPRECATIONS
from kubepush.validate.rules.kinds import KIND_CHECKS
from kubepush.validate.rules.quantity import parse_quantity
from kubepush.validate.rules.schema_index import served_apis

V = (1, 37)


def run(doc, version=V, enabled=DEFAULT_ENABLED):
    return check_document(doc, kubernetes_version=version, enabled=enabled)


def only(doc, rule, version=V):
    """The single finding of ``rule`` (and assert there is exactly one)."""
    found = [f for f in run(doc, version) if f.rule == rule]
    assert len(found) == 1, [(f.rule, f.json_path, f.message) for f in run(doc, version)]
    return found[0]


def deployment(**container):
    c = {"name": "web", "image": "nginx:1.27"}
    c.update(container)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [c]}},
        },
    }


def service(**spec):
    s = {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": s}


def cronjob(pod_spec):
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "backup"},
        "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": pod_spec}}}},
    }


POD_PATH = ("spec", "template", "spec")
C0 = POD_PATH + ("containers", 0)


# --- registry -------------------------------------------------------------------------


def test_registry_ids_descriptions_and_help():
    assert {
        "deprecated-api",
        "removed-api",
        "unknown-api-version",
        "duplicate-resource",
        "duplicate-list-key",
        "missing-name",
        "invalid-name",
        "invalid-enum",
        "invalid-quantity",
        "invalid-port",
        "missing-image",
        "selector-mismatch",
    } <= set(RULES)
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and re.fullmatch(r"[a-z]+(-[a-z]+)*", rule_id)
        assert rule.description and "\n" not in rule.description and len(rule.description) < 120
        assert len(rule.help) > 40 and rule.default_enabled
    assert DEFAULT_ENABLED == frozenset(RULES)


def test_valid_documents_have_no_findings():
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[4] / "benchmarks" / "rules.py"
    spec = importlib.util.spec_from_file_location("kubepush_rules_benchmark", script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for doc in bench.generate(40):  # the benchmark's realistic mix
        assert run(doc) == [], doc["kind"]


def test_disabled_rules_are_not_reported_and_others_still_are():
    doc = deployment(imagePullPolicy="always", env=[{"name": "A"}, {"name": "A"}])
    assert {f.rule for f in run(doc)} == {"invalid-enum", "duplicate-list-key"}
    assert {f.rule for f in run(doc, enabled=frozenset({"duplicate-list-key"}))} == {"duplicate-list-key"}
    assert run(doc, enabled=frozenset()) == []


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        "text",
        {},
        {"kind": "Deployment"},
        {"apiVersion": ["x"], "kind": "Pod"},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": "oops", "spec": []},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "x", "labels": ["a"]},
            "spec": {
                "selector": {"matchExpressions": [{"key": ["k"], "operator": "In", "values": "v"}]},
                "template": {"metadata": {"labels": None}, "spec": {"containers": ["c", {"env": [1, {"name": {}}]}]}},
            },
        },
    ],
)
def test_malformed_documents_do_not_crash(doc):
    findings = run(doc)
    assert all(f.rule in RULES for f in findings)


def test_finding_carries_object_and_leaves_location_to_the_caller():
    doc = deployment(imagePullPolicy="never")
    doc["metadata"]["namespace"] = "shop"
    f = only(doc, "invalid-enum")
    assert f.object == ObjectRef("apps/v1", "Deployment", "shop", "web")
    assert (f.file, f.line, f.column, f.document) == ("", 0, 0, 0)


# --- deprecated / removed / unknown apiVersions ----------------------------------------


def test_removed_api_is_an_error_with_replacement():
    doc = deployment()
    doc["apiVersion"], doc["kind"] = "apps/v1beta2", "DaemonSet"
    f = only(doc, "removed-api")
    assert f.message == "apps/v1beta2 DaemonSet was removed in Kubernetes 1.16; use apps/v1"
    assert f.severity is Severity.ERROR and f.path == ("apiVersion",)


def test_deprecated_api_is_a_warning_naming_the_removal_version():
    doc = cronjob({"containers": [{"name": "c", "image": "x"}], "restartPolicy": "Never"})
    doc["apiVersion"] = "batch/v1beta1"
    f = only(doc, "deprecated-api", version=(1, 23))
    assert f.severity is Severity.WARNING
    assert (
        f.message
        == "batch/v1beta1 CronJob is deprecated since Kubernetes 1.21 and will be removed in 1.25; use batch/v1"
    )
    assert [x.rule for x in run(doc, (1, 20)) if x.rule.endswith("-api")] == []  # not yet deprecated
    assert only(doc, "removed-api", version=(1, 25)).message.startswith(
        "batch/v1beta1 CronJob was removed in Kubernetes 1.25"
    )


def test_removed_api_without_replacement_says_what_to_do():
    psp = {"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": {"name": "restricted"}}
    assert "Pod Security Admission" in only(psp, "removed-api").message


def test_deprecated_api_never_removed():
    eps = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext"}}
    assert only(eps, "deprecated-api", (1, 33)).message == (
        "v1 Endpoints is deprecated since Kubernetes 1.33; use discovery.k8s.io/v1 EndpointSlice"
    )
    assert run(eps, (1, 32)) == []


def test_deprecation_table_is_consistent_with_the_served_apis():
    served = served_apis()
    for entry in DEPRECATIONS:
        assert entry.removed is None or entry.removed >= entry.deprecated, entry
        for kind in entry.kinds:
            if entry.removed is not None:
                assert (entry.api_version, kind) not in served, (entry.api_version, kind)
            if entry.replacement:
                assert (entry.replacement, entry.replacement_kind or kind) in served, entry


@pytest.mark.parametrize(
    ("api_version", "kind", "path", "message"),
    [
        (
            "app/v1",
            "Deployment",
            ("apiVersion",),
            "unknown apiVersion app/v1 for kind Deployment (did you mean apps/v1?)",
        ),
        (
            "apps/v2",
            "Deployment",
            ("apiVersion",),
            "unknown apiVersion apps/v2 for kind Deployment (did you mean apps/v1?)",
        ),
        ("v1", "Deployment", ("apiVersion",), "unknown apiVersion v1 for kind Deployment (did you mean apps/v1?)"),
        (
            "networking.k8s.i0/v1",
            "Ingress",
            ("apiVersion",),
            "unknown apiVersion networking.k8s.i0/v1 for kind Ingress (did you mean networking.k8s.io/v1?)",
        ),
        (
            "apiregistration.k8s.io/v1",
            "ApiService",
            ("kind",),
            "unknown kind ApiService in apiregistration.k8s.io/v1 (kinds are case-sensitive: APIService)",
        ),
        ("v1", "configMap", ("kind",), "unknown kind configMap in v1 (kinds are case-sensitive: ConfigMap)"),
        ("apps/v1", "Deploymnet", ("kind",), "unknown kind Deploymnet in apps/v1 (did you mean Deployment?)"),
    ],
)
def test_diagnose_unknown(api_version, kind, path, message):
    f = diagnose_unknown(api_version, kind)
    assert f is not None and f.rule == "unknown-api-version" and f.severity is Severity.ERROR
    assert (f.path, f.message) == (path, message)
    assert f.object == ObjectRef()  # the caller fills it from the document, like file and line


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("apps/v1", "Deployment"),  # served
        ("extensions/v1beta1", "Deployment"),  # removed: check_document's removed-api explains it
        ("serving.knative.dev/v1", "Service"),  # a CRD reusing a built-in kind name
        ("monitoring.coreos.com/v1", "ServiceMonitor"),  # a CRD
        ("builtin", "LabelTransformer"),  # kustomize configuration
        ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
        (None, "Deployment"),
    ],
)
def test_diagnose_unknown_leaves_real_and_custom_apis_alone(api_version, kind):
    assert diagnose_unknown(api_version, kind) is None


# --- duplicate resources -----------------------------------------------------------------


def test_duplicate_resource_in_unset_namespace():
    tracker = DuplicateTracker()
    ref = ObjectRef("v1", "Service", "", "adservice")
    assert tracker.add(("a.yaml", 0), ref, "a.yaml (document 1)") is None
    f = tracker.add(("a.yaml", 1), ref, "a.yaml (document 2)")
    assert f.rule == "duplicate-resource" and f.path == ("metadata", "name") and f.object == ref
    assert "v1 Service adservice" in f.message and "default/unset" in f.message
    assert "first defined at a.yaml (document 1)" in f.message


def test_duplicate_resource_identity_is_group_kind_namespace_name():
    tracker = DuplicateTracker()
    assert tracker.add(1, ObjectRef("autoscaling/v1", "HorizontalPodAutoscaler", "a", "x"), "one") is None
    assert tracker.add(2, ObjectRef("autoscaling/v2", "HorizontalPodAutoscaler", "a", "x"), "two") is not None
    assert tracker.add(3, ObjectRef("autoscaling/v2", "HorizontalPodAutoscaler", "b", "x"), "three") is None
    assert tracker.add(4, ObjectRef("autoscaling/v2", "HorizontalPodAutoscaler", "", "x"), "four") is None
    assert tracker.add(5, ObjectRef("v1", "ConfigMap", "a", "x"), "five") is None
    # cluster-scoped: the namespace is ignored
    assert tracker.add(6, ObjectRef("rbac.authorization.k8s.io/v1", "ClusterRole", "a", "view"), "six") is None
    f = tracker.add(7, ObjectRef("rbac.authorization.k8s.io/v1", "ClusterRole", "", "view"), "seven")
    assert f is not None and "cluster-scoped" in f.message


def test_duplicate_resource_same_document_twice_or_nameless_is_not_a_duplicate():
    tracker = DuplicateTracker()
    ref = ObjectRef("v1", "ConfigMap", "", "cfg")
    assert tracker.add(("f", 0), ref, "f") is None
    assert tracker.add(("f", 0), ref, "f") is None
    nameless = ObjectRef("batch/v1", "Job", "", "")
    assert tracker.add(("f", 1), nameless, "f") is None and tracker.add(("f", 2), nameless, "f") is None


# --- list-map duplicates ---------------------------------------------------------------------


def test_duplicate_env_name_points_at_second_key():
    doc = deployment(env=[{"name": "PORT", "value": "1"}, {"name": "X"}, {"name": "PORT", "value": "2"}])
    f = only(doc, "duplicate-list-key")
    assert f.path == C0 + ("env", 2, "name")
    assert 'duplicate name "PORT" in spec.template.spec.containers[0].env (also at index 0' in f.message


def test_duplicate_container_port_uses_protocol_default():
    doc = deployment(
        ports=[
            {"containerPort": 80},
            {"containerPort": 80, "protocol": "UDP"},
            {"name": "x", "containerPort": 80, "protocol": "TCP"},
        ]
    )
    f = only(doc, "duplicate-list-key")
    assert f.path == C0 + ("ports", 2)
    assert "duplicate containerPort/protocol 80/TCP" in f.message and "also at index 0" in f.message


def test_duplicate_service_port_and_default_note():
    doc = service(ports=[{"name": "a", "port": 80, "protocol": "TCP"}, {"name": "b", "port": 80}])
    f = only(doc, "duplicate-list-key")
    assert f.path == ("spec", "ports", 1) and "protocol defaults to TCP" in f.message


def test_duplicate_containers_volumes_and_two_key_lists():
    doc = cronjob(
        {
            "restartPolicy": "Never",
            "containers": [{"name": "a", "image": "x"}, {"name": "a", "image": "y"}],
            "volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "configMap": {"name": "c"}}],
            "topologySpreadConstraints": [
                {"topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "maxSkew": 1},
                {"topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 1},
                {"topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "maxSkew": 2},
            ],
        }
    )
    base = ("spec", "jobTemplate", "spec", "template", "spec")
    paths = sorted((f.path for f in run(doc) if f.rule == "duplicate-list-key"), key=str)
    assert paths == sorted(
        [base + ("containers", 1, "name"), base + ("volumes", 1, "name"), base + ("topologySpreadConstraints", 2)],
        key=str,
    )


def test_list_items_are_checked_with_item_paths():
    doc = {"apiVersion": "v1", "kind": "List", "items": [service(), deployment(env=[{"name": "A"}, {"name": "A"}])]}
    f = only(doc, "duplicate-list-key")
    assert f.path == ("items", 1) + C0 + ("env", 1, "name")
    assert f.object.kind == "Deployment"


def test_custom_resources_have_no_list_map_index():
    doc = {
        "apiVersion": "example.com/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}},
    }
    assert run(doc) == []


# --- names, labels, annotations ---------------------------------------------------------


def test_missing_name():
    doc = service()
    del doc["metadata"]["name"]
    f = only(doc, "missing-name")
    assert f.path == ("metadata",) and "name or generateName is required" in f.message
    doc["metadata"]["generateName"] = "web-"
    assert run(doc) == []
    del doc["metadata"]
    assert only(doc, "missing-name").path == ()
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": ["a.yaml"]}
    assert run(kustomization) == []


@pytest.mark.parametrize(
    ("kind", "api_version", "name", "fragment"),
    [
        (
            "Service",
            "v1",
            "cart_service",
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character",
        ),
        ("Service", "v1", "1web", "DNS-1035 label"),
        ("Namespace", "v1", "team.a", "a lowercase RFC 1123 label must consist of"),
        (
            "Deployment",
            "apps/v1",
            "My.App",
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')",
        ),
        ("ConfigMap", "v1", "x" * 254, "must be no more than 253 characters"),
        ("CronJob", "batch/v1", "c" * 53, "must be no more than 52 characters"),
        ("ClusterRole", "rbac.authorization.k8s.io/v1", "a/b", "may not contain '/'"),
    ],
)
def test_invalid_names(kind, api_version, name, fragment):
    doc = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}
    f = only(doc, "invalid-name")
    assert f.path == ("metadata", "name") and fragment in f.message and f'"{name}"' in f.message


def test_service_name_hint_suggests_a_valid_name():
    doc = service()
    doc["metadata"]["name"] = "cart_service"
    assert '"cart-service"' in only(doc, "invalid-name").hint


@pytest.mark.parametrize(
    ("kind", "api_version", "name"),
    [
        ("Deployment", "apps/v1", "1web"),
        ("ConfigMap", "v1", "kube-root-ca.crt"),
        ("ClusterRole", "rbac.authorization.k8s.io/v1", "system:metrics-server"),
        ("APIService", "apiregistration.k8s.io/v1", "v1beta1.metrics.k8s.io"),
        ("Prometheus", "monitoring.coreos.com/v1", "k8s"),
        ("CronJob", "batch/v1", "c" * 52),
    ],
)
def test_valid_names(kind, api_version, name):
    assert run({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}) == []


def test_invalid_namespace_and_container_and_volume_names():
    doc = deployment(name="Web_Server")
    doc["metadata"]["namespace"] = "Prod"
    doc["spec"]["template"]["spec"]["volumes"] = [{"name": "data.vol", "emptyDir": {}}]
    found = {f.path: f.message for f in run(doc) if f.rule == "invalid-name"}
    assert set(found) == {("metadata", "namespace"), C0 + ("name",), POD_PATH + ("volumes", 0, "name")}
    assert "RFC 1123 label" in found[C0 + ("name",)]


def test_invalid_labels_and_annotations():
    doc = service()
    doc["metadata"]["labels"] = {
        "app.kubernetes.io/name": "web",
        "a/b/c": "x",
        "Example.com/x": "y",
        "ok": "-bad-",
        "long": "v" * 64,
        "version": 1.0,  # a number: the schema's finding, not ours
    }
    doc["metadata"]["annotations"] = {"prometheus.io/scrape": "true", "bad key!": "x"}
    found = {(f.rule, f.path[-1]): f.message for f in run(doc)}
    assert set(found) == {
        ("invalid-label", "a/b/c"),
        ("invalid-label", "Example.com/x"),
        ("invalid-label", "ok"),
        ("invalid-label", "long"),
        ("invalid-annotation", "bad key!"),
    }
    assert "prefix part a lowercase RFC 1123 subdomain" in found[("invalid-label", "Example.com/x")]
    assert (
        "a valid label must be an empty string or consist of alphanumeric characters" in found[("invalid-label", "ok")]
    )
    assert "must be no more than 63 characters" in found[("invalid-label", "long")]


def test_annotations_over_256k():
    doc = service()
    doc["metadata"]["annotations"] = {"big": "x" * (256 * 1024)}
    f = only(doc, "invalid-annotation")
    assert f.path == ("metadata", "annotations") and "262144 bytes" in f.message
    doc["metadata"]["annotations"] = {"text": "é" * 140_000}  # 140000 characters, 280000 bytes
    assert "(has 280004)" in only(doc, "invalid-annotation").message
    doc["metadata"]["annotations"] = {"text": "e" * 140_000}
    assert run(doc) == []


def test_selector_and_template_labels_are_label_checked():
    doc = deployment()
    doc["spec"]["selector"]["matchLabels"]["bad key"] = "x"
    doc["spec"]["template"]["metadata"]["labels"]["bad key"] = "x"
    paths = {f.path for f in run(doc) if f.rule == "invalid-label"}
    assert paths == {
        ("spec", "selector", "matchLabels", "bad key"),
        ("spec", "template", "metadata", "labels", "bad key"),
    }


# --- enums ----------------------------------------------------------------------------------


def test_enum_case_mistake_gets_did_you_mean():
    f = only(deployment(imagePullPolicy="ifNotPresent"), "invalid-enum")
    assert f.path == C0 + ("imagePullPolicy",)
    assert (
        f.message
        == 'imagePullPolicy: Unsupported value: "ifNotPresent": supported values: "Always", "IfNotPresent", "Never"'
    )
    assert f.hint == 'did you mean "IfNotPresent"? Values are case-sensitive.'


@pytest.mark.parametrize(
    ("doc", "path", "value"),
    [
        (service(type="Nodeport"), ("spec", "type"), "Nodeport"),
        (service(externalTrafficPolicy="Global"), ("spec", "externalTrafficPolicy"), "Global"),
        (service(ports=[{"port": 53, "protocol": "dns"}]), ("spec", "ports", 0, "protocol"), "dns"),
        (deployment(ports=[{"containerPort": 53, "protocol": "udp"}]), C0 + ("ports", 0, "protocol"), "udp"),
        (deployment(terminationMessagePolicy="file"), C0 + ("terminationMessagePolicy",), "file"),
        (
            deployment(readinessProbe={"httpGet": {"port": 80, "scheme": "https"}}),
            C0 + ("readinessProbe", "httpGet", "scheme"),
            "https",
        ),
        (
            cronjob(
                {"restartPolicy": "Never", "dnsPolicy": "clusterFirst", "containers": [{"name": "c", "image": "x"}]}
            ),
            ("spec", "jobTemplate", "spec", "template", "spec", "dnsPolicy"),
            "clusterFirst",
        ),
        (
            cronjob(
                {
                    "restartPolicy": "Never",
                    "tolerations": [{"operator": "exists"}],
                    "containers": [{"name": "c", "image": "x"}],
                }
            ),
            ("spec", "jobTemplate", "spec", "template", "spec", "tolerations", 0, "operator"),
            "exists",
        ),
    ],
)
def test_invalid_enum_values(doc, path, value):
    f = only(doc, "invalid-enum")
    assert f.path == path and f'Unsupported value: "{value}"' in f.message


def test_kind_level_enums():
    d = deployment()
    d["spec"]["strategy"] = {"type": "rollingUpdate"}
    assert only(d, "invalid-enum").path == ("spec", "strategy", "type")
    c = cronjob({"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]})
    c["spec"]["concurrencyPolicy"] = "forbid"
    assert only(c, "invalid-enum").hint == 'did you mean "Forbid"? Values are case-sensitive.'
    ing = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i"},
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "prefix",
                                "backend": {"service": {"name": "s", "port": {"number": 80}}},
                            }
                        ]
                    }
                }
            ]
        },
    }
    assert only(ing, "invalid-enum").path == ("spec", "rules", 0, "http", "paths", 0, "pathType")
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "p"},
        "spec": {"accessModes": ["ReadWriteOnce", "ReadWriteOne"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    assert only(pvc, "invalid-enum").path == ("spec", "accessModes", 1)
    pc = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "p"},
        "value": 1,
        "preemptionPolicy": "never",
    }
    assert only(pc, "invalid-enum").path == ("preemptionPolicy",)


def test_restart_policy_per_controller():
    d = deployment()
    d["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    f = only(d, "invalid-enum")
    assert f.path == POD_PATH + ("restartPolicy",) and 'supported values: "Always"' in f.message
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}},
    }
    f = only(job, "invalid-enum")
    assert f.path == POD_PATH and "restartPolicy: Required value" in f.message
    job["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert only(job, "invalid-enum").path == POD_PATH + ("restartPolicy",)
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    assert run(job) == []


def test_custom_resource_reusing_a_kind_name_is_not_checked_as_built_in():
    knative = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": "hello"},
        "spec": {
            "type": "whatever",
            "template": {"spec": {"containers": [{"image": "x", "imagePullPolicy": "sometimes"}]}},
        },
    }
    assert run(knative) == []


# --- quantities ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", "0.1"),
        ("1Gi", str(2**30)),
        ("1e3", "1000"),
        ("0.5", "0.5"),
        ("1E3", "1000"),
        ("1E", str(10**18)),
        (".5", "0.5"),
        ("5.", "5"),
        ("+1", "1"),
        ("-1", "-1"),
        ("1Ki", "1024"),
        ("250u", "0.00025"),
        ("1e-3", "0.001"),
        (2, "2"),
        (0.5, "0.5"),
        (" 1Gi ", str(2**30)),
    ],
)
def test_quantity_grammar_accepts(text, value):
    from decimal import Decimal

    assert parse_quantity(text) == Decimal(value)


@pytest.mark.parametrize(
    "text", ["1GB", "1.5.0", "1ki", "1K", "1e", "1e1.5", ".", "", "Gi", "1 Gi", "1Mb", "one", True, None, [1]]
)
def test_quantity_grammar_rejects(text):
    assert parse_quantity(text) is None


def test_invalid_quantities_in_resources():
    doc = deployment(resources={"requests": {"memory": "1GB", "cpu": "-1"}, "limits": {"cpu": 1, "memory": "128m"}})
    found = {f.path: f for f in run(doc)}
    bad = found[C0 + ("resources", "requests", "memory")]
    assert bad.rule == "invalid-quantity" and '"1GB" is not a valid quantity' in bad.message
    assert bad.hint.startswith('did you mean "1G" or "1Gi"?')
    neg = found[C0 + ("resources", "requests", "cpu")]
    assert neg.rule == "invalid-quantity" and "must be greater than or equal to 0" in neg.message
    milli = found[C0 + ("resources", "limits", "memory")]
    assert milli.severity is Severity.WARNING and '"128Mi"' in milli.hint
    assert len(found) == 3


def test_requests_exceed_limits():
    doc = deployment(resources={"requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"cpu": "1500m", "memory": "1Gi"}})
    f = only(doc, "requests-exceed-limits")
    assert (
        f.path == C0 + ("resources", "requests", "cpu")
        and "must be less than or equal to cpu limit of 1500m" in f.message
    )


def test_storage_and_quota_quantities():
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "p"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "0"}}},
    }
    assert "must be greater than zero" in only(pvc, "invalid-quantity").message
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q"},
        "spec": {"hard": {"requests.memory": "10 GB", "pods": "10"}},
    }
    assert only(quota, "invalid-quantity").path == ("spec", "hard", "requests.memory")
    lr = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "l"},
        "spec": {
            "limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "1.5Gi"}, "max": {"memory": "2gb"}}]
        },
    }
    assert only(lr, "invalid-quantity").path == ("spec", "limits", 0, "max", "memory")


# --- ports -------------------------------------------------------------------------------------


def test_port_ranges_and_names():
    doc = deployment(
        ports=[{"containerPort": 70000}, {"containerPort": 80, "hostPort": 0, "name": "http-metrics-port"}],
        livenessProbe={"tcpSocket": {"port": 0}},
    )
    found = {f.path: f.message for f in run(doc)}
    assert found == {
        C0
        + ("ports", 0, "containerPort"): "containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        C0 + ("ports", 1, "name"): 'name: Invalid value: "http-metrics-port": must be no more than 15 characters',
        C0 + ("livenessProbe", "tcpSocket", "port"): "port: Invalid value: 0: must be between 1 and 65535, inclusive",
    }


@pytest.mark.parametrize(
    ("container", "path"),
    [
        ({"ports": [{"containerPort": 80, "hostPort": 70000}]}, C0 + ("ports", 0, "hostPort")),
        ({"ports": [{"containerPort": 80, "name": "Web"}]}, C0 + ("ports", 0, "name")),
        ({"readinessProbe": {"grpc": {"port": 0}}}, C0 + ("readinessProbe", "grpc", "port")),
        ({"startupProbe": {"httpGet": {"port": "8080"}}}, C0 + ("startupProbe", "httpGet", "port")),
        (
            {"livenessProbe": {"httpGet": {"port": 80}, "tcpSocket": {"port": 99999}}},
            C0 + ("livenessProbe", "tcpSocket", "port"),
        ),
    ],
)
def test_unusual_ports_and_probes_get_the_detailed_checks(container, path):
    assert only(deployment(**container), "invalid-port").path == path


def test_service_ports():
    f = only(service(ports=[{"port": 80, "targetPort": "8080"}]), "invalid-port")
    assert f.path == ("spec", "ports", 0, "targetPort") and "must contain at least one letter" in f.message
    assert "without quotes" in f.hint
    assert run(service(ports=[{"port": 80, "targetPort": "http"}])) == []
    f = only(service(ports=[{"name": "a", "port": 80}, {"port": 81}]), "invalid-port")
    assert f.path == ("spec", "ports", 1) and "name: Required value" in f.message
    f = only(service(ports=[{"port": 80, "nodePort": 30080}]), "invalid-port")
    assert f.path == ("spec", "ports", 0, "nodePort") and "may not be used when `type` is 'ClusterIP'" in f.message
    f = only(service(type="NodePort", ports=[{"port": 80, "nodePort": 8080}]), "invalid-port")
    assert f.severity is Severity.WARNING and "30000-32767" in f.message
    assert run(service(type="NodePort", ports=[{"port": 80, "nodePort": 30080}])) == []
    assert only(service(ports=[{"port": 0}]), "invalid-port").path == ("spec", "ports", 0, "port")
    assert run(service(ports=[{"port": True}])) == []  # a boolean is the schema's finding


def test_network_policy_and_ingress_ports():
    netpol = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "n"},
        "spec": {"podSelector": {}, "ingress": [{"ports": [{"port": 91000}, {"port": "metrics"}]}]},
    }
    f = only(netpol, "invalid-port")
    assert f.path == ("spec", "ingress", 0, "ports", 0, "port") and "91000" in f.message
    ing = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i"},
        "spec": {"defaultBackend": {"service": {"name": "s", "port": {"number": 65536}}}},
    }
    assert only(ing, "invalid-port").path == ("spec", "defaultBackend", "service", "port", "number")


# --- missing image ---------------------------------------------------------------------------


def test_missing_image_in_workloads():
    doc = deployment()
    del doc["spec"]["template"]["spec"]["containers"][0]["image"]
    f = only(doc, "missing-image")
    assert f.path == C0 and f.message == "containers[0] 'web': image: Required value"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"initContainers": [{"name": "init", "image": ""}], "containers": [{"name": "c", "image": "x"}]},
    }
    assert only(pod, "missing-image").path == ("spec", "initContainers", 0)
    cj = cronjob({"restartPolicy": "Never", "containers": [{"name": "c"}]})
    assert only(cj, "missing-image").path == ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0)


# --- selectors ---------------------------------------------------------------------------------


def test_selector_value_mismatch_points_at_template_label():
    doc = deployment()
    doc["spec"]["template"]["metadata"]["labels"]["app"] = "web2"
    f = only(doc, "selector-mismatch")
    assert f.path == ("spec", "template", "metadata", "labels", "app")
    assert "`selector` does not match template `labels` (selector wants app=web, template has app=web2)" in f.message


def test_selector_missing_label_points_at_labels_mapping():
    doc = deployment()
    doc["spec"]["template"]["metadata"]["labels"] = {"other": "x"}
    assert only(doc, "selector-mismatch").path == ("spec", "template", "metadata", "labels")
    del doc["spec"]["template"]["metadata"]["labels"]
    assert only(doc, "selector-mismatch").path == ("spec", "template", "metadata")


@pytest.mark.parametrize(
    ("expressions", "matches"),
    [
        ([{"key": "tier", "operator": "In", "values": ["web", "api"]}], True),
        ([{"key": "tier", "operator": "In", "values": ["db"]}], False),
        ([{"key": "tier", "operator": "NotIn", "values": ["web"]}], False),
        ([{"key": "tier", "operator": "NotIn", "values": ["db"]}], True),
        ([{"key": "tier", "operator": "Exists"}], True),
        ([{"key": "zone", "operator": "Exists"}], False),
        ([{"key": "zone", "operator": "DoesNotExist"}], True),
        ([{"key": "tier", "operator": "DoesNotExist"}], False),
    ],
)
def test_match_expressions(expressions, matches):
    doc = deployment()
    doc["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
    doc["spec"]["selector"]["matchExpressions"] = expressions
    assert [f.rule for f in run(doc)] == ([] if matches else ["selector-mismatch"])


def test_selector_syntax_and_empty_selector():
    doc = deployment()
    doc["spec"]["selector"] = {}
    f = only(doc, "selector-mismatch")
    assert f.path == ("spec", "selector") and "empty selector is invalid for deployment" in f.message
    doc["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "in", "values": ["web"]}]}
    f = only(doc, "invalid-enum")
    assert f.path == ("spec", "selector", "matchExpressions", 0, "operator") and '"In"' in f.hint


def test_job_and_replication_controller_selectors():
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {
            "selector": {"matchLabels": {"app": "j"}},
            "template": {
                "metadata": {"labels": {"app": "j"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]},
            },
        },
    }
    assert "not auto-generated" in only(job, "selector-mismatch").message
    job["spec"]["manualSelector"] = True
    assert run(job) == []
    job["spec"]["template"]["metadata"]["labels"]["app"] = "k"
    assert only(job, "selector-mismatch").path == ("spec", "template", "metadata", "labels", "app")
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "r"},
        "spec": {
            "selector": {"app": "r"},
            "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
        },
    }
    assert only(rc, "selector-mismatch").path == ("spec", "template", "metadata", "labels", "app")


def test_statefulset_and_daemonset_pass_and_fail():
    sts = copy.deepcopy(deployment())
    sts["kind"] = "StatefulSet"
    sts["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "d"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gb"}}},
        }
    ]
    f = only(sts, "invalid-quantity")
    assert f.path == ("spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage")
    ds = deployment()
    ds["kind"] = "DaemonSet"
    ds["spec"]["selector"]["matchLabels"]["extra"] = "1"
    assert only(ds, "selector-mismatch").path == ("spec", "template", "metadata", "labels")


# --- robustness ----------------------------------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=True), st.text(max_size=8))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=12,
)
_FIELDS = [
    "metadata",
    "spec",
    "template",
    "containers",
    "ports",
    "env",
    "resources",
    "requests",
    "selector",
    "matchLabels",
    "labels",
    "name",
    "image",
    "protocol",
    "port",
    "targetPort",
    "items",
    "jobTemplate",
]


def _graft(doc, path, value):
    """Put ``value`` at ``path`` (creating mappings on the way), to reach deep into known shapes."""
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node.get(key, {}), dict) else {}
    node[path[-1]] = value
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(KIND_CHECKS) + [("v1", "List"), ("example.com/v1", "Thing")]),
    path=st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=6),
    value=_values,
)
def test_arbitrary_shapes_never_crash(kind, path, value):
    doc = _graft({"apiVersion": kind[0], "kind": kind[1], "metadata": {"name": "x"}}, path, value)
    doc = _graft(doc, ["spec", "template", "spec"] + path[:2], value)
    for finding in run(doc):
        assert finding.rule in RULES and isinstance(finding.message, str)


# --- integer-or-percent budgets ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rolling", "path", "fragment"),
    [
        ({"maxSurge": "25", "maxUnavailable": "25%"}, ("maxSurge",), "a valid percent string must be a numeric string"),
        ({"maxUnavailable": "110%"}, ("maxUnavailable",), "must not be greater than 100%"),
        ({"maxUnavailable": -1}, ("maxUnavailable",), "must be greater than or equal to 0"),
        ({"maxUnavailable": 0, "maxSurge": "0%"}, ("maxUnavailable",), "may not be 0 when `maxSurge` is 0"),
    ],
)
def test_deployment_rolling_update_budgets(rolling, path, fragment):
    doc = deployment()
    doc["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": rolling}
    f = only(doc, "invalid-int-or-percent")
    assert f.path == ("spec", "strategy", "rollingUpdate") + path and fragment in f.message


def test_valid_budgets_and_pdb():
    doc = deployment()
    doc["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "150%", "maxUnavailable": 0}}
    assert run(doc) == []
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "p"},
        "spec": {"minAvailable": "50", "selector": {"matchLabels": {"app": "web"}}},
    }
    f = only(pdb, "invalid-int-or-percent")
    assert f.path == ("spec", "minAvailable") and "without quotes" in f.hint
    pdb["spec"]["minAvailable"] = "50%"
    assert run(pdb) == []
    sts = deployment()
    sts["kind"] = "StatefulSet"
    sts["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "1"}}
    assert only(sts, "invalid-int-or-percent").path == ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable")
