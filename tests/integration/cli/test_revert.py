"""kubepush revert end to end: real git (file:// and smart HTTP with a token), contract-checked fake
forges, and the fake apiserver for --last-applied."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.config_repo import DEPLOY, FILES, RemoteBranches, env_with
from tests.support.git_fixtures import GitHTTPServer, git, make_remote
from tests.support.kubepush_cli import assert_no_traceback, kubepush

pytest_plugins = ["tests.support.git_fixtures", "tests.support.config_repo"]

BUMPED = DEPLOY.replace("shop:1.4.1", "shop:1.5.0")


def gitlab_remote(git_remote_root: Path, fake_gitlab):  # type: ignore[no-untyped-def]
    """A config repository on a token-guarded git server whose last commit is a bump to revert, for the
    GitLab-backed CI tests: (remote, started server, the commit)."""
    remote = make_remote(git_remote_root, "octo/app.git", FILES)
    fake_gitlab.branches = RemoteBranches(remote)
    bad = remote.commit("main", {"base/deploy.yaml": BUMPED}, "bump shop to 1.5.0")
    return remote, GitHTTPServer(git_remote_root, user="oauth2", token=fake_gitlab.token).start(), bad


def revert(server: GitHTTPServer, remote, fake, *args: str, token: str | None = None,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return kubepush("revert", "--repo", server.url(remote), "--forge", "github", "--forge-url", fake.url,
                    "-o", "json", *args, cwd=cwd, env=env_with(GITHUB_TOKEN=token or fake.token))


def test_revert_opens_a_pull_request_and_a_rerun_finds_the_same_one(github_rig) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    bad = remote.commit("main", {"base/deploy.yaml": BUMPED}, "bump shop to 1.5.0")
    remote.commit("main", {"README.md": "later, unrelated\n"}, "docs")
    first = revert(server, remote, fake, bad[:10], "--reason", "1.5.0 crashes on start")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    branch = f"kubepush/revert-{bad[:12]}"
    assert (out["commit"], out["branch"], out["status"], out["prNumber"]) == (bad, branch, "pushed", 1)
    assert out["targets"] == ["staging", "base"]  # both render base/deploy.yaml
    assert remote.read(branch, "base/deploy.yaml") == DEPLOY and remote.read(branch, "README.md")
    assert remote.log(branch, "%s%n%b")[:3] == ['Revert "bump shop to 1.5.0"', f"This reverts commit {bad}.", ""]
    pr = fake.pulls[1]
    assert pr["title"] == 'Revert "bump shop to 1.5.0"' and pr["head"] == branch
    assert bad in pr["body"] and "1.5.0 crashes on start" in pr["body"] and "`staging`" in pr["body"]

    tip = remote.sha(branch)
    again = revert(server, remote, fake, bad)
    assert again.returncode == 0, again.stderr
    out = json.loads(again.stdout)
    assert out["status"] == "up-to-date" and out["prNumber"] == 1 and out["pullRequest"]["created"] is False
    assert remote.sha(branch) == tip and len(fake.calls("pulls/create")) == 1 and len(fake.pulls) == 1
    assert fake.token not in first.stdout + first.stderr + again.stdout + again.stderr
    assert all(fake.token not in r.target for r in server.requests)
    assert fake.token not in remote.log(branch, "%an %ae %cn %ce %B")[0]


def test_a_merge_commit_is_reverted_against_its_first_parent(git_remote_root: Path, tmp_path: Path) -> None:
    remote = make_remote(git_remote_root, "config.git", FILES)
    work = tmp_path / "work"
    git("clone", "--quiet", remote.url, str(work))
    git("checkout", "--quiet", "-b", "feature", cwd=work)
    (work / "base/deploy.yaml").write_text(BUMPED)
    git("commit", "--quiet", "-am", "bump on a branch", cwd=work)
    git("checkout", "--quiet", "main", cwd=work)
    (work / "notes.txt").write_text("main moved on\n")
    git("add", "notes.txt", cwd=work)
    git("commit", "--quiet", "-m", "main moved on", cwd=work)
    git("merge", "--quiet", "--no-ff", "-m", "Merge feature", "feature", cwd=work)
    git("push", "--quiet", "origin", "main", cwd=work)
    merge = remote.sha("main")
    proc = kubepush("revert", merge, "--repo", remote.url, "--no-pr", "-o", "json", env=env_with())
    assert proc.returncode == 0, proc.stderr
    branch = json.loads(proc.stdout)["branch"]
    assert remote.read(branch, "base/deploy.yaml") == DEPLOY and remote.read(branch, "notes.txt") == "main moved on\n"
    message = remote.log(branch, "%B")[:4]
    assert message[0] == 'Revert "Merge feature"' and message[2].startswith(f"This reverts commit {merge}, reversing")


def test_a_conflicting_revert_names_the_files_and_pushes_nothing(git_remote_root: Path) -> None:
    remote = make_remote(git_remote_root, "config.git", FILES)
    bad = remote.commit("main", {"base/deploy.yaml": BUMPED}, "bump shop to 1.5.0")
    remote.commit("main", {"base/deploy.yaml": DEPLOY.replace("shop:1.4.1", "shop:1.6.0")}, "bump shop to 1.6.0")
    proc = kubepush("revert", bad, "--repo", remote.url, "--no-pr", "-o", "json", env=env_with())
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "conflict" and [f["file"] for f in out["findings"]] == ["base/deploy.yaml"]
    assert "conflicts with the base in base/deploy.yaml" in out["findings"][0]["message"]
    assert remote.sha(f"kubepush/revert-{bad[:12]}") is None
    text = kubepush("revert", bad, "--repo", remote.url, "--no-pr", env=env_with())
    assert text.returncode == 1 and text.stdout.startswith("base/deploy.yaml: error: reverting")
    assert_no_traceback(text)


def test_an_unknown_commit_or_no_commit_is_exit_2(git_remote_root: Path) -> None:
    remote = make_remote(git_remote_root, "config.git", FILES)
    proc = kubepush("revert", "0123456789abcdef", "--repo", remote.url, "--no-pr", env=env_with())
    assert proc.returncode == 2
    assert "commit '0123456789abcdef' is not in" in proc.stderr and "check the sha" in proc.stderr
    assert_no_traceback(proc)
    neither = kubepush("revert", "--repo", remote.url, env=env_with())
    assert neither.returncode == 2 and "a COMMIT, or --last-applied -t TARGET" in neither.stderr


def test_a_wrong_token_is_exit_2_without_the_token_and_without_a_pr(github_rig) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    bad = remote.commit("main", {"base/deploy.yaml": BUMPED}, "bump")
    proc = revert(server, remote, fake, bad, token="ghp_wrongtoken0000")
    assert proc.returncode == 2
    assert "ghp_wrongtoken0000" not in proc.stdout + proc.stderr and "authentication failed" in proc.stderr
    assert not fake.calls("pulls/create") and remote.sha(f"kubepush/revert-{bad[:12]}") is None
    assert_no_traceback(proc)


def test_a_base_that_already_reverted_it_closes_the_stale_pull_request(github_rig) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    bad = remote.commit("main", {"base/deploy.yaml": BUMPED}, "bump")
    assert revert(server, remote, fake, bad).returncode == 0
    remote.commit("main", {"base/deploy.yaml": DEPLOY}, "reverted by hand")
    proc = revert(server, remote, fake, bad)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "no-changes" and out["pullRequest"]["state"] == "closed"


def test_a_shallow_ci_checkout_fetches_the_history_it_needs(git_remote_root: Path, tmp_path: Path) -> None:
    remote = make_remote(git_remote_root, "config.git", FILES)
    bad = remote.commit("main", {"base/deploy.yaml": BUMPED}, "bump")
    remote.commit("main", {"README.md": "x\n"}, "later")
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", "--depth", "1", remote.url, str(checkout))
    proc = kubepush("revert", bad, "--no-pr", "-o", "json", cwd=checkout, env=env_with())
    assert proc.returncode == 0, proc.stderr
    assert remote.read(json.loads(proc.stdout)["branch"], "base/deploy.yaml") == DEPLOY


@pytest.mark.parametrize(("forge", "token_env", "git_user"), [
    ("gitlab", "GITLAB_TOKEN", "oauth2"),
    ("gitea", "GITEA_TOKEN", "kubepush-bot"),
])
def test_gitlab_and_gitea_revert_merge_requests(forge: str, token_env: str, git_user: str, git_remote_root: Path,
                                                request: pytest.FixtureRequest) -> None:
    fake = request.getfixturevalue(f"fake_{forge}")
    remote = make_remote(git_remote_root, "octo/app.git", FILES)
    fake.branches = RemoteBranches(remote)
    bad = remote.commit("main", {"base/deploy.yaml": BUMPED}, "bump shop to 1.5.0")
    server = GitHTTPServer(git_remote_root, user=git_user, token=fake.token).start()
    try:
        args = ("revert", bad, "--repo", server.url(remote), "--forge", forge, "--forge-url", fake.url, "-o", "json",
                "--git-username", git_user)
        runs = [kubepush(*args, env=env_with(**{token_env: fake.token})) for _ in range(2)]
        assert all(p.returncode == 0 for p in runs), runs[-1].stderr
        one, two = (json.loads(p.stdout) for p in runs)
        assert one["prNumber"] == two["prNumber"] == 1 and two["pullRequest"]["created"] is False
        stored = (fake.mrs if forge == "gitlab" else fake.pulls)[1]
        assert stored["title"] == 'Revert "bump shop to 1.5.0"'
        assert all(fake.token not in p.stdout + p.stderr for p in runs)
    finally:
        server.stop()


def test_last_applied_reverts_what_the_target_s_inventory_records(github_rig, fake_kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """apply records the checkout's HEAD; revert --last-applied finds that inventory as apply names it."""
    remote, server, fake = github_rig
    bad = remote.commit("main", {"base/deploy.yaml": BUMPED}, "bump shop to 1.5.0")
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    cluster = ("--kubeconfig", fake_kube.kubeconfig_path)
    applied = kubepush("apply", "-t", "staging", *cluster, "--no-validate", "--no-wait", cwd=checkout, env=env_with())
    assert applied.returncode == 0, applied.stderr
    args = ("--last-applied", "-t", "staging", *cluster)
    proc = revert(server, remote, fake, *args, cwd=checkout)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["commit"] == bad
    assert "revision last applied to target `staging`" in fake.pulls[1]["body"]

    (checkout / "base/deploy.yaml").write_text(DEPLOY)  # applied with uncommitted changes
    assert kubepush("apply", "-t", "staging", *cluster, "--no-validate", "--no-wait", cwd=checkout,
                    env=env_with()).returncode == 0
    dirty = revert(server, remote, fake, *args, cwd=checkout)
    assert dirty.returncode == 2 and "uncommitted changes" in dirty.stderr and "give the COMMIT" in dirty.stderr
    missing = revert(server, remote, fake, "--last-applied", "-t", "base", *cluster, cwd=checkout)
    assert missing.returncode == 2 and "kubepush never applied this target there" in missing.stderr
    assert_no_traceback(missing)


def test_the_github_action_maps_inputs_to_revert_and_its_result_to_outputs(github_rig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """actions/revert: kubepush.ci.github with the action's inputs, as the composite step runs it."""
    import os
    import sys

    remote, server, fake = github_rig
    bad = remote.commit("main", {"base/deploy.yaml": BUMPED}, "bump shop to 1.5.0")
    out, summary = tmp_path / "out", tmp_path / "summary"
    env = {**env_with(), "KUBEPUSH_COMMAND": "revert", "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(out),
           "GITHUB_STEP_SUMMARY": str(summary), "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
           "KUBEPUSH_INPUTS": json.dumps({"commit": bad, "repo": server.url(remote), "forge": "github",
                                          "forge-url": fake.url, "token": fake.token, "labels": "rollback",
                                          "reason": "crash loop", "last-applied": "false"})}
    proc = subprocess.run([sys.executable, "-m", "kubepush.ci.github"], env=env, capture_output=True, text=True,
                          check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    outputs = out.read_text()
    assert "pr-number<<" in outputs and "\n1\n" in outputs and f'["kubepush/revert-{bad[:12]}"]' in outputs
    assert "## ↩️ kubepush revert" in summary.read_text() and "pull request [#1]" in summary.read_text()
    assert list(fake.pulls[1]["labels"]) == ["rollback"] and "crash loop" in fake.pulls[1]["body"]
    assert fake.token not in proc.stdout.replace(f"::add-mask::{fake.token}", "") + proc.stderr
