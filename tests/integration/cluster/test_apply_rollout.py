"""``kubepush apply`` in rollout order against the fake apiserver: waves with health gates, hooks
(Jobs that complete or fail, delete policies, generateName), Argo CD's annotations, admission
webhooks that are not up yet and discovery lag."""

from __future__ import annotations

import pytest
import yaml

from tests.support.cluster_helpers import CRD, backup, configmap, deployment, inventory, run, run_json, write

NS = "default"


def apply(capsys, fake, *args):
    return run_json(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate", "--revision", "r1",
                    *args)


def by_name(report):
    return {f["object"]["name"]: f for f in report["findings"]}


def waved(obj, wave, key="kubepush.dev/wave"):
    obj["metadata"].setdefault("annotations", {})[key] = str(wave)
    return obj


def job(name="migrate", annotations=None, generate=False):
    meta = {"namespace": NS, "annotations": annotations or {"kubepush.dev/hook": "pre-apply"}}
    meta["generateName" if generate else "name"] = f"{name}-" if generate else name
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
            "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "migrate", "image": "app:2", "command": ["./migrate"]}]}}}}


def first(fake, method, resource, start=0):
    """Index of the first request (from ``start``) with this method on this resource."""
    return next(i for i, r in enumerate(fake.requests) if i >= start and r.method == method
                and r.resource == resource)


# --- waves -----------------------------------------------------------------------------------------


def test_waves_apply_in_order_each_healthy_before_the_next(fake_kube, tmp_path, capsys, controller):
    write(tmp_path, "m.yaml", waved(configmap("app-config"), 1), waved(deployment("db"), -1),
          waved(configmap("argo-late"), "2", key="argocd.argoproj.io/sync-wave"))
    healthy_at = []

    def roll_out():
        healthy_at.append(len(fake_kube.requests))
        fake_kube.rollout_complete("Deployment", NS, "db")

    controller.when_applied(fake_kube, "Deployment", NS, "db", roll_out)
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 0, err
    assert {n: f["rule"] for n, f in by_name(report).items()} == {"db": "created", "app-config": "created",
                                                                  "argo-late": "created"}
    db, config, late = (first(fake_kube, "PATCH", "deployments"), first(fake_kube, "PATCH", "configmaps"),
                        [i for i, r in enumerate(fake_kube.requests) if r.method == "PATCH" and r.name == "argo-late"])
    assert db < healthy_at[0] < config < late[0]  # wave -1 healthy, then wave 1, then (Argo CD's) wave 2
    # the gate costs at most one health poll after the Deployment became healthy
    polls = [r for r in fake_kube.requests[healthy_at[0]:config] if r.verb == "get" and r.resource == "deployments"]
    assert len(polls) <= 1
    assert "wave -1 (1/3): applying 1 object" in err and "wave 2 (3/3): applying 1 object" in err


def test_waves_of_objects_healthy_on_apply_poll_nothing(fake_kube, tmp_path, capsys):
    write(tmp_path, "m.yaml", *(waved(configmap(f"c{i}"), i) for i in range(4)))
    code, _, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"))
    assert code == 0, err
    assert fake_kube.count(verb="get", resource="configmaps") == 0
    patches = [r.name for r in fake_kube.requests if r.method == "PATCH" and r.resource == "configmaps"]
    assert patches == ["c0", "c1", "c2", "c3"]


def test_an_unhealthy_wave_stops_the_later_ones_and_a_rerun_converges(fake_kube, tmp_path, capsys):
    write(tmp_path, "m.yaml", waved(deployment("db"), 0), waved(configmap("after"), 1))
    fake_kube.simulate(rollouts="fail")
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 1
    found = by_name(report)
    assert found["db"]["rule"] == "unhealthy" and "ProgressDeadlineExceeded" in found["db"]["message"]
    assert found["after"]["rule"] == "not-applied" and "wave 0 did not become healthy" in found["after"]["message"]
    assert fake_kube.get("ConfigMap", NS, "after") is None

    fake_kube.simulate(rollouts="complete")
    fake_kube.edit("Deployment", NS, "db", {"spec": {"replicas": 3}})  # a new generation the controller rolls out
    write(tmp_path, "m.yaml", waved(deployment("db", replicas=3), 0), waved(configmap("after"), 1))
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 0, err
    assert by_name(report)["after"]["rule"] == "created"


def test_bad_waves_are_refused_naming_file_and_line(fake_kube, tmp_path, capsys):
    path = write(tmp_path, "m.yaml", waved(configmap("a"), "soon"), waved(configmap("b"), 1),
                 waved(configmap("b"), 2), job("x", {"kubepush.dev/hook": "later"}))
    code, report, _ = apply(capsys, fake_kube, str(path))
    assert code == 1
    messages = {(f["object"]["name"], f["line"]): f["message"] for f in report["findings"]}
    text = path.read_text().splitlines()
    assert any('kubepush.dev/wave: "soon" is not an integer' in m for m in messages.values())
    wave_twice = [(n, line) for (n, line), m in messages.items() if "in wave 2 here and in wave 1" in m]
    assert wave_twice and text[wave_twice[0][1] - 1].startswith("apiVersion")
    assert sum("b" == n for n, _ in messages) == 1  # said once, not also as a plain duplicate
    assert any('kubepush.dev/hook: "later" is not a hook phase' in m for m in messages.values())
    assert fake_kube.count(method="PATCH") == 0 and fake_kube.count(method="POST") == 0


# --- hooks -----------------------------------------------------------------------------------------


def test_pre_apply_job_runs_first_and_runs_again_next_time(fake_kube, tmp_path, capsys):
    fake_kube.simulate(jobs="complete", rollouts="complete")
    write(tmp_path, "m.yaml", deployment("web"), job())
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 0, err
    found = by_name(report)
    assert found["migrate"]["rule"] == "created" and "pre-apply hook: Complete" in found["migrate"]["message"]
    assert first(fake_kube, "PATCH", "jobs") < first(fake_kube, "PATCH", "deployments")
    live = fake_kube.get("Job", NS, "migrate")
    assert "applyset.kubernetes.io/part-of" not in live["metadata"]["labels"]
    parent = inventory(fake_kube, NS)
    assert "Job" not in parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"]
    uid = live["metadata"]["uid"]

    fake_kube.reset_requests()
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 0, err
    assert fake_kube.count(method="DELETE", resource="jobs") == 1  # before-creation: the last run's Job goes
    assert fake_kube.get("Job", NS, "migrate")["metadata"]["uid"] != uid

    code, out, _ = run(capsys, "drift", "--kubeconfig", fake_kube.kubeconfig_path,
                       str(tmp_path / "m.yaml"))
    assert code == 0, out  # a hook is never drift


def test_a_failed_pre_apply_hook_stops_the_apply_with_its_reason(fake_kube, tmp_path, capsys):
    fake_kube.simulate(jobs="fail", termination_message='ERROR: relation "users" already exists')
    notify = configmap("notify")
    notify["metadata"]["annotations"] = {"argocd.argoproj.io/hook": "SyncFail"}
    write(tmp_path, "m.yaml", deployment("web"), configmap("cfg"), job(), notify)
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 1
    found = by_name(report)
    message = found["migrate"]["message"]
    assert found["migrate"]["rule"] == "failed"
    assert "Failed: BackoffLimitExceeded" in message
    assert 'container main exited 1 (Error): ERROR: relation "users" already exists' in message
    assert 'relation "users" already exists' in err  # streamed to the log as well
    assert found["web"]["rule"] == found["cfg"]["rule"] == "not-applied"
    assert "a pre-apply hook failed" in found["web"]["message"]
    assert fake_kube.get("Deployment", NS, "web") is None and fake_kube.get("ConfigMap", NS, "cfg") is None
    # the on-failure hook (Argo CD SyncFail) ran; a ConfigMap cannot complete, so it is only created
    assert found["notify"]["rule"] == "created" and "created only" in found["notify"]["message"]
    assert fake_kube.get("ConfigMap", NS, "notify") is not None


def test_delete_policies_and_generate_name(fake_kube, tmp_path, capsys):
    fake_kube.simulate(jobs={"cleanup": "complete", "smoke-": "fail", "seed-": "complete"})
    cleanup = job("cleanup", {"argocd.argoproj.io/hook": "PostSync",
                              "argocd.argoproj.io/hook-delete-policy": "HookSucceeded"})
    smoke = job("smoke", {"kubepush.dev/hook": "post-apply", "kubepush.dev/hook-delete-policy": "on-failure"},
                generate=True)
    seed = job("seed", {"kubepush.dev/hook": "pre-apply"}, generate=True)
    write(tmp_path, "m.yaml", configmap("cfg"), cleanup, smoke, seed)
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 1  # the smoke test failed
    messages = [f["message"] for f in report["findings"]]
    assert any("post-apply hook: Complete; deleted (delete policy on-success)" in m for m in messages)
    assert fake_kube.get("Job", NS, "cleanup") is None
    smoke_failed = [m for m in messages if "deleted (delete policy on-failure)" in m]
    assert smoke_failed and "(created as smoke-" in smoke_failed[0]
    seeds = [j for j in fake_kube.list("Job", NS) if j["metadata"]["name"].startswith("seed-")]
    assert len(seeds) == 1
    code, _, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    seeds = [j for j in fake_kube.list("Job", NS) if j["metadata"]["name"].startswith("seed-")]
    assert len(seeds) == 2  # generateName: a new object every run
    assert not [j for j in fake_kube.list("Job", NS) if j["metadata"]["name"].startswith("smoke-")]


def test_a_hook_that_never_finishes_fails_at_the_timeout(fake_kube, tmp_path, capsys):
    write(tmp_path, "m.yaml", configmap("cfg"), job())
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "1")
    assert code == 1
    found = by_name(report)
    assert "did not finish within --timeout 1s" in found["migrate"]["message"]
    assert found["cfg"]["rule"] == "not-applied"


def test_a_hook_never_deletes_an_object_it_does_not_own(fake_kube, tmp_path, capsys):
    fake_kube.create(job("migrate", {}))  # someone's own Job of that name
    write(tmp_path, "m.yaml", job())
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "5")
    assert code == 1
    assert "already exists and it is not a kubepush hook" in by_name(report)["migrate"]["message"]
    assert fake_kube.count(method="DELETE", resource="jobs") == 0


def test_hooks_are_never_pruned(fake_kube, tmp_path, capsys, monkeypatch):
    fake_kube.simulate(jobs="complete")
    write(tmp_path / "app", "m.yaml", configmap("cfg"), job())
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "app", "path": "app", "namespace": NS, "prune": True}]}))
    monkeypatch.chdir(tmp_path)
    base = ("apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate", "--timeout", "20")
    assert run_json(capsys, *base)[0] == 0
    write(tmp_path / "app", "m.yaml", configmap("cfg"))
    code, report, err = run_json(capsys, *base)
    assert code == 0, err
    assert "migrate" not in by_name(report)
    assert fake_kube.get("Job", NS, "migrate") is not None


# --- webhooks and discovery --------------------------------------------------------------------------


def test_writes_wait_for_an_admission_webhook_to_answer(fake_kube, tmp_path, capsys):
    fake_kube.webhook_down("webhook.cert-manager.io", ("configmaps",), service="cert-manager-webhook",
                           namespace="cert-manager", times=3)
    write(tmp_path, "m.yaml", configmap("cfg"))
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 0, err
    assert by_name(report)["cfg"]["rule"] == "created"
    assert fake_kube.count(method="PATCH", resource="configmaps") == 4  # three refused, then applied
    assert 'waiting for admission webhook "webhook.cert-manager.io" to answer' in err
    assert "connect: connection refused" in err


def test_a_webhook_that_never_comes_up_fails_at_the_timeout_and_other_500s_are_not_retried(
        fake_kube, tmp_path, capsys):
    fake_kube.webhook_down("validate.nginx.ingress.kubernetes.io", ("configmaps",), cause="no-endpoints")
    write(tmp_path, "m.yaml", waved(configmap("cfg"), 0), waved(configmap("later"), 1))
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "1")
    assert code == 1
    found = by_name(report)
    assert 'admission webhook "validate.nginx.ingress.kubernetes.io" did not answer within 1s' in \
        found["cfg"]["message"] and "no endpoints available for service" in found["cfg"]["message"]
    assert found["later"]["rule"] == "not-applied"

    fake_kube.webhook_up("validate.nginx.ingress.kubernetes.io")
    fake_kube.reset_requests()
    fake_kube.inject("patch", "/configmaps/", status=500)
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "5")
    assert code == 1 and by_name(report)["cfg"]["rule"] == "failed"
    assert fake_kube.count(method="PATCH", resource="configmaps") == 1


def test_discovery_lag_after_a_crd_is_established_is_ridden_out(fake_kube, tmp_path, capsys):
    fake_kube.discovery_lag = True
    write(tmp_path, "m.yaml", CRD, backup("nightly", NS))
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 0, err
    assert by_name(report)["nightly"]["rule"] == "created"
    refused = [i for i, r in enumerate(fake_kube.requests) if r.resource == "backups" and r.code == 404]
    rediscovered = [i for i, r in enumerate(fake_kube.requests) if r.path == "/apis/example.com/v1"]
    assert refused and any(i > refused[-1] for i in rediscovered)


@pytest.mark.parametrize("policy", ["HookSucceeded,HookFailed", "on-success,before-creation"])
def test_delete_policies_combine(fake_kube, tmp_path, capsys, policy):
    fake_kube.simulate(jobs="complete")
    key = "argocd.argoproj.io/hook-delete-policy" if policy.startswith("Hook") else "kubepush.dev/hook-delete-policy"
    write(tmp_path, "m.yaml", job(annotations={"kubepush.dev/hook": "pre-apply", key: policy}))
    code, _, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 0, err
    assert fake_kube.get("Job", NS, "migrate") is None


# --- target dependencies ------------------------------------------------------------------------------


def _targets(fake, tmp_path, monkeypatch):
    """Three targets in their own namespaces: app depends on infra, tools on nothing."""
    write(tmp_path / "infra", "m.yaml", deployment("ingress", "infra"))
    write(tmp_path / "app", "m.yaml", configmap("app", "apps"))
    write(tmp_path / "tools", "m.yaml", configmap("tools", "tools"))
    for ns in ("infra", "apps", "tools"):
        fake.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "app", "path": "app", "namespace": "apps", "dependsOn": ["infra"]},
        {"name": "infra", "path": "infra", "namespace": "infra"},
        {"name": "tools", "path": "tools", "namespace": "tools"}]}))
    monkeypatch.chdir(tmp_path)


def test_targets_apply_after_their_dependencies_and_independents_in_parallel(fake_kube, tmp_path, capsys,
                                                                            monkeypatch, controller):
    _targets(fake_kube, tmp_path, monkeypatch)
    # infra becomes healthy only once tools is applied: were tools waiting for infra, this would never end
    controller.when(lambda: fake_kube.get("ConfigMap", "tools", "tools") is not None
                    and fake_kube.get("Deployment", "infra", "ingress") is not None,
                    lambda: fake_kube.rollout_complete("Deployment", "infra", "ingress"))
    code, report, err = run_json(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate",
                                 "--timeout", "20")
    assert code == 0, err
    healthy = next(i for i, r in enumerate(fake_kube.requests) if r.resource == "deployments" and r.verb == "get")
    app = next(i for i, r in enumerate(fake_kube.requests) if r.method == "PATCH" and r.name == "app")
    assert app > healthy
    assert "[app]: waiting for infra (dependsOn)" in err


def test_a_failed_dependency_skips_its_dependents(fake_kube, tmp_path, capsys, monkeypatch):
    _targets(fake_kube, tmp_path, monkeypatch)
    fake_kube.simulate(rollouts="fail")
    code, report, err = run_json(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate",
                                 "--timeout", "20")
    assert code == 1
    found = by_name(report)
    assert found["ingress"]["rule"] == "unhealthy"
    assert found["app"]["rule"] == "not-applied" and "dependency infra failed" in found["app"]["message"]
    assert found["tools"]["rule"] == "created"
    assert fake_kube.get("ConfigMap", "apps", "app") is None
    assert "[app]: skipped: dependency infra failed" in err

    # -t app alone: its dependency is not part of this run, so it is not waited for (an earlier run applied it)
    code, report, err = run_json(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate",
                                 "-t", "app")
    assert code == 0, err
    assert "depends on infra, not applied in this run: not waited for" in err


def _git(cwd, *args):
    import subprocess

    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_rollback_on_failure_after_an_unhealthy_wave(fake_kube, tmp_path, capsys, monkeypatch, controller):
    repo = tmp_path / "repo"
    write(repo / "app", "m.yaml", waved(deployment(image="app:1"), 0), waved(configmap("after", v="1"), 1))
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "good")
    good = _git(repo, "rev-parse", "HEAD")
    monkeypatch.chdir(repo)
    base = ("apply", "app", "--kubeconfig", fake_kube.kubeconfig_path, "--no-validate", "--timeout", "20")
    controller.when_applied(fake_kube, "Deployment", NS, "web",
                            lambda: fake_kube.rollout_complete("Deployment", NS, "web"))
    assert run_json(capsys, *base)[0] == 0

    write(repo / "app", "m.yaml", waved(deployment(image="app:2"), 0), waved(configmap("after", v="2"), 1))
    _git(repo, "commit", "-q", "-am", "bad")
    controller.when_applied(fake_kube, "Deployment", NS, "web",
                            lambda: fake_kube.rollout_fail("Deployment", NS, "web"), after_generation=1)
    controller.when_applied(fake_kube, "Deployment", NS, "web",
                            lambda: fake_kube.rollout_complete("Deployment", NS, "web"), after_generation=2)
    code, report, err = run_json(capsys, *base, "--rollback-on-failure")
    assert code == 1
    note = next(f["message"] for f in report["findings"] if f["rule"] == "rollback")
    assert f"ROLLED BACK to {good}" in note and "is healthy" in note
    assert fake_kube.get("Deployment", NS, "web")["spec"]["template"]["spec"]["containers"][0]["image"] == "app:1"
    assert fake_kube.get("ConfigMap", NS, "after")["data"] == {"v": "1"}  # wave 1 of the bad revision never applied
    assert inventory(fake_kube, NS)["metadata"]["annotations"]["kubepush.dev/healthy-revision"] == good


def test_no_wait_still_gates_waves_but_not_the_last(fake_kube, tmp_path, capsys, controller):
    write(tmp_path, "m.yaml", waved(deployment("db"), 0), waved(deployment("web"), 1))
    controller.when_applied(fake_kube, "Deployment", NS, "db",
                            lambda: fake_kube.rollout_complete("Deployment", NS, "db"))
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--no-wait", "--timeout", "20")
    assert code == 0, err
    assert by_name(report)["web"]["rule"] == "created"
    assert fake_kube.count(verb="get", resource="deployments", path="/web$") == 0
    assert fake_kube.count(verb="get", resource="deployments", path="/db$") >= 1


def test_a_pod_hook_waits_for_its_pod_to_finish_and_says_why_it_failed(fake_kube, tmp_path, capsys):
    fake_kube.simulate(pods="fail", termination_message="smoke test: GET /healthz returned 503")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "smoke", "namespace": NS, "annotations": {"kubepush.dev/hook": "post-apply"}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "curl", "image": "curl"}]}}
    write(tmp_path, "m.yaml", configmap("cfg"), pod)
    code, report, _ = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 1
    message = by_name(report)["smoke"]["message"]
    assert "post-apply hook: Failed" in message
    assert "pod smoke container curl exited 1 (Error): smoke test: GET /healthz returned 503" in message
    assert by_name(report)["cfg"]["rule"] == "created"  # applied before: a post-apply hook changes nothing back


def test_a_cluster_lost_at_a_wave_gate_reports_the_later_waves_not_applied(fake_kube, tmp_path, capsys, controller):
    write(tmp_path, "m.yaml", waved(deployment("db"), 0), waved(configmap("after"), 1))
    # stopped once the apply of db has been answered (stopped as soon as db is stored, the answer
    # itself could be lost, and db would read failed instead)
    controller.when(lambda: any(r.method == "PATCH" and r.name == "db" and r.code in (200, 201)
                                for r in fake_kube.requests),
                    fake_kube.stop)
    code, report, err = apply(capsys, fake_kube, str(tmp_path / "m.yaml"), "--timeout", "20")
    assert code == 2
    found = by_name(report)
    assert found["db"]["rule"] == "not-verified"
    assert found["after"]["rule"] == "not-applied" and "unreachable" in found["after"]["message"]
    assert "during waiting for wave 0 to become healthy" in err
