"""The requests an apply makes: a steady-state run writes nothing it would write the same - no
object an apply would leave as it is, ownership included, and no unchanged inventory - and every
run that changes an object or what the inventory records still writes it."""

from __future__ import annotations

import json

from tests.support.cluster_helpers import configmap, deployment, run, run_json, write


def apply(capsys, fake, path, revision, *args):
    code, _, err = run(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate", "--no-wait",
                       "--revision", revision, *(args or (str(path),)))
    assert code == 0, err


def inventory_writes(fake):
    """PATCHes of the inventory parent by kubepush itself (the lock's own manager aside)."""
    return [r for r in fake.requests if r.method == "PATCH" and r.resource == "secrets"
            and r.query.get("fieldManager") == "kubepush"]


def test_a_steady_state_apply_only_locks_and_lists(fake_kube, tmp_path, capsys):
    write(tmp_path / "m", "m.yaml", configmap("a"), configmap("b"))
    apply(capsys, fake_kube, tmp_path / "m", "r1")
    fake_kube.reset_requests()
    apply(capsys, fake_kube, tmp_path / "m", "r1")
    assert inventory_writes(fake_kube) == []
    # the lock's claim answered with the parent, so the inventory is not read again; the one GET left
    # is the apply history's (a manager of its own, after the apply)
    assert fake_kube.count(verb="get", resource="secrets") <= 1
    assert fake_kube.count(verb="patch", resource="configmaps") == 0  # both in sync: nothing sent
    parent = next(s for s in fake_kube.list("Secret", "default") if s["metadata"]["name"].startswith("kubepush-"))
    assert parent["metadata"]["annotations"]["kubepush.dev/revision"] == "r1"
    assert "kubepush.dev/apply-lock" not in parent["metadata"].get("annotations", {})  # released


def test_what_the_inventory_records_changing_is_written(fake_kube, tmp_path, capsys):
    fake_kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    (tmp_path / "kubepush.yaml").write_text("targets:\n  - {name: app, path: m, prune: true}\n")
    target = ("--config", str(tmp_path / "kubepush.yaml"), "-t", "app")
    write(tmp_path / "m", "m.yaml", configmap("a"), configmap("c", "other"))
    apply(capsys, fake_kube, tmp_path / "m", "r1", *target)

    def annotations():
        parent = next(s for s in fake_kube.list("Secret", "default") if s["metadata"]["name"].startswith("kubepush-"))
        return parent["metadata"]["annotations"]

    assert annotations()["applyset.kubernetes.io/additional-namespaces"] == "other"
    fake_kube.reset_requests()
    apply(capsys, fake_kube, tmp_path / "m", "r2", *target)  # a new revision
    assert len(inventory_writes(fake_kube)) == 1 and annotations()["kubepush.dev/revision"] == "r2"
    write(tmp_path / "m", "m.yaml", configmap("a"))  # the other namespace's object left Git
    fake_kube.reset_requests()
    apply(capsys, fake_kube, tmp_path / "m", "r2", *target)
    assert inventory_writes(fake_kube)  # the set shrank: the parent says so after the prune
    assert "applyset.kubernetes.io/additional-namespaces" not in annotations()
    assert fake_kube.get("ConfigMap", "other", "c") is None


def object_patches(fake, resource="configmaps"):
    return [r.name for r in fake.requests if r.method == "PATCH" and r.resource == resource]


def actions(capsys, fake, path):
    code, report, err = run_json(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate",
                                 "--no-wait", "--revision", "r1", str(path))
    assert code == 0, err
    return {f["object"]["name"]: f["rule"] for f in report["findings"]}


def test_an_object_in_sync_is_not_sent_and_reads_unchanged(fake_kube, tmp_path, capsys):
    write(tmp_path / "m", "m.yaml", configmap("a"), deployment("web"))
    assert set(actions(capsys, fake_kube, tmp_path / "m").values()) == {"created"}
    before = fake_kube.get("Deployment", "default", "web")["metadata"]["resourceVersion"]
    fake_kube.reset_requests()
    assert actions(capsys, fake_kube, tmp_path / "m") == {"a": "unchanged", "web": "unchanged"}
    assert object_patches(fake_kube) == [] and object_patches(fake_kube, "deployments") == []
    assert fake_kube.get("Deployment", "default", "web")["metadata"]["resourceVersion"] == before


def test_an_object_someone_changed_is_applied_again(fake_kube, tmp_path, capsys):
    write(tmp_path / "m", "m.yaml", configmap("a"), configmap("b"))
    actions(capsys, fake_kube, tmp_path / "m")
    fake_kube.edit("ConfigMap", "default", "b", {"data": {"k": "edited"}})
    fake_kube.reset_requests()
    assert actions(capsys, fake_kube, tmp_path / "m") == {"a": "unchanged", "b": "configured"}
    assert object_patches(fake_kube) == ["b"]
    assert fake_kube.get("ConfigMap", "default", "b")["data"] == {"k": "v"}


def test_a_field_git_no_longer_has_is_applied_away(fake_kube, tmp_path, capsys):
    write(tmp_path / "m", "m.yaml", configmap("a", k="v", gone="x"))
    actions(capsys, fake_kube, tmp_path / "m")
    write(tmp_path / "m", "m.yaml", configmap("a", k="v"))  # every value still live: only ownership says
    fake_kube.reset_requests()
    assert actions(capsys, fake_kube, tmp_path / "m") == {"a": "configured"}
    assert fake_kube.get("ConfigMap", "default", "a")["data"] == {"k": "v"}


def test_a_live_value_kubepush_does_not_own_yet_is_applied_to_own_it(fake_kube, tmp_path, capsys):
    """The value is already there (another manager set it): skipping would leave kubepush not owning
    it, so a later removal from Git would not remove it."""
    write(tmp_path / "m", "m.yaml", configmap("a", k="v"))
    actions(capsys, fake_kube, tmp_path / "m")
    fake_kube.edit("ConfigMap", "default", "a", {"data": {"extra": "same"}})
    write(tmp_path / "m", "m.yaml", configmap("a", k="v", extra="same"))
    fake_kube.reset_requests()
    actions(capsys, fake_kube, tmp_path / "m")
    assert object_patches(fake_kube) == ["a"]
    live = fake_kube.get("ConfigMap", "default", "a")
    ours = next(m for m in live["metadata"]["managedFields"] if m["manager"] == "kubepush")
    assert "f:extra" in json.dumps(ours["fieldsV1"])


def test_an_object_created_by_someone_else_is_applied_even_when_equal(fake_kube, tmp_path, capsys):
    fake_kube.create(configmap("a"))
    write(tmp_path / "m", "m.yaml", configmap("a"))
    fake_kube.reset_requests()
    actions(capsys, fake_kube, tmp_path / "m")
    assert object_patches(fake_kube) == ["a"]  # kubepush owns nothing of it yet, nor labelled it


def test_prune_finds_the_members_in_the_list_the_stage_took(fake_kube, tmp_path, capsys):
    (tmp_path / "kubepush.yaml").write_text("targets:\n  - {name: app, path: m, prune: true}\n")
    target = ("--config", str(tmp_path / "kubepush.yaml"), "-t", "app")
    write(tmp_path / "m", "m.yaml", configmap("a"), configmap("b"))
    apply(capsys, fake_kube, tmp_path / "m", "r1", *target)
    write(tmp_path / "m", "m.yaml", configmap("a"))
    fake_kube.reset_requests()
    apply(capsys, fake_kube, tmp_path / "m", "r2", *target)
    assert fake_kube.get("ConfigMap", "default", "b") is None  # pruned
    assert fake_kube.get("ConfigMap", "default", "a") is not None
    # the ownership check's LIST (members of other sets) and the stage's: prune lists nothing again
    assert fake_kube.count(verb="list", resource="configmaps") == 2


def test_a_kustomization_is_rendered_once_for_validate_and_apply(fake_kube, tmp_path, capsys, monkeypatch):
    """What is applied is what was validated: one build, not one per step (and kustomize's time once)."""
    from kubepush.manifests import render

    builds = []
    real = render._run
    monkeypatch.setattr(render, "_run", lambda command, what: builds.append(what) or real(command, what))
    write(tmp_path / "base", "cm.yaml", configmap("a"))
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    code, _, err = run(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-wait", "--revision", "r1",
                       str(tmp_path / "base"))
    assert code == 0, err
    assert len(builds) == 1, builds
    assert fake_kube.get("ConfigMap", "default", "a") is not None
    builds.clear()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [cm.yaml]\nnamePrefix: p-\n")
    code, _, err = run(capsys, "apply", "--kubeconfig", fake_kube.kubeconfig_path, "--no-wait", "--revision", "r2",
                       str(tmp_path / "base"))
    assert code == 0, err
    assert len(builds) == 1 and fake_kube.get("ConfigMap", "default", "p-a") is not None  # a new run builds anew
