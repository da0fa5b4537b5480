"""validate/rules/apis.py: deprecated-api, removed-api and unknown-api-version (with the deprecations table)."""

from __future__ import annotations

import pytest

from kubepush.model import ObjectRef, Severity
from kubepush.validate.rules import diagnose_unknown
from kubepush.validate.rules.deprecations import DEPRECATIONS
from kubepush.validate.rules.schema_index import served_apis
from tests.unit.validate.rules.objects import cronjob, deployment, only, run


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
