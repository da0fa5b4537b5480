"""The same scenarios against a real cluster - opt-in: ``KUBEPUSH_E2E_KUBECONFIG=~/.kube/kind pytest -m e2e``.

Each test works in its own namespace (deleted afterwards); real controllers roll out the
Deployments, so waits are real. Skipped when the variable is not set.
"""

from __future__ import annotations

import os
import uuid

import pytest
from cluster_helpers import configmap, deployment, run_json, scale, write

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


def _repo_target(tmp_path, namespace, *objs):
    """A Git repository with one target ``t`` in ``namespace`` holding ``objs``; returns (repo, sha)."""
    import subprocess

    import yaml

    repo = tmp_path / "repo"
    write(repo / "t", "m.yaml", ns_object(namespace), *objs)
    (repo / "kubepush.yaml").write_text(yaml.safe_dump({"repository": f"e2e.example/{namespace}", "targets": [
        {"name": "e2e", "path": "t", "namespace": namespace}]}))  # no origin: the repository is named
    if not (repo / ".git").exists():
        _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "change")
    return repo, subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                                check=True).stdout.strip()


def _git(repo, *args):
    import subprocess

    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo, check=True,
                   capture_output=True)


def _revisions(cluster, namespace):
    """(revision, healthy-revision) of the target's inventory parent, found by its ApplySet label."""
    parents = cluster.list(cluster.resource("v1", "Secret"), namespace, label_selector="applyset.kubernetes.io/id")
    assert len(parents) == 1, [p["metadata"]["name"] for p in parents]
    annotations = parents[0]["metadata"].get("annotations") or {}
    return annotations.get("kubepush.dev/revision"), annotations.get("kubepush.dev/healthy-revision")


def test_only_a_clean_revision_that_proved_healthy_is_recorded_healthy(capsys, tmp_path, namespace, cluster,
                                                                      monkeypatch):
    """ConfigMaps only (healthy without nodes): a dirty tree is warned about and marked, --no-wait proves nothing."""
    repo, one = _repo_target(tmp_path, namespace, configmap("cfg", namespace, mode="one"))
    monkeypatch.chdir(repo)
    base = ("apply", "--kubeconfig", KUBECONFIG, "--no-validate", "--timeout", "60")
    assert run_json(capsys, *base)[0] == 0
    assert _revisions(cluster, namespace) == (one, one)
    write(repo / "t", "m.yaml", ns_object(namespace), configmap("cfg", namespace, mode="edited"))
    code, _, err = run_json(capsys, *base)
    assert code == 0, err
    assert "t/m.yaml has uncommitted changes" in err
    assert _revisions(cluster, namespace) == (f"{one}-dirty", one)
    _, two = _repo_target(tmp_path, namespace, configmap("cfg", namespace, mode="two"))
    assert run_json(capsys, *base, "--no-wait")[0] == 0
    assert _revisions(cluster, namespace) == (two, one)


def test_rollback_after_a_rollout_that_cannot_finish_names_repository_paths(capsys, tmp_path, namespace, cluster,
                                                                            monkeypatch):
    """Without nodes a Deployment never becomes available: health fails at --timeout, the failed
    revision is not recorded healthy, and rollback goes back to the ConfigMap-only revision."""
    repo, good = _repo_target(tmp_path, namespace, configmap("cfg", namespace, mode="good"))
    monkeypatch.chdir(repo)
    base = ("apply", "--kubeconfig", KUBECONFIG, "--no-validate")
    assert run_json(capsys, *base, "--timeout", "60")[0] == 0
    _, bad = _repo_target(tmp_path, namespace, configmap("cfg", namespace, mode="bad"),
                          deployment(namespace=namespace, replicas=1, image="registry.k8s.io/pause:3.9"))
    code, report, err = run_json(capsys, *base, "--timeout", "8", "--rollback-on-failure")
    assert code == 1, err
    note = next(f["message"] for f in report["findings"] if f["rule"] == "rollback")
    assert f"ROLLED BACK to {good} after health failed for {bad}" in note, note
    rolled = [f for f in report["findings"] if f["message"].startswith(f"[e2e rollback {good[:12]}]")]
    assert rolled and {f["file"] for f in rolled} == {"t/m.yaml"}
    assert cluster.get(cluster.resource("v1", "ConfigMap"), namespace, "cfg")["data"]["mode"] == "good"
    assert _revisions(cluster, namespace) == (good, good)
def test_ignored_replicas_scaled_by_another_manager_are_left_alone_by_diff_and_apply(
        capsys, tmp_path, namespace, cluster, monkeypatch):
    """drift.ignore: diff and apply agree. Needs no node: nothing waits for pods to run."""
    import yaml

    def pods(image):
        write(tmp_path / "t", "m.yaml", ns_object(namespace),
              deployment(namespace=namespace, replicas=1, image=f"registry.k8s.io/pause:{image}"))

    def live():
        return cluster.get(cluster.resource("apps/v1", "Deployment"), namespace, "web")

    pods("3.9")
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({
        "targets": [{"name": "e2e", "path": "t", "namespace": namespace}],
        "drift": {"ignore": [{"kind": "Deployment", "name": "web", "paths": ["/spec/replicas"]}]}}))
    monkeypatch.chdir(tmp_path)
    assert run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--no-wait", "--revision", "e2e")[0] == 0
    assert live()["spec"]["replicas"] == 1  # created as Git has it
    scale(KUBECONFIG, namespace, "web", 3, "e2e-scaler")

    code, report, err = run_json(capsys, "diff", "--kubeconfig", KUBECONFIG)
    assert code == 0 and by_name(report)["web"]["rule"] == "in-sync", err
    code, report, err = run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--no-wait", "--revision", "e2e")
    assert code == 0, err
    assert "left alone: spec.replicas stays 3 (Git: 1; ignored: /spec/replicas)" in by_name(report)["web"]["message"]
    assert live()["spec"]["replicas"] == 3

    pods("3.10")  # another field still follows Git
    code, report, _ = run_json(capsys, "diff", "--kubeconfig", KUBECONFIG)
    message = by_name(report)["web"]["message"]
    assert code == 1 and "an apply would change 1 field\n" in message, message
    assert "spec.template.spec.containers[0].image changed in Git" in message
    code, report, err = run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--no-wait", "--revision", "e2e")
    assert code == 0 and by_name(report)["web"]["rule"] == "configured", err
    assert live()["spec"]["replicas"] == 3
    assert live()["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.k8s.io/pause:3.10"
    code, report, err = run_json(capsys, "drift", "--kubeconfig", KUBECONFIG)
    assert code == 0, err
