"""A cluster that stops answering mid-run is an environment error (exit 2), found in seconds.

Both ways a server goes away are modelled: it refuses connections (``FakeKube.stop()``), or
it accepts them and never answers (``FakeKube.hang()``: only the request timeout ends a
request). Either way kubepush stops after a few failed reads - not at ``--timeout`` - and
says what it was doing; objects it had not yet seen healthy are "not verified", never
"unhealthy" (nothing says they are).
"""

from __future__ import annotations

import time

import pytest
import yaml

from tests.support.cluster_helpers import CRD, configmap, deployment, run_json, write

BACKUP = {"apiVersion": "example.com/v1", "kind": "Backup", "metadata": {"name": "nightly", "namespace": "default"},
          "spec": {"schedule": "0 3 * * *"}}
#: Far beyond what any of these tests may take: reaching it means kubepush waited for the deadline.
TIMEOUT = "120"


def apply(capsys, fake, *args):
    started = time.monotonic()
    code, report, err = run_json(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate",
                                 "--revision", "r1", "--request-timeout", "0.5", "--timeout", TIMEOUT, *args)
    return code, report, err, time.monotonic() - started


def rules(report):
    return {f["object"]["name"]: f["rule"] for f in report["findings"] if f["object"].get("name")}


def error_lines(err):
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.startswith("kubepush: error")]


@pytest.mark.parametrize("how", ["stop", "hang"])
def test_a_cluster_lost_while_waiting_for_health_is_exit_2_and_nothing_is_called_unhealthy(
        make_fake_kube, tmp_path, capsys, controller, how):
    fake = make_fake_kube()
    write(tmp_path, "m.yaml", configmap("cfg"), deployment())
    # gone once the wait has started polling the Deployment
    controller.when(lambda: fake.count(verb="get", resource="deployments") > 0, getattr(fake, how))
    code, report, err, took = apply(capsys, fake, str(tmp_path))
    assert code == 2, err
    assert took < 20, f"waited {took:.0f}s: kubepush did not notice the cluster was gone"
    [line] = error_lines(err)
    assert "became unreachable during waiting for health" in line
    assert ("refused" if how == "stop" else "did not answer in time") in line
    found = rules(report)
    assert found["cfg"] == "created"  # a ConfigMap is healthy when applied: that stays true
    assert found["web"] == "not-verified"
    web = next(f for f in report["findings"] if f["object"]["name"] == "web")
    assert "health not verified" in web["message"] and web["severity"] == "warning"
    assert "unhealthy" not in found.values()


def test_a_cluster_lost_while_waiting_for_crds_skips_the_later_stages(fake_kube, tmp_path, capsys, controller):
    fake_kube.auto_establish_crds = False
    write(tmp_path, "m.yaml", CRD, BACKUP)
    controller.when(lambda: fake_kube.count(verb="get", resource="customresourcedefinitions") > 0, fake_kube.stop)
    code, report, err, took = apply(capsys, fake_kube, str(tmp_path), "--no-wait")
    assert code == 2, err
    assert took < 20
    [line] = error_lines(err)
    assert "became unreachable during waiting for CRDs and Namespaces" in line
    found = rules(report)
    assert found == {"backups.example.com": "not-verified", "nightly": "not-applied"}


def test_a_cluster_lost_while_pruning_says_so(fake_kube, tmp_path, capsys, monkeypatch):
    write(tmp_path / "t", "m.yaml", configmap("keep"), configmap("gone"))
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "t", "path": "t", "namespace": "default", "prune": True}]}))
    monkeypatch.chdir(tmp_path)
    code, _, err, _ = apply(capsys, fake_kube, "--no-wait")
    assert code == 0, err
    write(tmp_path / "t", "m.yaml", configmap("keep"))
    fake_kube.inject("delete", "/configmaps/gone$", close=True, times=10)
    code, _, err, took = apply(capsys, fake_kube, "--no-wait")
    assert code == 2, err
    [line] = error_lines(err)
    assert "became unreachable during pruning" in line and "re-run to converge" in line
    assert fake_kube.get("ConfigMap", "default", "gone") is not None


def test_a_short_blip_while_waiting_is_ridden_out(fake_kube, tmp_path, capsys, controller):
    """One failed read is not a lost cluster: the wait goes on and the rollout is seen."""
    write(tmp_path, "d.yaml", deployment())
    fake_kube.inject("get", "/deployments/web$", close=True, times=1)
    controller.when(lambda: fake_kube.count(verb="get", resource="deployments") >= 2,
                    lambda: fake_kube.rollout_complete("Deployment", "default", "web"))
    code, report, err, _ = apply(capsys, fake_kube, str(tmp_path / "d.yaml"))
    assert code == 0, err
    assert rules(report) == {"web": "created"}


@pytest.mark.parametrize("how", ["stop", "hang"])
def test_a_cluster_lost_in_the_middle_of_a_stage_is_exit_2_naming_the_stage(make_fake_kube, tmp_path, capsys,
                                                                             controller, how):
    fake = make_fake_kube(latency=lambda r: 0.05 if r.verb == "patch" else 0.0)
    write(tmp_path, "m.yaml", *[configmap(f"c{i:02}") for i in range(12)])
    controller.when(lambda: fake.count(verb="patch", resource="configmaps") >= 3, getattr(fake, how))
    code, report, err, took = apply(capsys, fake, str(tmp_path), "--concurrency", "1", "--no-wait")
    assert code == 2, err
    assert took < 30, f"took {took:.0f}s"
    [line] = error_lines(err)
    assert "became unreachable during stage 3 (resources)" in line
    found = rules(report)
    assert len(found) == 12, found
    assert sorted(set(found.values())) == ["created", "failed", "not-applied"], found
    assert list(found.values()).count("failed") == 1  # the request that went unanswered; the rest not sent


def test_single_requests_dropped_by_a_cluster_that_still_answers_fail_only_those_objects(fake_kube, tmp_path,
                                                                                          capsys):
    write(tmp_path, "m.yaml", configmap("a"), configmap("b"))
    fake_kube.inject("patch", "/configmaps/a$", close=True)
    code, report, err, _ = apply(capsys, fake_kube, str(tmp_path), "--no-wait")
    assert code == 1, err
    assert rules(report) == {"a": "failed", "b": "created"}
