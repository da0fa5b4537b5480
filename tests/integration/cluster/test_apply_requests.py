"""The requests an apply makes: a steady-state run writes nothing it would write the same, and
every run that changes what the inventory records still writes it."""

from __future__ import annotations

from tests.support.cluster_helpers import configmap, run, write


def apply(capsys, fake, path, revision, *args):
    code, _, err = run(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate", "--no-wait",
                       "--revision", revision, *(args or (str(path),)))
    assert code == 0, err


def inventory_writes(fake):
    """PATCHes of the inventory parent by kubepush itself (the lock's own manager aside)."""
    return [r for r in fake.requests if r.method == "PATCH" and r.resource == "secrets"
            and r.query.get("fieldManager") == "kubepush"]


def test_a_steady_state_apply_only_locks_lists_and_applies(fake_kube, tmp_path, capsys):
    write(tmp_path / "m", "m.yaml", configmap("a"), configmap("b"))
    apply(capsys, fake_kube, tmp_path / "m", "r1")
    fake_kube.reset_requests()
    apply(capsys, fake_kube, tmp_path / "m", "r1")
    assert inventory_writes(fake_kube) == []
    # the lock's claim answered with the parent, so the inventory is not read again; the one GET left
    # is the apply history's (a manager of its own, after the apply)
    assert fake_kube.count(verb="get", resource="secrets") <= 1
    assert fake_kube.count(verb="patch", resource="configmaps") == 2
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
