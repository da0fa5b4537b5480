"""validate/rules/ports.py: invalid-port - numbers, IANA names and the NodePort range, in containers,
probes, Services, NetworkPolicies and Ingresses."""

from __future__ import annotations

import pytest

from kubepush.model import Severity
from tests.unit.validate.rules.objects import C0, deployment, only, run, service


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
