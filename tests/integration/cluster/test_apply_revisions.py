"""What apply records as the revision and the healthy revision, and what rollback reports.

Against the fake apiserver, with real git repositories: a dirty working tree is warned about
and marked, only a clean revision that applied and proved healthy becomes the healthy one,
and rollback findings name repository paths, not the temporary worktree.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.support.cluster_helpers import configmap, deployment, inventory, run_json, write

IDENTITY = ("-c", "user.name=t", "-c", "user.email=t@example.com")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *IDENTITY, *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def new_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    return repo


def annotations(fake, target: str = "default", namespace: str = "default") -> dict[str, str]:
    return inventory(fake, namespace, target)["metadata"]["annotations"]


def apply(capsys, fake, *args: str):
    return run_json(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate", *args)


def test_a_dirty_tree_is_warned_about_and_recorded_as_dirty_never_healthy(fake_kube, tmp_path, capsys, monkeypatch):
    repo = new_repo(tmp_path)
    write(repo / "app", "cm.yaml", configmap("cfg", mode="one"))
    clean = commit(repo, "one")
    monkeypatch.chdir(repo)
    (repo / "report.json").write_text("{}")  # untracked, outside the target: not part of what is applied
    code, _, err = apply(capsys, fake_kube, "app")
    assert code == 0, err
    assert "uncommitted" not in err
    assert annotations(fake_kube)["kubepush.dev/revision"] == annotations(fake_kube)[
        "kubepush.dev/healthy-revision"] == clean

    write(repo / "app", "cm.yaml", configmap("cfg", mode="edited"))
    code, _, err = apply(capsys, fake_kube, "app")
    assert code == 0, err
    assert "warning: app/cm.yaml has uncommitted changes" in err and f"{clean}-dirty" in err
    recorded = annotations(fake_kube)
    assert recorded["kubepush.dev/revision"] == f"{clean}-dirty"
    assert recorded["kubepush.dev/healthy-revision"] == clean  # what applied dirty never becomes healthy

    write(repo / "app", "cm.yaml", configmap("cfg", mode="one"))
    write(repo / "app", "new.yaml", configmap("new"))  # untracked inside the target: applied, so dirty
    code, _, err = apply(capsys, fake_kube, "app")
    assert code == 0, err
    assert "app/new.yaml" in err and annotations(fake_kube)["kubepush.dev/revision"] == f"{clean}-dirty"


def test_a_commit_that_does_not_render_never_becomes_healthy(fake_kube, tmp_path, capsys, monkeypatch):
    """The way a commit that cannot render became the healthy revision: HEAD has a broken
    kustomization, the working tree has the fix, apply recorded HEAD as what applied healthy -
    and a later --rollback-on-failure chose it."""
    repo = new_repo(tmp_path)
    write(repo / "app", "cm.yaml", configmap("cfg"))
    (repo / "app" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    good = commit(repo, "good")
    monkeypatch.chdir(repo)
    assert apply(capsys, fake_kube, "app")[0] == 0

    (repo / "app" / "kustomization.yaml").write_text("resources: [cm.yaml, missing.yaml]\n")
    broken = commit(repo, "broken")
    (repo / "app" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")  # fixed, not committed
    code, _, err = apply(capsys, fake_kube, "app")
    assert code == 0, err
    assert annotations(fake_kube)["kubepush.dev/healthy-revision"] == good != broken

    write(repo / "app", "web.yaml", deployment())  # the next commit fails health
    (repo / "app" / "kustomization.yaml").write_text("resources: [cm.yaml, web.yaml]\n")
    failing = commit(repo, "unhealthy")
    code, report, err = apply(capsys, fake_kube, "app", "--timeout", "0.5", "--rollback-on-failure")
    assert code == 1
    note = next(f["message"] for f in report["findings"] if f["rule"] == "rollback")
    assert f"ROLLED BACK to {good} after health failed for {failing}" in note, note


def test_an_empty_target_is_not_recorded_healthy(fake_kube, tmp_path, capsys, monkeypatch):
    repo = new_repo(tmp_path)
    (repo / "app").mkdir()
    (repo / "app" / "kustomization.yaml").write_text("resources: []\n")
    commit(repo, "nothing")
    monkeypatch.chdir(repo)
    code, _, err = apply(capsys, fake_kube, "app")
    assert code == 0, err
    assert "kubepush.dev/healthy-revision" not in annotations(fake_kube)


def test_no_wait_never_records_a_healthy_revision(fake_kube, tmp_path, capsys, monkeypatch):
    repo = new_repo(tmp_path)
    write(repo / "app", "cm.yaml", configmap("cfg", mode="one"))
    one = commit(repo, "one")
    monkeypatch.chdir(repo)
    assert apply(capsys, fake_kube, "app", "--no-wait")[0] == 0
    assert annotations(fake_kube)["kubepush.dev/revision"] == one
    assert "kubepush.dev/healthy-revision" not in annotations(fake_kube)
    assert apply(capsys, fake_kube, "app")[0] == 0
    write(repo / "app", "cm.yaml", configmap("cfg", mode="two"))
    two = commit(repo, "two")
    assert apply(capsys, fake_kube, "app", "--no-wait")[0] == 0
    assert (annotations(fake_kube)["kubepush.dev/revision"], annotations(fake_kube)[
        "kubepush.dev/healthy-revision"]) == (two, one)


def test_the_revision_is_the_target_repository_s_not_the_working_directory_s(fake_kube, tmp_path, capsys,
                                                                               monkeypatch):
    repo = new_repo(tmp_path)
    write(repo / "app", "cm.yaml", configmap("cfg"))
    sha = commit(repo, "one")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not a git checkout at all
    assert apply(capsys, fake_kube, str(repo / "app"))[0] == 0
    assert annotations(fake_kube)["kubepush.dev/healthy-revision"] == sha


def test_rollback_findings_name_repository_paths(fake_kube, tmp_path, capsys, monkeypatch):
    repo = new_repo(tmp_path)
    write(repo / "app", "cm.yaml", configmap("cfg", mode="one"))
    (repo / "kubepush.yaml").write_text(yaml.safe_dump({"repository": "git.example.com/acme/config",
                                                        "targets": [{"name": "shop", "path": "app"}]}))
    good = commit(repo, "good")
    monkeypatch.chdir(repo)
    assert apply(capsys, fake_kube)[0] == 0
    write(repo / "app", "cm.yaml", configmap("cfg", mode="two"))
    write(repo / "app", "web.yaml", deployment())
    commit(repo, "bad")
    code, report, err = apply(capsys, fake_kube, "--timeout", "0.5", "--rollback-on-failure")
    assert code == 1
    rolled = [f for f in report["findings"] if f["message"].startswith(f"[shop rollback {good[:12]}]")]
    assert rolled and {f["file"] for f in rolled} == {"app/cm.yaml"}, [f["file"] for f in rolled]
    assert fake_kube.get("ConfigMap", "default", "cfg")["data"]["mode"] == "one"
    assert "kubepush-rollback" not in err


def test_a_dirty_healthy_revision_on_the_inventory_is_never_rolled_back_to(fake_kube, tmp_path, capsys, monkeypatch):
    """An inventory edited by hand (or by another tool) that names a dirty tree as healthy."""
    repo = new_repo(tmp_path)
    write(repo / "app", "cm.yaml", configmap("cfg"))
    sha = commit(repo, "one")
    monkeypatch.chdir(repo)
    assert apply(capsys, fake_kube, "app")[0] == 0
    fake_kube.edit("Secret", "default", inventory(fake_kube, "default")["metadata"]["name"],
                   {"metadata": {"annotations": {"kubepush.dev/healthy-revision": f"{sha}-dirty"}}})
    write(repo / "app", "web.yaml", deployment())
    commit(repo, "bad")
    code, report, _ = apply(capsys, fake_kube, "app", "--timeout", "0.5", "--rollback-on-failure")
    assert code == 1
    note = next(f["message"] for f in report["findings"] if f["rule"] == "rollback")
    assert "ROLLBACK NOT POSSIBLE" in note and "uncommitted" in note, note


def test_without_git_installed_there_is_no_revision_and_no_error(tmp_path, monkeypatch):
    from kubepush.gitops import revisions

    repo = new_repo(tmp_path)
    write(repo / "app", "cm.yaml", configmap("cfg"))
    commit(repo, "one")
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))
    assert revisions.of_paths([str(repo / "app")]) == revisions.Revision()


def test_revision_given_as_head_of_a_dirty_tree_is_marked_dirty_too(fake_kube, tmp_path, capsys, monkeypatch):
    """CI templates pass their commit (GitLab: $CI_COMMIT_SHA): when that is HEAD and the tree has
    changes on top, what was applied is still not that commit. Another value is recorded as given."""
    repo = new_repo(tmp_path)
    write(repo / "app", "cm.yaml", configmap("cfg", mode="one"))
    sha = commit(repo, "one")
    monkeypatch.chdir(repo)
    write(repo / "app", "cm.yaml", configmap("cfg", mode="edited"))
    code, _, err = apply(capsys, fake_kube, "app", "--revision", sha)
    assert code == 0, err
    assert "uncommitted changes" in err and annotations(fake_kube)["kubepush.dev/revision"] == f"{sha}-dirty"
    code, _, err = apply(capsys, fake_kube, "app", "--revision", "build-42")
    assert code == 0, err
    assert annotations(fake_kube)["kubepush.dev/revision"] == "build-42"
