"""validate/rules/names.py: missing-name, invalid-name, invalid-label and invalid-annotation."""

from __future__ import annotations

import pytest

from tests.unit.validate.rules.objects import C0, POD_PATH, deployment, only, run, service


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
