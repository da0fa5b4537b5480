"""The same scenarios against a real cluster - opt-in: ``KUBEPUSH_E2E_KUBECONFIG=~/.kube/kind pytest -m e2e``.

Each test works in its own namespace (deleted afterwards); real controllers roll out the
Deployments, so waits are real. Skipped when the variable is not set. A test that needs pods
to run (``pods_run``) skips, saying why, on a cluster where no node can take one - such as a
control plane without nodes, where every other scenario still runs.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.support import cluster_helpers as helpers
from tests.support.cluster_helpers import backup, configmap, crd, deployment, run_json, scale, secret, write
from tests.support.git_fixtures import git
from tests.support.kubepush_cli import kubepush

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
def pods_run(cluster):
    """For tests that need pods to run: skipped, with the reason, on a cluster where none can."""
    reason = helpers.pods_cannot_run(cluster)
    if reason:
        pytest.skip(f"needs a schedulable node: {reason}")


@pytest.fixture
def pods_never_run(cluster):
    """For tests that need a rollout that cannot finish: skipped where pods can run."""
    if not helpers.pods_cannot_run(cluster):
        pytest.skip("needs a cluster where pods cannot run (no schedulable node), so that health fails")


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


def test_apply_waits_for_a_real_rollout_and_is_idempotent(capsys, tmp_path, namespace, pods_run):
    write(tmp_path, "m.yaml", ns_object(namespace), configmap("cfg", namespace),
          deployment(namespace=namespace, replicas=1, image="registry.k8s.io/pause:3.9"))
    code, report, err = apply(capsys, tmp_path, "--timeout", "180")
    assert code == 0, err
    assert {f["rule"] for f in report["findings"]} == {"created"}
    code, report, err = apply(capsys, tmp_path, "--timeout", "180")
    assert code == 0, err
    assert {f["rule"] for f in report["findings"]} == {"unchanged"}


def test_drift_names_who_changed_a_field_and_heal_restores_it(capsys, tmp_path, namespace, cluster):
    """Robust to whatever else the cluster holds: other inventories (also of earlier kubepush
    versions, kubepush-default), other sets' members, kube-root-ca.crt - drift sees its own set only."""
    write(tmp_path, "m.yaml", ns_object(namespace), configmap("cfg", namespace, mode="git"))
    assert apply(capsys, tmp_path, "--no-wait", "-n", namespace)[0] == 0
    info = cluster.resource("v1", "ConfigMap")
    cluster.request("PATCH", info.path(namespace, "cfg"), query={"fieldManager": "kubectl-edit"},
                    body={"data": {"mode": "edited"}}, content_type="application/merge-patch+json")
    drift = ("drift", "--kubeconfig", KUBECONFIG, "-n", namespace, str(tmp_path))
    code, report, _ = run_json(capsys, *drift)
    assert code == 1
    assert sorted((f["rule"], f["object"]["name"]) for f in report["findings"]) == [
        ("drift", "cfg"), ("in-sync", namespace)]
    assert "data.mode set to edited by kubectl-edit (Update)" in by_name(report)["cfg"]["message"]
    code, _, err = run_json(capsys, *drift, "--heal")
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
                                                                            monkeypatch, pods_never_run):
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
    assert code == 0 and by_name(report)["web"]["rule"] == "unchanged", err
    code, report, err = run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--no-wait", "--revision", "e2e")
    assert code == 0, err
    assert "left alone: spec.replicas stays 3 (Git: 1; ignored: /spec/replicas)" in by_name(report)["web"]["message"]
    assert live()["spec"]["replicas"] == 3

    pods("3.10")  # another field still follows Git
    code, report, _ = run_json(capsys, "diff", "--kubeconfig", KUBECONFIG)
    message = by_name(report)["web"]["message"]
    assert code == 0 and by_name(report)["web"]["action"] == "configure" and " 1 field\n" in message, message
    assert [f["path"] for f in by_name(report)["web"]["fields"]] == ["spec.template.spec.containers[0].image"]
    code, report, err = run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--no-wait", "--revision", "e2e")
    assert code == 0 and by_name(report)["web"]["rule"] == "configured", err
    assert live()["spec"]["replicas"] == 3
    assert live()["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.k8s.io/pause:3.10"
    code, report, err = run_json(capsys, "drift", "--kubeconfig", KUBECONFIG)
    assert code == 0, err


# --- a cluster shared by repositories and targets (no nodes needed: --no-wait, no pods) ---------------------------
@pytest.fixture
def group(cluster, namespace):
    """A CRD group of this test only (CRDs are cluster-wide); the CRD is deleted afterwards."""
    name = f"{namespace}.example.com"
    yield name
    cluster.delete(cluster.resource("apiextensions.k8s.io/v1", "CustomResourceDefinition"), None, f"backups.{name}")


def in_repo(capsys, monkeypatch, where, command, *args):
    monkeypatch.chdir(where)
    extra = ("--no-validate", "--no-wait") if command == "apply" else ()
    return run_json(capsys, command, "--kubeconfig", KUBECONFIG, *extra, *args)


def rules(report):
    return sorted((f["rule"], f["object"]["name"]) for f in report["findings"])


def test_two_repositories_with_one_target_name_never_prune_each_other(capsys, tmp_path, namespace, group,
                                                                       cluster, monkeypatch):
    """Item 1 of the shared-cluster issue: Deployment, ConfigMap, Secret and custom resource of one repository
    survive the other's pruning apply, both ways, and neither's drift calls the other's objects extra."""
    cluster.apply(cluster.resource("v1", "Namespace"), ns_object(namespace))
    helpers.write(tmp_path / "crd", "crd.yaml", crd(group))
    assert run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--no-wait", str(tmp_path / "crd"),
                    "-n", namespace)[0] == 0

    def objects(prefix):
        return [deployment(f"{prefix}-web", namespace, replicas=0, image="registry.k8s.io/pause:3.9"),
                configmap(f"{prefix}-cfg", namespace), secret(f"{prefix}-db", namespace),
                backup(f"{prefix}-nightly", namespace, group)]

    one = helpers.config_repo(tmp_path, "one", objects("one"), "https://github.com/acme/e2e-one.git", namespace)
    two = helpers.config_repo(tmp_path, "two", objects("two"), "git@github.com:acme/e2e-two.git", namespace)
    for repo in (one, two, one):
        code, report, err = in_repo(capsys, monkeypatch, repo, "apply")
        assert code == 0, err
        assert [r for r in rules(report) if r[0] in ("pruned", "kept")] == [], rules(report)
    for prefix, repo in (("one", one), ("two", two)):
        code, report, err = in_repo(capsys, monkeypatch, repo, "drift")
        assert code == 0, err
        assert {name for _, name in rules(report)} == {f"{prefix}-web", f"{prefix}-cfg", f"{prefix}-db",
                                                         f"{prefix}-nightly"}


def test_another_repositorys_object_is_refused_and_taken_over_only_when_asked(capsys, tmp_path, namespace, cluster,
                                                                              monkeypatch):
    cluster.apply(cluster.resource("v1", "Namespace"), ns_object(namespace))
    one = helpers.config_repo(tmp_path, "one", [configmap("cfg", namespace, owner="one")],
                              "https://github.com/acme/e2e-one", namespace)
    two = helpers.config_repo(tmp_path, "two", [configmap("cfg", namespace, owner="two")],
                              "https://github.com/acme/e2e-two", namespace)
    assert in_repo(capsys, monkeypatch, one, "apply")[0] == 0
    code, report, _ = in_repo(capsys, monkeypatch, two, "apply")
    assert code == 1 and rules(report) == [("owned-elsewhere", "cfg")]
    assert "github.com/acme/e2e-one" in report["findings"][0]["message"]
    info = cluster.resource("v1", "ConfigMap")
    assert cluster.get(info, namespace, "cfg")["data"] == {"owner": "one"}
    code, report, err = in_repo(capsys, monkeypatch, two, "apply", "--take-over")
    assert code == 0, err
    assert "taken over from" in report["findings"][0]["message"]
    code, report, _ = in_repo(capsys, monkeypatch, one, "drift")
    assert code == 1 and rules(report) == [("owned-elsewhere", "cfg")]


def test_a_crd_two_targets_share_conflicts_unless_declared_shared(capsys, tmp_path, namespace, group, cluster,
                                                                 monkeypatch):
    """Item 2: a CRD both targets render (relabelled per target, as a kustomize overlay would)."""
    import yaml

    namespaces = [f"{namespace}-{env}" for env in ("staging", "production")]
    try:
        for env, ns in zip(("staging", "production"), namespaces, strict=True):
            definition = crd(group)
            definition["metadata"]["labels"] = {"env": env}
            write(tmp_path / env, "m.yaml", ns_object(ns), definition, configmap("app", ns))
        config = {"repository": f"git.example.com/e2e/{namespace}", "targets": [
            {"name": env, "path": env, "namespace": ns, "prune": {"enabled": True, "customResourceDefinitions": True}}
            for env, ns in zip(("staging", "production"), namespaces, strict=True)]}
        (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump(config))
        code, report, _ = in_repo(capsys, monkeypatch, tmp_path, "apply")
        assert code == 1
        assert {r for r in rules(report)} == {("declared-twice", f"backups.{group}")}
        crds = cluster.resource("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        assert cluster.get(crds, None, f"backups.{group}") is None  # nothing was written
        config["shared"] = [{"kind": "CustomResourceDefinition", "name": f"backups.{group}"}]
        (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump(config))
        for args in ((), ("-t", "staging"), ("-t", "production")):
            code, report, err = in_repo(capsys, monkeypatch, tmp_path, "apply", *args)
            assert code == 0, err
            assert not [r for r in rules(report) if r[0] in ("pruned", "kept")]
        live = cluster.get(crds, None, f"backups.{group}")
        assert "applyset.kubernetes.io/part-of" not in (live["metadata"].get("labels") or {})
        for env in ("staging", "production"):
            code, report, err = in_repo(capsys, monkeypatch, tmp_path, "drift", "-t", env)
            assert code == 0, (env, rules(report), err)
    finally:
        for ns in namespaces:
            cluster.delete(cluster.resource("v1", "Namespace"), None, ns)


def test_an_inventory_of_an_earlier_version_migrates(capsys, tmp_path, namespace, cluster, monkeypatch):
    cluster.apply(cluster.resource("v1", "Namespace"), ns_object(namespace))
    info = cluster.resource("v1", "ConfigMap")
    secrets = cluster.resource("v1", "Secret")
    helpers.legacy_inventory(lambda obj: cluster.apply(secrets if obj["kind"] == "Secret" else info, obj),
                             namespace, "staging", configmap("cfg", namespace), configmap("old", namespace))
    one = helpers.config_repo(tmp_path, "one", [configmap("cfg", namespace)], "https://github.com/acme/e2e-one",
                              namespace)
    code, report, err = in_repo(capsys, monkeypatch, one, "apply")
    assert code == 0, err
    assert "ConfigMap/" + namespace + "/old" in err and cluster.get(info, namespace, "old") is not None
    code, report, err = in_repo(capsys, monkeypatch, one, "apply", "--adopt-inventory")
    assert code == 0, err
    assert ("pruned", "old") in rules(report)
    assert cluster.get(info, namespace, "old") is None and cluster.get(secrets, namespace, "kubepush-staging") is None


def test_a_bump_for_one_target_changes_only_that_targets_deployment(capsys, tmp_path, namespace, cluster,
                                                                     monkeypatch):
    """Issue 9 item 3: two targets built from one kustomize base in one namespace; ``bump -t staging``
    then applying both must change staging's Deployment only (no nodes needed: the specs are compared)."""
    import yaml

    cluster.apply(cluster.resource("v1", "Namespace"), ns_object(namespace))
    repo = tmp_path / "config"
    write(repo / "base", "deployment.yaml",
          deployment(namespace=namespace, replicas=0, image="registry.k8s.io/pause:3.9"))
    (repo / "base/kustomization.yaml").write_text("resources:\n  - deployment.yaml\n")
    for name in ("staging", "production"):
        (repo / "overlays" / name).mkdir(parents=True)
        (repo / "overlays" / name / "kustomization.yaml").write_text(
            f"resources:\n  - ../../base\nnamePrefix: {name}-\n")
    (repo / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": n, "path": f"overlays/{n}", "namespace": namespace} for n in ("staging", "production")]}))
    git("init", "--quiet", "--bare", "-b", "main", str(tmp_path / "origin.git"))
    git("init", "--quiet", "-b", "main", cwd=repo)
    git("add", ".", cwd=repo)
    git("commit", "--quiet", "-m", "config", cwd=repo)
    git("remote", "add", "origin", str(tmp_path / "origin.git"), cwd=repo)
    git("push", "--quiet", "origin", "main", cwd=repo)
    monkeypatch.chdir(repo)
    code, _, err = run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--no-wait")
    assert code == 0, err
    deployments = cluster.resource("apps/v1", "Deployment")
    production = cluster.get(deployments, namespace, "production-web")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITHUB_", "GITLAB_", "CI_"))}
    bumped = kubepush("bump", "-t", "staging", "--image", "registry.k8s.io/pause:3.10", "--direct", cwd=repo,
                      env=env)
    assert bumped.returncode == 0, bumped.stdout + bumped.stderr
    git("fetch", "--quiet", "origin", cwd=repo)
    git("reset", "--quiet", "--hard", "origin/main", cwd=repo)  # what CI checks out for the next apply
    code, report, err = run_json(capsys, "apply", "--kubeconfig", KUBECONFIG, "--no-wait")
    assert code == 0, err
    assert by_name(report)["production-web"]["rule"] == "unchanged"
    staging = cluster.get(deployments, namespace, "staging-web")
    assert [c["image"] for c in staging["spec"]["template"]["spec"]["containers"]] == ["registry.k8s.io/pause:3.10"]
    after = cluster.get(deployments, namespace, "production-web")
    assert after["spec"] == production["spec"]
    assert after["metadata"]["generation"] == production["metadata"]["generation"]
    assert "pause:3.9" in (repo / "base/deployment.yaml").read_text()  # the shared base is untouched


# --- errors that must be clear (item 8 of the shared-cluster issue; no nodes needed) -------------------------------
def test_a_kubeconfig_whose_ca_did_not_sign_the_server_is_one_clear_line(capsys, tmp_path):
    """The real server's certificate checked against another CA: exit 2, one line naming the file, no secret."""
    import base64

    import yaml

    if os.pathsep in KUBECONFIG:
        pytest.skip("KUBEPUSH_E2E_KUBECONFIG lists several files")
    config = yaml.safe_load(open(KUBECONFIG, encoding="utf-8"))
    current = next(c for c in config["contexts"] if c["name"] == config.get("current-context"))["context"]
    cluster = next(c for c in config["clusters"] if c["name"] == current["cluster"])["cluster"]
    if not str(cluster.get("server", "")).startswith("https") or cluster.get("insecure-skip-tls-verify"):
        pytest.skip("the cluster's server is not verified over TLS")
    cluster.pop("certificate-authority", None)
    cluster["certificate-authority-data"] = base64.b64encode(helpers.other_ca()).decode()
    bad = tmp_path / "kubeconfig"
    bad.write_text(yaml.safe_dump(config))
    write(tmp_path / "m", "m.yaml", configmap("cfg", "default"))
    code, _, err = helpers.run(capsys, "drift", "--kubeconfig", str(bad), str(tmp_path / "m"))
    lines = [line for line in err.splitlines() if line.startswith("kubepush: error")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert f"in {bad}) is not trusted" in lines[0] and "certificate verify failed" in lines[0], lines[0]
    user = next((u["user"] for u in config.get("users") or [] if u["name"] == current.get("user")), {}) or {}
    for value in (user.get("token"), user.get("client-key-data")):
        assert not value or value not in err


def test_a_sops_encrypted_secret_is_applied_decrypted_and_drift_sees_no_false_drift(capsys, tmp_path, namespace,
                                                                                  cluster, sops_env):
    """A real API server stores the decrypted value (stringData folded into data) and drift compares
    the decrypted desired Secret with it - the ciphertext never reaches the cluster."""
    import base64

    from tests.support.sops_keys import encrypt
    from tests.support.sops_keys import secret as sops_secret

    write(tmp_path, "ns.yaml", ns_object(namespace))
    encrypt(tmp_path, "secret.yaml", sops_secret("db", namespace, password="e2e-KNOWN-5e1f"),
            recipient=sops_env.recipient)
    code, report, err = apply(capsys, tmp_path, "--no-wait")
    assert code == 0, err
    assert "e2e-KNOWN-5e1f" not in str(report) + err
    live = cluster.get(cluster.resource("v1", "Secret"), namespace, "db")
    assert base64.b64decode(live["data"]["password"]) == b"e2e-KNOWN-5e1f" and "sops" not in live
    code, report, err = run_json(capsys, "drift", "--kubeconfig", KUBECONFIG, str(tmp_path))
    assert code == 0, report


def test_waves_apply_in_order_and_a_configmap_hook_is_only_created(capsys, tmp_path, namespace, cluster):
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "web", "namespace": namespace, "annotations": {"argocd.argoproj.io/sync-wave": "0"}},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    late = configmap("late", namespace)
    late["metadata"]["annotations"] = {"kubepush.dev/wave": "1"}
    marker = configmap("applied-marker", namespace)
    marker["metadata"]["annotations"] = {"kubepush.dev/hook": "post-apply"}
    ns = ns_object(namespace)
    ns["metadata"]["annotations"] = {"kubepush.dev/wave": "-1"}
    write(tmp_path, "m.yaml", ns, service, late, marker)
    code, report, err = apply(capsys, tmp_path, "--timeout", "60")
    assert code == 0, err
    found = by_name(report)
    assert {found[n]["rule"] for n in (namespace, "web", "late")} == {"created"}
    assert "created only: a ConfigMap does not run to completion" in found["applied-marker"]["message"]
    assert err.index("wave -1 (1/3)") < err.index("wave 0 (2/3)") < err.index("wave 1 (3/3)") < \
        err.index("post-apply hook")
    info = cluster.resource("v1", "ConfigMap")
    hook = cluster.get(info, namespace, "applied-marker")
    assert "kubepush.dev/hook-of" in hook["metadata"]["labels"]
    assert "applyset.kubernetes.io/part-of" not in hook["metadata"]["labels"]
    code, report, err = apply(capsys, tmp_path, "--timeout", "60")  # the hook is created again
    assert code == 0, err
    assert cluster.get(info, namespace, "applied-marker")["metadata"]["uid"] != hook["metadata"]["uid"]


def test_a_hook_job_that_does_not_finish_fails_at_the_timeout(capsys, tmp_path, namespace):
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {
        "name": "migrate", "namespace": namespace, "annotations": {"kubepush.dev/hook": "pre-apply"}},
        "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "migrate", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}}}}
    write(tmp_path, "m.yaml", ns_object(namespace))
    assert apply(capsys, tmp_path)[0] == 0  # the hook's namespace first: pre-apply hooks run before anything
    write(tmp_path, "m.yaml", ns_object(namespace), configmap("cfg", namespace), job)
    code, report, _ = apply(capsys, tmp_path, "--timeout", "5")
    assert code == 1
    found = by_name(report)
    assert found["migrate"]["rule"] == "failed" and "did not finish within --timeout 5s" in found["migrate"]["message"]
    assert found["cfg"]["rule"] == "not-applied"


def test_writes_a_webhook_cannot_answer_wait_and_then_name_it(capsys, tmp_path, namespace, cluster):
    if cluster.check().get("gitVersion", "").endswith("-fakekube"):
        pytest.skip("the fake apiserver calls no admission webhooks (its own tests inject the answer)")
    info = cluster.resource("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration")
    name = f"{namespace}.kubepush.dev"
    cluster.apply(cluster.resource("v1", "Namespace"), ns_object(namespace))
    cluster.apply(info, {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [{"name": name, "sideEffects": "None", "admissionReviewVersions": ["v1"],
                      "failurePolicy": "Fail", "timeoutSeconds": 1,
                      "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                      "clientConfig": {"service": {"name": "not-running", "namespace": namespace, "path": "/v"}},
                      "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                                 "resources": ["configmaps"]}]}]})
    try:
        write(tmp_path, "m.yaml", configmap("cfg", namespace))
        code, report, err = apply(capsys, tmp_path, "--timeout", "4")
    finally:
        cluster.delete(info, None, name)
    assert code == 1
    assert f'waiting for admission webhook "{name}" to answer' in err
    assert f'admission webhook "{name}" did not answer within 4s' in by_name(report)["cfg"]["message"]


def test_status_says_what_runs_where_and_never_counts_another_repository(capsys, tmp_path, namespace, cluster,
                                                                          monkeypatch):
    """ConfigMaps only, so a control plane without nodes runs it: two applies from CI runs, a hand
    edit, and another repository's objects in the same namespace that status must not see."""
    import json

    cluster.apply(cluster.resource("v1", "Namespace"), ns_object(namespace))
    one = helpers.config_repo(tmp_path, "one", [configmap("one-a", namespace), configmap("one-b", namespace)],
                              "https://github.com/acme/e2e-one", namespace)
    two = helpers.config_repo(tmp_path, "two", [configmap("two-a", namespace)], "https://github.com/acme/e2e-two",
                              namespace)
    for variable in ("CI_JOB_URL", "CI_PIPELINE_URL", "BUILD_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/e2e-one")
    monkeypatch.setenv("GITHUB_ACTOR", "e2e")
    for run_id in ("1", "2"):
        monkeypatch.setenv("GITHUB_RUN_ID", run_id)
        assert in_repo(capsys, monkeypatch, one, "apply")[0] == 0
    assert in_repo(capsys, monkeypatch, two, "apply")[0] == 0

    code, report, err = in_repo(capsys, monkeypatch, one, "status")
    assert code == 0, err
    (target,) = report["targets"]
    assert target["appliedBy"] == {"run": "https://github.com/acme/e2e-one/actions/runs/2", "actor": "e2e"}
    assert [e["run"][-1] for e in target["history"]] == ["2", "1"]
    assert target["lastApply"]["result"] == "applied"  # --no-wait: applied, health not waited for
    assert (target["health"]["status"], target["health"]["objects"], target["sync"]["status"]) == (
        "healthy", 2, "in-sync")
    assert "two-a" not in json.dumps(report)

    info = cluster.resource("v1", "ConfigMap")
    cluster.request("PATCH", info.path(namespace, "one-b"), query={"fieldManager": "kubectl-edit"},
                    body={"data": {"k": "edited"}}, content_type="application/merge-patch+json")
    for deep in ((), ("--deep",)):
        code, report, _ = in_repo(capsys, monkeypatch, one, "status", *deep)
        (target,) = report["targets"]
        assert code == 1 and target["sync"]["status"] == "drifted"
        assert [(o["object"]["name"], o["action"]) for o in target["sync"]["objects"]] == [("one-b", "drift")]
    code, markdown, _ = helpers.run(capsys, "status", "--kubeconfig", KUBECONFIG, "-o", "markdown")
    assert code == 1 and "| one-b" not in markdown and "drift `ConfigMap/" in markdown.replace("\\", "")


def test_diff_is_a_plan_a_custom_resource_comes_with_its_crd_and_extras_are_said_and_pruned_by_heal(
        capsys, tmp_path, monkeypatch, namespace, group):
    """No nodes needed: --no-wait, no pods. The preview of a CRD and its custom resource in one change,
    then what an apply leaves behind without prune, and drift --heal pruning where prune is on."""
    import yaml

    write(tmp_path / "ops", "m.yaml", ns_object(namespace), crd(group), backup("nightly", namespace, group),
          configmap("keep", namespace), configmap("old", namespace))
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"repository": f"example.com/{namespace}", "targets": [
        {"name": "ops", "path": "ops", "namespace": namespace}]}))
    code, report, err = in_repo(capsys, monkeypatch, tmp_path, "diff")
    assert code == 0, (report, err)  # a plan, not a failure
    assert {f["object"]["name"]: f["action"] for f in report["findings"]} == {
        namespace: "create", f"backups.{group}": "create", "nightly": "create", "keep": "create", "old": "create"}
    assert "with its CustomResourceDefinition" in by_name(report)["nightly"]["message"]
    code, _, err = in_repo(capsys, monkeypatch, tmp_path, "apply")
    assert code == 0, err
    write(tmp_path / "ops", "m.yaml", ns_object(namespace), crd(group), backup("nightly", namespace, group),
          configmap("keep", namespace))
    code, report, err = in_repo(capsys, monkeypatch, tmp_path, "apply")
    assert code == 0, err  # prune is off: "old" is left in the cluster, and the apply says so
    assert (by_name(report)["old"]["action"], by_name(report)["old"]["severity"]) == ("extra", "warning")
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"repository": f"example.com/{namespace}", "targets": [
        {"name": "ops", "path": "ops", "namespace": namespace, "prune": {"enabled": True}}]}))
    code, report, _ = in_repo(capsys, monkeypatch, tmp_path, "diff")
    assert code == 0 and by_name(report)["old"]["action"] == "prune"
    code, report, err = in_repo(capsys, monkeypatch, tmp_path, "drift", "--heal")
    assert code == 0 and by_name(report)["old"]["action"] == "pruned", (report, err)
    code, report, _ = in_repo(capsys, monkeypatch, tmp_path, "drift")
    assert code == 0 and "old" not in by_name(report)
