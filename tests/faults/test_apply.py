"""Hostile conditions for ``kubepush apply``: killed mid-apply, raced, and sneaky pull requests.

- ``kill -9`` in the middle of an apply, then a re-run: converges (every object
  applied, the inventory lists exactly the manifests, nothing pruned by mistake),
  and the run after that changes nothing.
- Two applies of different revisions to one target at once: serialized or one
  refused - never a final cluster that matches neither revision, and never an
  object reported applied that the other run pruned.
- Guardrails: objects a restricted target must not get, hidden where a reviewer
  might not look (a ``kind: List``, a CronJob's job template, a Namespace object),
  are refused before any API call.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.support.cluster_helpers import configmap, run_json, write
from tests.support.cluster_helpers import inventory as parent_of  # (the test names its revision 'inventory')
from tests.support.fakekube.publisher import ROOT_CA

CONFIGMAPS = 24


def repo(root: Path, *objs: dict) -> Path:  # type: ignore[type-arg]
    """A checkout of one config repo (always the same ``repository:``, so two checkouts are two
    revisions of it) whose one pruning target ``app`` holds ``objs``."""
    write(root / "m", "all.yaml", *objs)
    (root / "kubepush.yaml").write_text(yaml.safe_dump({"repository": "git.example.com/acme/app", "targets": [
        {"name": "app", "path": "m", "namespace": "default", "prune": True}]}))
    return root


def start_apply(fake, root: Path, *extra: str) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, "-m", "kubepush.cli", "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate",
         "--no-wait", "-o", "json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root,
    )


def apply_here(capsys, fake, root: Path, *extra: str):  # type: ignore[no-untyped-def]
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return run_json(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate", "--no-wait", *extra)
    finally:
        os.chdir(cwd)


def wait_for(condition, timeout: float = 30.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def names(fake, namespace: str = "default") -> set[str]:  # type: ignore[no-untyped-def]
    """The ConfigMaps the repositories declared: all but the one the controller-manager publishes."""
    return {o["metadata"]["name"] for o in fake.list("ConfigMap", namespace)} - {ROOT_CA}


def test_kill_9_mid_apply_then_rerun_converges(make_fake_kube, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    slow = {"on": True}
    fake = make_fake_kube(latency=lambda r: 0.05 if slow["on"] and r.method == "PATCH" else 0.0)
    wanted = {f"c{i:02d}" for i in range(CONFIGMAPS)}
    root = repo(tmp_path, *[configmap(n) for n in sorted(wanted)])
    proc = start_apply(fake, root, "--concurrency", "1", "--revision", "r1")
    wait_for(lambda: len(names(fake)) >= 5, what="the first objects to be applied")
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial = names(fake)
    assert 5 <= len(partial) < CONFIGMAPS, partial  # really killed in the middle

    slow["on"] = False
    code, report, err = apply_here(capsys, fake, root, "--revision", "r1")
    assert code == 0, err
    assert names(fake) == wanted
    assert fake.get("ConfigMap", "default", ROOT_CA) is not None  # never pruned as "not in Git"
    actions = {f["object"]["name"]: f["rule"] for f in report["findings"] if f["object"]["kind"] == "ConfigMap"}
    assert set(actions) == wanted and set(actions.values()) <= {"created", "unchanged", "configured"}, actions
    again = apply_here(capsys, fake, root, "--revision", "r1")
    assert again[0] == 0 and {f["rule"] for f in again[1]["findings"]} == {"unchanged"}, again[1]
    # The inventory knows every object, also those the killed run created: dropping two from Git
    # prunes exactly those two.
    gone = {min(partial), max(wanted - partial)}
    repo(tmp_path, *[configmap(n) for n in sorted(wanted - gone)])
    code, report, err = apply_here(capsys, fake, root, "--revision", "r2")
    assert code == 0, err
    assert names(fake) == wanted - gone


def test_two_applies_to_one_target_are_serialized_or_refused(make_fake_kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake = make_fake_kube(latency=lambda r: 0.25 if r.method in ("PATCH", "DELETE") else 0.0)
    old = {f"old{i}" for i in range(8)} | {"shared"}
    new = {f"new{i}" for i in range(8)} | {"shared"}
    first = start_apply(fake, repo(tmp_path / "r1", *[configmap(n) for n in sorted(old)]), "--revision", "r1",
                        "--concurrency", "1")
    wait_for(lambda: names(fake), what="the first apply to start")
    second = start_apply(fake, repo(tmp_path / "r2", *[configmap(n) for n in sorted(new)]), "--revision", "r2",
                         "--concurrency", "1")
    results = []
    for proc in (first, second):
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err
        results.append((proc.returncode, out, err))
    codes = [code for code, _, _ in results]
    final = names(fake)
    if codes == [0, 0]:  # serialized: the later revision wins whole
        assert final in (old, new), (sorted(final - new), sorted(final - old), [(c, e[-600:]) for c, _, e in results])
    else:  # one refused, clearly, and the other's revision is whole
        assert sorted(codes) == [0, 2], results
        refused = results[codes.index(2)][2]
        assert "apply" in refused.lower() and ("progress" in refused.lower() or "lock" in refused.lower()), refused
        assert final == (old if codes[0] == 0 else new), sorted(final)
    # The inventory says which revision is applied: the cluster must be exactly that revision.
    inventory = parent_of(fake, "default", "app")["metadata"]["annotations"]["kubepush.dev/revision"]
    assert final == {"r1": old, "r2": new}[inventory], (inventory, sorted(final))


def test_guardrails_see_through_lists_templates_and_namespace_objects(fake_kube, tmp_path: Path, capsys,
                                                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]
    host_path = {"containers": [{"name": "c", "image": "busybox"}],
                 "volumes": [{"name": "h", "hostPath": {"path": "/var/run/docker.sock"}}]}
    sneaky = [
        configmap("fine", "team"),
        {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": {"name": "innocent-looking"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
             "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "team"}]}]},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "team"},
         "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {
             "spec": {**host_path, "restartPolicy": "Never"}}}}}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}},
        configmap("elsewhere", "team-evil"),
    ]
    write(tmp_path / "team", "m.yaml", *sneaky)
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "team", "path": "team", "restricted": True, "namespaces": ["team"]}]}))
    monkeypatch.chdir(tmp_path)
    code, report, err = run_json(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path)
    assert code == 1, err
    refused = {f["object"]["name"] for f in report["findings"] if f["rule"] == "guardrail"}
    assert refused == {"innocent-looking", "nightly", "kube-system", "elsewhere"}, report["findings"]
    assert fake_kube.requests == []  # refused before any API call, the fine object too
