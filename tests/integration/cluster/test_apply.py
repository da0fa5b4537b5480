"""``kubepush apply`` end to end: the real ``kubernetes`` client against the fake apiserver."""

from __future__ import annotations

import pytest
import yaml

from tests.support.cluster_helpers import CRD, Controller, configmap, deployment, inventory, run, run_json, write

BACKUP = {"apiVersion": "example.com/v1", "kind": "Backup", "metadata": {"name": "nightly", "namespace": "shop"},
          "spec": {"schedule": "0 3 * * *"}}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}


def apply(capsys, fake, *args):
    return run_json(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate", "--revision", "r1",
                    *args)


def actions(report):
    return {f["object"]["name"]: f["rule"] for f in report["findings"]}


def test_apply_orders_stages_and_is_idempotent(fake_kube, tmp_path, capsys):
    write(tmp_path / "m", "all.yaml", configmap("cfg", "shop"), BACKUP, NAMESPACE, CRD)
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m"))
    assert code == 0, err
    assert actions(report) == {"cfg": "created", "nightly": "created", "shop": "created",
                               "backups.example.com": "created"}
    patches = [r.resource for r in fake_kube.requests if r.method == "PATCH" and r.resource != "secrets"]
    assert set(patches[:2]) == {"namespaces", "customresourcedefinitions"}
    assert set(patches[2:]) == {"configmaps", "backups"}
    assert fake_kube.get("Backup", "shop", "nightly", "example.com/v1")["spec"]["schedule"] == "0 3 * * *"
    assert "stage 1/3 (CRDs and Namespaces): applying 2 objects" in err

    fake_kube.reset_requests()
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "m"))
    assert code == 0
    assert set(actions(report).values()) == {"unchanged"}
    # every object in sync: none is sent again, and none is read one by one
    assert fake_kube.count(method="PATCH", resource="configmaps") == 0
    assert fake_kube.count(verb="get", resource="configmaps") == 0


def test_apply_records_field_manager_and_takes_ownership_by_default(fake_kube, tmp_path, capsys, controller):
    write(tmp_path, "d.yaml", deployment(replicas=2))
    fake_kube.create(deployment(replicas=2))
    fake_kube.edit("Deployment", "default", "web", {"spec": {"replicas": 5}})
    controller.when_applied(fake_kube, "Deployment", "default", "web",
                            lambda: fake_kube.rollout_complete("Deployment", "default", "web"), after_generation=2)
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "d.yaml"), "--timeout", "20")
    assert code == 0, err
    assert actions(report) == {"web": "configured"}
    live = fake_kube.get("Deployment", "default", "web")
    assert live["spec"]["replicas"] == 2
    owners = {m["manager"]: m for m in live["metadata"]["managedFields"]}
    assert "f:replicas" in owners["kubepush"]["fieldsV1"]["f:spec"]
    assert "Deployment/default/web: current" in err


def test_no_force_conflicts_names_the_other_manager_and_field(fake_kube, tmp_path, capsys):
    write(tmp_path, "d.yaml", deployment(replicas=2))
    fake_kube.apply(deployment(replicas=2), manager="kubepush")
    fake_kube.edit("Deployment", "default", "web", {"spec": {"replicas": 5}})
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "d.yaml"), "--no-force-conflicts", "--no-wait")
    assert code == 1
    message = report["findings"][0]["message"]
    assert 'field manager "kubectl-edit" owns .spec.replicas' in message
    assert fake_kube.get("Deployment", "default", "web")["spec"]["replicas"] == 5


def test_wait_reports_progress_deadline_exceeded_as_failed(fake_kube, tmp_path, capsys, controller):
    write(tmp_path, "d.yaml", deployment())
    controller.when_applied(fake_kube, "Deployment", "default", "web",
                            lambda: fake_kube.rollout_fail("Deployment", "default", "web"))
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "d.yaml"), "--timeout", "20")
    assert code == 1
    finding = report["findings"][0]
    assert finding["rule"] == "unhealthy" and "ProgressDeadlineExceeded" in finding["message"]
    assert "failed" in err


def test_wait_for_job_failure_and_pvc_binding(fake_kube, tmp_path, capsys, controller):
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": "default"},
           "spec": {"template": {"spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "m", "image": "busybox"}]}}}}
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "default"},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    write(tmp_path, "j.yaml", job, pvc)
    controller.when_applied(fake_kube, "Job", "default", "migrate", lambda: fake_kube.job_fail("default", "migrate"))
    controller.when_applied(fake_kube, "PersistentVolumeClaim", "default", "data",
                            lambda: fake_kube.pvc_bound("default", "data"))
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "j.yaml"), "--timeout", "20")
    assert code == 1
    by_name = {f["object"]["name"]: f for f in report["findings"]}
    assert by_name["migrate"]["rule"] == "unhealthy" and "BackoffLimitExceeded" in by_name["migrate"]["message"]
    assert by_name["data"]["rule"] == "created" and "Bound" in by_name["data"]["message"]


def test_wait_times_out_naming_what_it_waited_for(fake_kube, tmp_path, capsys):
    write(tmp_path, "d.yaml", deployment())
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "d.yaml"), "--timeout", "0.5")
    assert code == 1
    assert "timed out after 0.5s" in report["findings"][0]["message"]


def test_invalid_manifests_apply_nothing(fake_kube, tmp_path, capsys):
    bad = deployment()
    bad["spec"]["replicas"] = "two"
    write(tmp_path, "d.yaml", configmap("fine"), bad)
    code, out, _ = run(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, str(tmp_path))
    assert code == 1
    assert "replicas" in out
    assert fake_kube.count(method="PATCH") == 0


def test_guardrails_refuse_before_any_api_call_listing_every_object(fake_kube, tmp_path, capsys, monkeypatch):
    pod_spec = {"containers": [{"name": "c", "image": "busybox"}],
                "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}
    write(tmp_path / "team", "m.yaml", configmap("ok", "team"), configmap("other", "kube-system"),
          {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "root"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
           "subjects": [{"kind": "User", "name": "me", "apiGroup": "rbac.authorization.k8s.io"}]},
          {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "team"}, "spec": pod_spec})
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "team", "path": "team", "restricted": True, "namespaces": ["team"]}]}))
    monkeypatch.chdir(tmp_path)
    code, report, err = run_json(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path)
    assert code == 1, err
    refused = {f["object"]["name"]: f["message"] for f in report["findings"] if f["rule"] == "guardrail"}
    assert set(refused) == {"other", "root", "p"}
    assert "hostPath" in refused["p"] and "cluster-scoped" in refused["root"]
    assert fake_kube.requests == []


@pytest.mark.parametrize("status, expect", [
    (403, 'cannot patch resource "configmaps"'),
    (500, "500"),
    (422, "422"),
    (409, "409"),
])
def test_api_faults_fail_the_object_and_stop_later_stages(fake_kube, tmp_path, capsys, status, expect):
    write(tmp_path, "m.yaml", NAMESPACE, configmap("cfg", "shop"))
    fake_kube.inject("patch", "/namespaces/shop$", status=status)
    fake_kube.inject("patch", "/configmaps/", status=status)
    code, report, _ = apply(capsys, fake_kube, str(tmp_path))
    assert code == 1
    by_name = actions(report)
    assert by_name == {"shop": "failed", "cfg": "not-applied"}
    failed = next(f for f in report["findings"] if f["object"]["name"] == "shop")
    assert str(status) in failed["message"]
    assert fake_kube.count(method="PATCH", resource="configmaps") == 0
    # the next run converges
    fake_kube.faults.pending.clear()
    code, report, _ = apply(capsys, fake_kube, str(tmp_path), "--no-wait")
    assert code == 0 and actions(report) == {"shop": "created", "cfg": "created"}
    if status == 403:
        fake_kube.edit("ConfigMap", "shop", "cfg", {"data": {"k": "edited"}})  # out of sync: it is sent
        fake_kube.inject("patch", "/configmaps/", status=403)
        code, report, _ = apply(capsys, fake_kube, str(tmp_path), "--no-wait")
        assert expect in next(f["message"] for f in report["findings"] if f["object"]["name"] == "cfg")


def test_request_timeout_and_a_cluster_that_disappears_mid_apply(fake_kube, tmp_path, capsys):
    write(tmp_path, "m.yaml", configmap("a"), configmap("b"))
    fake_kube.inject("patch", "/configmaps/a$", delay=2.0)
    code, report, _ = apply(capsys, fake_kube, str(tmp_path), "--request-timeout", "0.3", "--no-wait")
    assert code == 1
    assert "did not answer in time" in next(f["message"] for f in report["findings"] if f["object"]["name"] == "a")
    fake_kube.inject("patch", "/configmaps/", close=True, times=10)
    code, report, _ = apply(capsys, fake_kube, str(tmp_path), "--no-wait")
    assert code == 1
    assert all("closed" in f["message"] or "refused" in f["message"] for f in report["findings"]
               if f["rule"] == "failed")


def test_unreachable_cluster_and_bad_credentials_are_environment_errors(make_fake_kube, tmp_path, capsys):
    fake = make_fake_kube(tls=True)
    write(tmp_path, "m.yaml", configmap("a"))
    bad = fake.write_kubeconfig(str(tmp_path / "bad-kubeconfig"), token="wrong")
    code, _, err = run(capsys, "apply", "--kubeconfig", bad, "--no-validate", str(tmp_path / "m.yaml"))
    assert code == 2 and "authentication" in err and "wrong" not in err
    fake.stop()
    code, _, err = run(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate",
                       str(tmp_path / "m.yaml"))
    assert code == 2 and "cannot reach cluster" in err and "nothing was changed" in err
    code, _, err = run(capsys, "apply", "--kubeconfig", str(tmp_path / "nope"), str(tmp_path / "m.yaml"))
    assert code == 2 and "kubeconfig not found" in err


def test_immutable_field_fails_naming_it_or_recreates_when_opted_in(fake_kube, tmp_path, capsys, controller):
    fake_kube.apply(deployment(app="old"), manager="kubepush")
    write(tmp_path, "d.yaml", deployment(app="new"))
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "d.yaml"), "--no-wait")
    assert code == 1
    assert "field spec.selector is immutable" in report["findings"][0]["message"]
    write(tmp_path, "d.yaml", deployment(app="new", annotations={"kubepush.dev/recreate": "true"}))
    old_uid = fake_kube.get("Deployment", "default", "web")["metadata"]["uid"]
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "d.yaml"), "--no-wait")
    assert code == 0, report
    assert actions(report) == {"web": "recreated"}
    live = fake_kube.get("Deployment", "default", "web")
    assert live["metadata"]["uid"] != old_uid and live["spec"]["selector"]["matchLabels"] == {"app": "new"}


def test_prune_deletes_what_left_git_and_records_the_inventory(fake_kube, tmp_path, capsys, monkeypatch):
    keep = configmap("keep", "shop")
    protected = configmap("protected", "shop")
    protected["metadata"]["annotations"] = {"kubepush.dev/prune": "disabled"}
    write(tmp_path / "shop", "m.yaml", NAMESPACE, keep, configmap("gone", "shop"), protected)
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "shop", "path": "shop", "namespace": "shop", "prune": True}]}))
    monkeypatch.chdir(tmp_path)
    base = ("apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate")
    code, report, err = run_json(capsys, *base, "--revision", "one")
    assert code == 0, err
    parent = inventory(fake_kube, "shop", "shop")
    annotations = parent["metadata"]["annotations"]
    assert annotations["applyset.kubernetes.io/contains-group-kinds"] == "ConfigMap,Namespace"
    assert annotations["kubepush.dev/revision"] == annotations["kubepush.dev/healthy-revision"] == "one"
    applyset = parent["metadata"]["labels"]["applyset.kubernetes.io/id"]
    assert fake_kube.get("ConfigMap", "shop", "gone")["metadata"]["labels"][
        "applyset.kubernetes.io/part-of"] == applyset

    write(tmp_path / "shop", "m.yaml", keep)
    code, report, err = run_json(capsys, *base, "--revision", "two")
    assert code == 0, err
    by_name = actions(report)
    assert by_name["gone"] == "pruned" and by_name["protected"] == "kept" and by_name["shop"] == "kept"
    assert fake_kube.get("ConfigMap", "shop", "gone") is None
    assert fake_kube.get("ConfigMap", "shop", "protected") is not None
    annotations = inventory(fake_kube, "shop", "shop")["metadata"]["annotations"]
    assert annotations["applyset.kubernetes.io/contains-group-kinds"] == "ConfigMap"
    assert annotations["kubepush.dev/revision"] == "two"


def test_targets_apply_in_parallel_with_results_per_target(make_fake_kube, tmp_path, capsys, monkeypatch):
    staging, production = make_fake_kube(), make_fake_kube()
    write(tmp_path / "base", "m.yaml", configmap("app"))
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "staging", "path": "base", "kubeconfig": staging.kubeconfig_path},
        {"name": "production", "path": "base", "kubeconfig": production.kubeconfig_path}]}))
    monkeypatch.chdir(tmp_path)
    production.inject("patch", "/configmaps/app", status=403)
    code, report, err = run_json(capsys, "apply", "--no-validate")
    assert code == 1
    messages = sorted(f["message"] for f in report["findings"])
    assert messages[0].startswith("[production] failed") and messages[1] == "[staging] created"
    assert staging.get("ConfigMap", "default", "app") is not None
    assert "kubepush apply [staging]: healthy" in err


def _git(cwd, *args):
    import subprocess

    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_rollback_on_failure_reapplies_the_last_healthy_revision(fake_kube, tmp_path, capsys, monkeypatch):
    repo = tmp_path / "repo"
    write(repo / "app", "d.yaml", deployment(image="app:1"))
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "0")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "good")
    good = _git(repo, "rev-parse", "HEAD")
    monkeypatch.chdir(repo)
    base = ("apply", "app", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate", "--timeout", "20")

    first = Controller()
    first.when_applied(fake_kube, "Deployment", "default", "web",
                       lambda: fake_kube.rollout_complete("Deployment", "default", "web"))
    code, report, err = run_json(capsys, *base)
    first.join()
    assert code == 0, err
    assert inventory(fake_kube, "default")["metadata"]["annotations"][
        "kubepush.dev/healthy-revision"] == good

    write(repo / "app", "d.yaml", deployment(image="app:2"))
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "bad")
    bad = _git(repo, "rev-parse", "HEAD")
    second = Controller()
    second.when_applied(fake_kube, "Deployment", "default", "web",
                        lambda: fake_kube.rollout_fail("Deployment", "default", "web"), after_generation=1)
    second.when_applied(fake_kube, "Deployment", "default", "web",
                        lambda: fake_kube.rollout_complete("Deployment", "default", "web"), after_generation=2)
    code, report, err = run_json(capsys, *base, "--rollback-on-failure")
    second.join()
    assert code == 1
    rules = [f["rule"] for f in report["findings"]]
    assert "unhealthy" in rules and "rollback" in rules
    note = next(f["message"] for f in report["findings"] if f["rule"] == "rollback")
    assert f"ROLLED BACK to {good} after health failed for {bad}" in note and "is healthy" in note
    assert f"ROLLING BACK to {good}" in err
    live = fake_kube.get("Deployment", "default", "web")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "app:1"
    annotations = inventory(fake_kube, "default")["metadata"]["annotations"]
    assert annotations["kubepush.dev/revision"] == annotations["kubepush.dev/healthy-revision"] == good
    assert "kubepush-rollback" not in _git(repo, "worktree", "list")


def test_rollback_without_a_healthy_revision_says_so(fake_kube, tmp_path, capsys):
    write(tmp_path, "d.yaml", deployment())
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "d.yaml"), "--timeout", "0.3", "--rollback-on-failure")
    assert code == 1
    assert any("ROLLBACK NOT POSSIBLE: no healthy revision" in f["message"] for f in report["findings"])


@pytest.mark.skipif(not __import__("shutil").which("kubectl"), reason="kubectl not installed")
def test_the_inventory_is_a_kubectl_applyset(fake_kube, tmp_path, capsys):
    """kubectl computes the same id for a parent and recognises ours as kubepush's own; a member of
    kubectl's set is another set's for kubepush (refused, unless taken over)."""
    import os
    import subprocess

    write(tmp_path, "m.yaml", configmap("a"))
    env = {**os.environ, "KUBECTL_APPLYSET": "true", "KUBECONFIG": fake_kube.kubeconfig_path}
    kubectl = ["kubectl", "apply", "--server-side", "--prune", "-n", "default", "-f", str(tmp_path)]
    proc = subprocess.run([*kubectl, "--applyset=secret/by-kubectl"], env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    from kubepush.cluster.inventory import ID_LABEL, Parent

    assert fake_kube.get("Secret", "default", "by-kubectl")["metadata"]["labels"][ID_LABEL] == \
        Parent("by-kubectl", "default").id
    code, report, _ = apply(capsys, fake_kube, str(tmp_path), "--no-wait")
    assert code == 1 and report["findings"][0]["rule"] == "owned-elsewhere"
    assert "Secret default/by-kubectl (tooling kubectl/" in report["findings"][0]["message"]
    code, _, _ = apply(capsys, fake_kube, str(tmp_path), "--no-wait", "--take-over")
    assert code == 0
    ours = inventory(fake_kube, "default")["metadata"]["name"]
    proc = subprocess.run([*kubectl, f"--applyset=secret/{ours}"], env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode != 0 and 'managed by tooling "kubepush"' in proc.stderr


def test_discovery_failing_mid_apply_reports_what_was_not_applied(fake_kube, tmp_path, capsys):
    write(tmp_path, "m.yaml", NAMESPACE, configmap("cfg", "shop"))
    fake_kube.inject("get", "^/api/v1$", close=True, times=2)  # discovery (warm-up and use): cluster gone
    code, report, err = apply(capsys, fake_kube, str(tmp_path))
    assert code == 2
    assert actions(report) == {"shop": "not-applied", "cfg": "not-applied", "": "cluster-error"}
    assert "became unreachable" in err and fake_kube.count(method="PATCH") == 0


def test_target_level_recreate_and_custom_resource_readiness(fake_kube, tmp_path, capsys, monkeypatch, controller):
    fake_kube.apply(deployment(app="old"), manager="kubepush")
    for obj in (NAMESPACE, CRD):
        fake_kube.create(obj)
    fake_kube.create({**BACKUP, "spec": {"schedule": "old"}})
    fake_kube.set_status("Backup", "shop", "nightly", {"observedGeneration": 1, "conditions": [
        {"type": "Ready", "status": "True", "reason": "Scheduled"}]})
    write(tmp_path / "t", "m.yaml", NAMESPACE, CRD, BACKUP, deployment(app="new"))
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "default", "path": "t", "recreate": True}]}))
    monkeypatch.chdir(tmp_path)

    def recreated():
        live = fake_kube.get("Deployment", "default", "web")
        return live is not None and live["spec"]["selector"]["matchLabels"] == {"app": "new"}

    controller.when(recreated, lambda: fake_kube.rollout_complete("Deployment", "default", "web"))
    # the Backup's controller has not seen generation 2 yet; then it reports Ready for it
    controller.when(lambda: fake_kube.count(verb="get", resource="backups") > 0, lambda: fake_kube.set_status(
        "Backup", "shop", "nightly", {"observedGeneration": 2, "conditions": [
            {"type": "Ready", "status": "True", "reason": "Scheduled"}]}))
    code, report, err = run_json(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate",
                                 "--timeout", "20")
    assert code == 0, err
    assert actions(report)["web"] == "recreated" and actions(report)["nightly"] == "configured"
    assert "Backup/shop/nightly: in-progress: controller has not observed generation 2" in err
    assert "Backup/shop/nightly: current: Ready" in err


def test_a_kind_the_cluster_does_not_serve_refuses_the_whole_target(fake_kube, tmp_path, capsys):
    write(tmp_path, "m.yaml", configmap("cfg"), BACKUP)
    code, report, _ = apply(capsys, fake_kube, str(tmp_path))
    assert code == 1
    assert [(f["rule"], f["object"]["name"]) for f in report["findings"]] == [("unknown-kind", "nightly")]
    assert "does not serve Backup in example.com/v1" in report["findings"][0]["message"]
    assert fake_kube.count(method="PATCH") == 0


def test_later_stages_wait_until_crds_are_established(fake_kube, tmp_path, capsys, controller):
    write(tmp_path, "m.yaml", CRD, NAMESPACE, BACKUP)
    # the CRD exists but is not Established yet; the apiextensions controller establishes it when polled
    fake_kube.create(CRD)
    fake_kube.crd_established("backups.example.com", False)
    controller.when(lambda: fake_kube.count(verb="get", resource="customresourcedefinitions") > 0,
                    lambda: fake_kube.crd_established("backups.example.com", True))
    code, _, err = apply(capsys, fake_kube, str(tmp_path), "--no-wait")
    assert code == 0, err
    crd_polls = [i for i, r in enumerate(fake_kube.requests) if r.resource == "customresourcedefinitions"
                 and r.method == "GET"]
    backup_apply = next(i for i, r in enumerate(fake_kube.requests) if r.resource == "backups"
                        and r.method == "PATCH")
    assert crd_polls and crd_polls[0] < backup_apply


def test_report_lines_point_at_each_object_in_its_file(fake_kube, tmp_path, capsys):
    path = write(tmp_path, "m.yaml", configmap("a"), configmap("b"))
    lines = path.read_text().splitlines()
    code, out, _ = run(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate", "--no-wait",
                       str(path))
    assert code == 0
    second = lines.index("---") + 2  # the second document starts after the separator
    assert "m.yaml:1: info: [default] created" in out and f"m.yaml:{second}: info: [default] created" in out


def test_one_invalid_target_applies_nothing_and_the_others_apply(fake_kube, tmp_path, capsys, monkeypatch):
    bad = configmap("bad")
    bad["data"] = {"k": ["not", "a", "string"]}
    write(tmp_path / "good", "m.yaml", configmap("good"))
    write(tmp_path / "broken", "m.yaml", bad)
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "good", "path": "good"}, {"name": "broken", "path": "broken"}]}))
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path)
    assert code == 1
    assert "[broken]: 1 validation error: nothing applied" in err
    assert "[good]: healthy: 1 created" in err
    assert fake_kube.get("ConfigMap", "default", "good") is not None
    assert not [r.path for r in fake_kube.requests if r.method != "GET" and "broken" in r.path]


def test_validation_flags_of_apply(fake_kube, tmp_path, capsys):
    """apply validates like ``kubepush validate``, with the same flags."""
    write(tmp_path / "m", "m.yaml", BACKUP)  # a custom resource whose CRD is elsewhere
    write(tmp_path / "crds", "crd.yaml", CRD)
    base = ("apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-wait", str(tmp_path / "m"))
    code, out, _ = run(capsys, *base)
    assert code == 1 and "Backup" in out and fake_kube.count(method="PATCH") == 0
    fake_kube.create(CRD)
    fake_kube.create(NAMESPACE)
    code, _, err = run(capsys, *base, "--crd", str(tmp_path / "crds"))
    assert code == 0, err
