"""``kubepush status`` against the fake apiserver after real applies from real git repositories.

A sequence of applies - healthy from a GitHub run, unhealthy and rolled back from a GitLab job,
failed from a Jenkins build - is read back as the JSON fields (never message substrings), the
Markdown through a CommonMark parser, and the text table; a second repository on the same
namespace never shows up; an unreachable cluster is exit 2; status never writes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from kubepush.cluster.history import FIELD_LIMIT, HISTORY, LIMIT
from tests.support import cluster_helpers as helpers
from tests.support.cluster_helpers import Controller, configmap, deployment, inventory, run, write
from tests.support.markdown_tables import parse, rows

IDENTITY = ("-c", "user.name=t", "-c", "user.email=t@example.com")
CI_VARIABLES = ("GITHUB_RUN_ID", "GITHUB_REPOSITORY", "GITHUB_SERVER_URL", "GITHUB_ACTOR", "CI_JOB_URL",
                "CI_PIPELINE_URL", "GITLAB_USER_LOGIN", "BUILD_URL", "BUILD_USER_ID")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *IDENTITY, *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def config_repo(tmp_path: Path, *objects, targets=None) -> Path:
    repo = tmp_path / "repo"
    write(repo / "app", "m.yaml", *objects)
    (repo / "kubepush.yaml").write_text(yaml.safe_dump({"repository": "github.com/acme/config", "targets": targets or [
        {"name": "staging", "path": "app", "namespace": "default"}]}))
    git(repo, "init", "-q")
    return repo


@pytest.fixture
def ci(monkeypatch):
    """Switch between CI systems: no CI variable leaks from the machine running the tests."""
    def use(**variables: str) -> None:
        for name in CI_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
    use()
    return use


def apply(capsys, fake, *args: str):
    return run(capsys, "apply", "--kubeconfig", fake.kubeconfig_path, "--no-validate", "-q", *args)


def status(capsys, fake, *args: str):
    code, out, err = run(capsys, "status", "--kubeconfig", fake.kubeconfig_path, "-o", "json", *args)
    return code, json.loads(out), err


def one(report, name="staging"):
    return next(t for t in report["targets"] if t["target"] == name)


def test_status_after_healthy_unhealthy_rolled_back_and_failed_applies(fake_kube, tmp_path, capsys, monkeypatch,
                                                                       ci):
    repo = config_repo(tmp_path, deployment(image="app:1"), configmap("cfg", mode="one"))
    good = commit(repo, "good")
    monkeypatch.chdir(repo)

    ci(GITHUB_RUN_ID="101", GITHUB_REPOSITORY="acme/config", GITHUB_SERVER_URL="https://github.example",
       GITHUB_ACTOR="alice")
    first = Controller()
    first.when_applied(fake_kube, "Deployment", "default", "web",
                       lambda: fake_kube.rollout_complete("Deployment", "default", "web"))
    code, _, err = apply(capsys, fake_kube, "--timeout", "20")
    first.join()
    assert code == 0, err
    code, report, err = status(capsys, fake_kube)
    assert code == 0, err
    staging = one(report)
    assert staging["ok"] is True and report["exitCode"] == 0
    assert staging["revision"] == staging["healthyRevision"] == staging["gitRevision"] == good
    assert staging["appliedBy"] == {"run": "https://github.example/acme/config/actions/runs/101", "actor": "alice"}
    assert staging["lastApply"]["result"] == "healthy"
    assert staging["health"] == {"status": "healthy", "objects": 2, "unhealthy": []}
    assert staging["sync"] == {"status": "in-sync", "check": "cheap", "objects": []}
    assert [e["result"] for e in staging["history"]] == ["healthy"]

    write(repo / "app", "m.yaml", deployment(image="app:2"), configmap("cfg", mode="one"))
    bad = commit(repo, "bad")
    ci(CI_JOB_URL="https://gitlab.example/acme/config/-/jobs/7", CI_PIPELINE_URL="https://gitlab.example/p/3",
       GITLAB_USER_LOGIN="bob")
    second = Controller()
    second.when_applied(fake_kube, "Deployment", "default", "web",
                        lambda: fake_kube.rollout_fail("Deployment", "default", "web"), after_generation=1)
    second.when_applied(fake_kube, "Deployment", "default", "web",
                        lambda: fake_kube.rollout_complete("Deployment", "default", "web"), after_generation=2)
    code, _, err = apply(capsys, fake_kube, "--timeout", "20", "--rollback-on-failure")
    second.join()
    assert code == 1
    code, report, err = status(capsys, fake_kube)
    staging = one(report)
    assert code == 1 and staging["ok"] is False
    assert (staging["revision"], staging["healthyRevision"], staging["gitRevision"]) == (good, good, bad)
    # newest first: the rollback (recorded inside the failed apply) lists after the apply it undid
    assert [(e["revision"], e["result"], e.get("rollbackOf")) for e in staging["history"]] == [
        (good, "healthy", bad), (bad, "unhealthy", None), (good, "healthy", None)]
    assert {e["run"] for e in staging["history"][:2]} == {"https://gitlab.example/acme/config/-/jobs/7"}
    assert staging["appliedBy"] == {"run": "https://gitlab.example/acme/config/-/jobs/7", "actor": "bob"}
    assert staging["lastApply"]["result"] == "healthy" and staging["lastApply"]["rollbackOf"] == bad
    assert staging["health"]["status"] == "healthy"
    # Git (app:2) is not what runs (app:1, rolled back): the cheap check says so without a dry run
    assert staging["sync"]["status"] == "drifted"
    assert [(o["object"]["kind"], o["object"]["name"], o["action"]) for o in staging["sync"]["objects"]] == [
        ("Deployment", "web", "drift")]

    write(repo / "app", "m.yaml", deployment(image="app:2"), configmap("cfg", mode="three"))
    commit(repo, "rejected")
    ci(BUILD_URL="https://jenkins.example/job/config/12/")
    fake_kube.inject("patch", "/configmaps/cfg$", status=403)
    code, _, err = apply(capsys, fake_kube, "--timeout", "2")
    assert code == 1
    code, report, err = status(capsys, fake_kube)
    staging = one(report)
    assert code == 1
    assert staging["lastApply"]["result"] == "failed"
    assert staging["lastApply"]["run"] == "https://jenkins.example/job/config/12/"
    assert [e["result"] for e in staging["history"]] == ["failed", "healthy", "unhealthy", "healthy"]
    # the Deployment got app:2 before the ConfigMap failed: no controller has seen it yet
    assert staging["health"]["status"] == "progressing"
    assert [(o["object"]["name"], o["status"]) for o in staging["health"]["unhealthy"]] == [("web", "in-progress")]

    fake_kube.rollout_fail("Deployment", "default", "web")
    code, report, _ = status(capsys, fake_kube)
    staging = one(report)
    assert staging["health"]["status"] == "degraded"
    failing = staging["health"]["unhealthy"][0]
    assert (failing["object"]["name"], failing["status"]) == ("web", "failed")
    assert failing["message"].startswith("ProgressDeadlineExceeded")


def test_markdown_is_a_table_a_step_summary_renders_and_files_are_written(fake_kube, tmp_path, capsys,
                                                                           monkeypatch, ci):
    portable = configmap("cfg")
    del portable["metadata"]["namespace"]  # each target puts it in its own namespace
    repo = config_repo(tmp_path, portable, targets=[
        {"name": "staging", "path": "app", "namespace": "default"},
        {"name": "production", "path": "app", "namespace": "prod"}])
    commit(repo, "one")
    fake_kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}})
    monkeypatch.chdir(repo)
    ci(GITHUB_RUN_ID="5", GITHUB_REPOSITORY="acme/config", GITHUB_ACTOR="carol")
    assert apply(capsys, fake_kube)[0] == 0
    fake_kube.edit("ConfigMap", "prod", "cfg", {"data": {"k": "changed by hand"}})

    summary, report = tmp_path / "summary.md", tmp_path / "status.json"
    code, out, err = run(capsys, "status", "--kubeconfig", fake_kube.kubeconfig_path, "-o", "markdown",
                         "--summary-md", str(summary), "--report", f"json={report}")
    assert code == 1, err
    assert summary.read_text() == out
    assert {t["target"]: t["sync"]["status"] for t in json.loads(report.read_text())["targets"]} == {
        "staging": "in-sync", "production": "drifted"}

    tokens = parse(out)
    heading = next(tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open")
    assert heading == "❌ kubepush status: 1 of 2 targets needs attention"
    header, *body = rows(tokens)
    assert [c.content for c in header] == ["Target", "Health", "Sync", "Revision", "Last apply", "Applied", "By"]
    by_target = {r[0].content: r for r in body[:2]}
    assert [c.content for c in by_target["staging"][1:3]] == ["✅ healthy", "✅ in-sync"]
    assert by_target["production"][2].content == "⚠️ drifted"
    links = [c.attrs["href"] for c in by_target["production"][6].children if c.type == "link_open"]
    assert links == ["https://github.com/acme/config/actions/runs/5"]
    blocks = [t.content for t in tokens if t.type == "html_block"]
    assert any("<summary>production: needs attention</summary>" in b for b in blocks)
    items = [t.content for t in tokens if t.type == "inline" and t.content.startswith("drift ")]
    assert items and "ConfigMap/prod/cfg" in items[0]

    code, text, _ = run(capsys, "status", "--kubeconfig", fake_kube.kubeconfig_path, "-t", "staging")
    assert code == 0
    assert text.splitlines()[0].split() == ["TARGET", "HEALTH", "SYNC", "REVISION", "LAST", "APPLY", "APPLIED",
                                            "BY"]
    assert text.splitlines()[1].split()[:3] == ["staging", "healthy", "in-sync"]
    assert "production" not in text


def test_deep_confirms_with_a_dry_run_and_status_never_writes(fake_kube, tmp_path, capsys, monkeypatch, ci):
    repo = config_repo(tmp_path, configmap("cfg"), configmap("other"))
    commit(repo, "one")
    monkeypatch.chdir(repo)
    assert apply(capsys, fake_kube)[0] == 0
    fake_kube.edit("ConfigMap", "default", "cfg", {"data": {"k": "by hand"}})
    fake_kube.reset_requests()
    code, cheap, _ = status(capsys, fake_kube)
    assert code == 1
    assert fake_kube.count(method="PATCH") == fake_kube.count(method="POST") == fake_kube.count(method="DELETE") == 0
    assert fake_kube.count(method="PUT") == 0
    assert one(cheap)["sync"]["check"] == "cheap"
    assert [o["object"]["name"] for o in one(cheap)["sync"]["objects"]] == ["cfg"]

    fake_kube.reset_requests()
    code, deep, _ = status(capsys, fake_kube, "--deep")
    assert code == 1 and one(deep)["sync"]["check"] == "deep"
    drifted = one(deep)["sync"]["objects"]
    assert [(o["object"]["name"], o["action"]) for o in drifted] == [("cfg", "drift")]
    writes = [r for r in fake_kube.requests if r.method in ("PATCH", "POST", "PUT", "DELETE")]
    assert writes and all(r.query.get("dryRun") == "All" for r in writes)


def test_a_second_repository_on_the_same_namespace_never_appears(fake_kube, tmp_path, capsys, monkeypatch, ci):
    fake_kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    mine = helpers.config_repo(tmp_path, "one", [configmap("one-cfg", "shop")], "https://github.com/acme/one.git",
                               "shop")
    theirs = helpers.config_repo(tmp_path, "two", [configmap("two-cfg", "shop"), deployment("two-web", "shop"),
                                                   configmap("shared-name", "shop")],
                                 "https://github.com/acme/two.git", "shop")
    for where in (mine, theirs):
        monkeypatch.chdir(where)
        assert apply(capsys, fake_kube, "--no-wait")[0] == 0
    monkeypatch.chdir(mine)
    code, report, err = status(capsys, fake_kube)
    assert code == 0, err
    staging = one(report)
    assert staging["health"] == {"status": "healthy", "objects": 1, "unhealthy": []}
    assert staging["sync"]["objects"] == [] and staging["ownedElsewhere"] == []
    assert "two-" not in json.dumps(report)

    # Git now declares an object the other repository's inventory holds: listed, not counted as ours
    write(mine / "app", "m.yaml", configmap("one-cfg", "shop"), configmap("shared-name", "shop"))
    code, report, _ = status(capsys, fake_kube)
    staging = one(report)
    assert [o["object"]["name"] for o in staging["ownedElsewhere"]] == ["shared-name"]
    assert staging["health"]["objects"] == 1 and staging["sync"]["objects"] == []
    assert code == 1 and staging["ok"] is False  # the next apply refuses it: someone has to decide


def test_unreachable_cluster_is_exit_2_and_one_line(make_fake_kube, tmp_path, capsys, monkeypatch, ci):
    fake = make_fake_kube()
    repo = config_repo(tmp_path, configmap("cfg"))
    commit(repo, "one")
    monkeypatch.chdir(repo)
    fake.stop()
    code, out, err = run(capsys, "status", "--kubeconfig", fake.kubeconfig_path, "-o", "json")
    assert code == 2
    staging = one(json.loads(out))
    assert staging["error"] and "cannot reach cluster" in staging["error"]
    lines = [line for line in err.splitlines() if "error" in line]
    assert len(lines) == 1 and lines[0].startswith("kubepush status: error: [staging] ")
    assert "Traceback" not in err


def test_never_applied_and_unrendered_targets(fake_kube, tmp_path, capsys, monkeypatch, ci):
    repo = config_repo(tmp_path, configmap("cfg"))
    commit(repo, "one")
    monkeypatch.chdir(repo)
    code, report, _ = status(capsys, fake_kube)
    staging = one(report)
    assert code == 1
    assert (staging["lastApply"]["result"], staging["health"]["status"]) == ("never-applied", "missing")
    assert [o["action"] for o in staging["sync"]["objects"]] == ["missing"]

    assert apply(capsys, fake_kube, "--no-wait")[0] == 0
    code, report, _ = status(capsys, fake_kube)
    assert code == 0 and one(report)["lastApply"]["result"] == "applied"
    (repo / "app" / "m.yaml").write_text("kind: [unclosed\n")
    code, report, _ = status(capsys, fake_kube)
    staging = one(report)
    assert code == 1 and staging["sync"]["status"] == "unknown" and staging["problems"]
    assert staging["health"] == {"status": "healthy", "objects": 1, "unhealthy": []}  # its members, from the inventory


def test_the_history_stays_small(fake_kube, tmp_path, capsys, monkeypatch, ci):
    repo = config_repo(tmp_path, configmap("cfg"))
    commit(repo, "one")
    monkeypatch.chdir(repo)
    ci(CI_JOB_URL="https://gitlab.example/" + "x" * 5000)
    for _ in range(LIMIT + 2):
        assert apply(capsys, fake_kube, "--no-wait")[0] == 0
    text = inventory(fake_kube, "default", "staging")["metadata"]["annotations"][HISTORY]
    entries = json.loads(text)
    assert len(entries) == LIMIT
    assert all(len(e["run"]) == FIELD_LIMIT for e in entries)
    assert len(text) < LIMIT * 700
    code, report, _ = status(capsys, fake_kube, "--history", "3")
    assert len(one(report)["history"]) == 3


def test_a_target_without_an_inventory_reports_health_and_sync_but_no_history(fake_kube, tmp_path, capsys,
                                                                              monkeypatch, ci):
    repo = config_repo(tmp_path, configmap("cfg"), targets=[
        {"name": "plain", "path": "app", "namespace": "default", "inventory": False}])
    commit(repo, "one")
    monkeypatch.chdir(repo)
    assert apply(capsys, fake_kube)[0] == 0
    code, report, err = status(capsys, fake_kube)
    plain = one(report, "plain")
    assert code == 0, err
    assert (plain["inventory"], plain["revision"], plain["history"]) == (None, None, [])
    assert plain["lastApply"] == {"result": "not-recorded"}
    assert (plain["health"]["status"], plain["sync"]["status"]) == ("healthy", "in-sync")
