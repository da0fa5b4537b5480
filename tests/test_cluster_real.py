"""The same scenarios against a real cluster - opt-in: ``KUBEPUSH_E2E_KUBECONFIG=~/.kube/kind pytest -m e2e``.

Each test works in its own namespace (deleted afterwards); real controllers roll out the
Deployments, so waits are real. Skipped when the variable is not set.
"""

from __future__ import annotations

import os
import uuid

import pytest
from cluster_helpers import configmap, deployment, run_json, write

KUBECONFIG = os.environ.get("KUBEPUSH_E2E_KUBECONFIG", "")
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not KUBECONFIG, reason="set KUBEPUSH_E2E_KUBECONFIG to run")]


@pytest.fixture
def cluster():
    from kubepush.cluster.client import Cluster

    c = Cluster(KUBECONFIG)
    c.check()
    yield c
    c.close()


@pytest.fixture
def namespace(cluster):
    name = f"kubepush-e2e-{uuid.uuid4().hex[:8]}"
    yield name
    cluster.delete(cluster.resource("v1", "Namespace"), None, name)


def apply(capsys, path, *args):
    return run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--revision", "e2e", str(path), *args)


def by_name(report):
    return {f["object"]["name"]: f for f in report["findings"]}


def ns_object(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def test_apply_waits_for_a_real_rollout_and_is_idempotent(capsys, tmp_path, namespace):
    write(tmp_path, "m.yaml", ns_object(namespace), configmap("cfg", namespace),
          deployment(namespace=namespace, replicas=1, image="registry.k8s.io/pause:3.9"))
    code, report, err = apply(capsys, tmp_path, "--timeout", "180")
    assert code == 0, err
    assert {f["rule"] for f in report["findings"]} == {"created"}
    code, report, err = apply(capsys, tmp_path, "--timeout", "180")
    assert code == 0, err
    assert {f["rule"] for f in report["findings"]} == {"unchanged"}


def test_drift_names_who_changed_a_field_and_heal_restores_it(capsys, tmp_path, namespace, cluster):
    write(tmp_path, "m.yaml", ns_object(namespace), configmap("cfg", namespace, mode="git"))
    assert apply(capsys, tmp_path, "--no-wait")[0] == 0
    info = cluster.resource("v1", "ConfigMap")
    cluster.request("PATCH", info.path(namespace, "cfg"), query={"fieldManager": "kubectl-edit"},
                    body={"data": {"mode": "edited"}}, content_type="application/merge-patch+json")
    code, report, _ = run_json(capsys, "drift", "--kubeconfig", KUBECONFIG, str(tmp_path))
    assert code == 1
    assert "data.mode set to edited by kubectl-edit (Update)" in by_name(report)["cfg"]["message"]
    code, _, err = run_json(capsys, "drift", "--kubeconfig", KUBECONFIG, str(tmp_path), "--heal")
    assert code == 0, err
    assert cluster.get(info, namespace, "cfg")["data"]["mode"] == "git"


def test_prune_removes_objects_that_left_git(capsys, tmp_path, namespace, cluster, monkeypatch):
    import yaml

    write(tmp_path / "t", "m.yaml", ns_object(namespace), configmap("keep", namespace), configmap("gone", namespace))
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "e2e", "path": "t", "namespace": namespace, "prune": True}]}))
    monkeypatch.chdir(tmp_path)
    assert run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--no-wait")[0] == 0
    write(tmp_path / "t", "m.yaml", ns_object(namespace), configmap("keep", namespace))
    code, report, err = run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--no-wait")
    assert code == 0, err
    assert by_name(report)["gone"]["rule"] == "pruned"
    assert cluster.get(cluster.resource("v1", "ConfigMap"), namespace, "gone") is None


def test_immutable_selector_is_named(capsys, tmp_path, namespace):
    write(tmp_path, "m.yaml", ns_object(namespace), deployment(namespace=namespace, app="a", replicas=0,
                                                                image="registry.k8s.io/pause:3.9"))
    assert apply(capsys, tmp_path, "--no-wait")[0] == 0
    write(tmp_path, "m.yaml", ns_object(namespace), deployment(namespace=namespace, app="b", replicas=0,
                                                                image="registry.k8s.io/pause:3.9"))
    code, report, _ = apply(capsys, tmp_path, "--no-wait")
    assert code == 1
    assert "spec.selector" in by_name(report)["web"]["message"]
