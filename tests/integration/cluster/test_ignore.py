"""``drift.ignore`` is respected by diff, apply and heal alike (Argo CD's ``RespectIgnoreDifferences``):
an ignored field of a live object is left as the cluster has it, so the preview never promises
what the apply then does differently."""

from __future__ import annotations

import pytest
import yaml

from kubepush.cluster.client import Cluster
from kubepush.cluster.compare import diff, normalise, owners
from kubepush.model import format_path
from tests.support.cluster_helpers import deployment, run_json, scale, write

REPLICAS = [{"kind": "Deployment", "name": "web", "paths": ["/spec/replicas"]}]
CONTROLLER = [{"managers": ["kube-controller-manager"]}]


def project(tmp_path, monkeypatch, ignore, *objs):
    """A repository with one target and ``drift.ignore`` rules, as the working directory."""
    write(tmp_path / "m", "m.yaml", *objs)
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({
        "targets": [{"name": "web", "path": "m", "namespace": "default"}], "drift": {"ignore": ignore}}))
    monkeypatch.chdir(tmp_path)


def git(tmp_path, *objs):
    write(tmp_path / "m", "m.yaml", *objs)


def kp(capsys, fake, command, *args):
    extra = ("--no-validate", "--no-wait", "--revision", "r1") if command == "apply" else ()
    return run_json(capsys, command, "--kubeconfig", fake.kubeconfig_path, *extra, *args)


def web(report):
    return next(f for f in report["findings"] if f["object"].get("name") == "web")


def delete_web(fake):
    cluster = Cluster(fake.kubeconfig_path)
    try:
        cluster.delete(cluster.resource("apps/v1", "Deployment"), "default", "web")
    finally:
        cluster.close()
    assert fake.get("Deployment", "default", "web") is None


def replicas(fake):
    return fake.get("Deployment", "default", "web")["spec"]["replicas"]


def test_an_ignored_path_scaled_by_another_manager_is_left_alone_by_diff_apply_and_heal(
        fake_kube, tmp_path, capsys, monkeypatch):
    project(tmp_path, monkeypatch, REPLICAS, deployment(replicas=2))
    code, report, err = kp(capsys, fake_kube, "apply")
    assert code == 0 and web(report)["rule"] == "created", err
    assert replicas(fake_kube) == 2  # a created object gets Git's values, ignored or not
    scale(fake_kube.kubeconfig_path, "default", "web", 3, "kubectl")

    code, report, err = kp(capsys, fake_kube, "diff")
    assert code == 0, err
    assert web(report)["rule"] == "unchanged"
    assert "spec.replicas stays 3 (Git: 2; ignored: /spec/replicas)" in web(report)["message"]
    code, report, err = kp(capsys, fake_kube, "apply")
    assert code == 0, err
    assert web(report)["rule"] == "unchanged", web(report)
    assert "left alone: spec.replicas stays 3 (Git: 2; ignored: /spec/replicas)" in web(report)["message"]
    assert replicas(fake_kube) == 3

    git(tmp_path, deployment(replicas=2, image="nginx:1.27"))  # another field still follows Git
    code, report, _ = kp(capsys, fake_kube, "diff")
    message = web(report)["message"]
    assert code == 0 and message.startswith("~ configure Deployment/default/web [web]: 1 field\n"), message
    assert "spec.template.spec.containers[0].image changed in Git: nginx:1.25 -> nginx:1.27" in message
    assert [f["path"] for f in web(report)["fields"]] == ["spec.template.spec.containers[0].image"]
    assert "-  replicas: 3" not in web(report)["diff"] and "+  replicas: 2" not in web(report)["diff"]
    code, report, err = kp(capsys, fake_kube, "apply")
    assert code == 0 and web(report)["rule"] == "configured", err
    live = fake_kube.get("Deployment", "default", "web")
    assert live["spec"]["replicas"] == 3 and live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"

    fake_kube.edit("Deployment", "default", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "evil:1"}]}}}})
    code, report, _ = kp(capsys, fake_kube, "drift")
    assert code == 1 and "1 field differs" in web(report)["message"] and "evil:1" in web(report)["message"]
    code, report, err = kp(capsys, fake_kube, "drift", "--heal")
    assert code == 0 and web(report)["rule"] == "healed", err
    live = fake_kube.get("Deployment", "default", "web")
    assert live["spec"]["replicas"] == 3 and live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_git_changing_an_ignored_field_kubepush_still_owns_changes_nothing(fake_kube, tmp_path, capsys, monkeypatch):
    """kubepush still owns the field (nobody else touched it): the apply must send the live value -
    dropping it would make the server remove the field (replicas reset to the default, 1)."""
    project(tmp_path, monkeypatch, REPLICAS, deployment(replicas=2))
    assert kp(capsys, fake_kube, "apply")[0] == 0
    git(tmp_path, deployment(replicas=4))
    code, report, _ = kp(capsys, fake_kube, "diff")
    assert code == 0 and web(report)["rule"] == "unchanged"
    code, report, err = kp(capsys, fake_kube, "apply")
    assert code == 0 and web(report)["rule"] == "unchanged", err
    assert "spec.replicas stays 2 (Git: 4; ignored: /spec/replicas)" in web(report)["message"]
    assert replicas(fake_kube) == 2
    live = fake_kube.get("Deployment", "default", "web")
    assert owners.owners(live, ("spec", "replicas"))[0].manager == "kubepush"


def test_fields_of_an_ignored_manager_are_left_alone(fake_kube, tmp_path, capsys, monkeypatch):
    project(tmp_path, monkeypatch, CONTROLLER, deployment(replicas=2))
    assert kp(capsys, fake_kube, "apply")[0] == 0
    scale(fake_kube.kubeconfig_path, "default", "web", 3, "kube-controller-manager")  # what an HPA does
    code, report, err = kp(capsys, fake_kube, "diff")
    assert code == 0 and web(report)["rule"] == "unchanged", err
    git(tmp_path, deployment(replicas=5, image="nginx:1.27"))
    code, report, err = kp(capsys, fake_kube, "apply")
    assert code == 0 and web(report)["rule"] == "configured", err
    assert "spec.replicas stays 3 (Git: 5; owned by kube-controller-manager)" in web(report)["message"]
    live = fake_kube.get("Deployment", "default", "web")
    assert live["spec"]["replicas"] == 3 and live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    # an object created fresh has no live owner yet: it gets Git's replicas
    delete_web(fake_kube)
    code, report, err = kp(capsys, fake_kube, "apply")
    assert code == 0 and web(report)["rule"] == "created", err
    assert replicas(fake_kube) == 5


def test_apply_takes_ignore_managers_from_the_command_line_like_diff(fake_kube, tmp_path, capsys, monkeypatch):
    project(tmp_path, monkeypatch, [], deployment(replicas=2))
    assert kp(capsys, fake_kube, "apply")[0] == 0
    scale(fake_kube.kubeconfig_path, "default", "web", 3, "hpa-controller")
    code, report, _ = kp(capsys, fake_kube, "diff", "--ignore-manager", "hpa-controller")
    assert code == 0 and web(report)["rule"] == "unchanged"
    code, report, err = kp(capsys, fake_kube, "apply", "--ignore-manager", "hpa-controller")
    assert code == 0 and web(report)["rule"] == "unchanged", err
    assert replicas(fake_kube) == 3


SCENARIOS = {
    "no rule": ([], "kubectl"),
    "path rule": (REPLICAS, "kubectl"),
    "manager rule": (CONTROLLER, "kube-controller-manager"),
    "rule for another manager": ([{"managers": ["somebody-else"]}], "kube-controller-manager"),
    "path rule for another object": ([{"kind": "Deployment", "name": "api", "paths": ["/spec/replicas"]}], "kubectl"),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("git_replicas", [2, 5])
def test_diff_reports_exactly_what_apply_then_changes(fake_kube, tmp_path, capsys, monkeypatch, scenario,
                                                     git_replicas):
    rules, scaler = SCENARIOS[scenario]
    project(tmp_path, monkeypatch, rules, deployment(replicas=2))
    assert kp(capsys, fake_kube, "apply")[0] == 0
    scale(fake_kube.kubeconfig_path, "default", "web", 3, scaler)
    git(tmp_path, deployment(replicas=git_replicas, image="nginx:1.27", annotations={"team": "shop"}))

    code, report, err = kp(capsys, fake_kube, "diff")
    assert code == 0, err  # a preview with changes is no failure
    message = web(report)["message"]
    previewed = set()
    if web(report)["action"] == "configure":
        previewed = {f["path"] for f in web(report)["fields"]}
        assert len(previewed) == len(web(report)["fields"]) and f"{len(previewed)} field" in message, message
    before = normalise.clean(fake_kube.get("Deployment", "default", "web"))
    code, report, err = kp(capsys, fake_kube, "apply")
    assert code == 0, err
    after = normalise.clean(fake_kube.get("Deployment", "default", "web"))
    applied = {format_path(d.path) for d in diff.differences(before, after)}
    assert applied == previewed, message
    expect_kept = scenario in ("path rule", "manager rule")
    assert after["spec"]["replicas"] == (3 if expect_kept else git_replicas)
