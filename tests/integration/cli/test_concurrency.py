"""Concurrency: runs that race on the same branch or target never lose an update.

Two ``kubepush bump`` processes are started together against one git remote
(smart HTTP with a token) and one fake GitHub; whatever order their pushes and
API calls interleave in, the result is one pull request whose branch holds both
updates, or a run that failed cleanly (exit 2, saying what to re-run) while the
other's update is intact - never a branch that silently lost one of them.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.config_repo import FILES, env_with

pytest_plugins = ["tests.support.git_fixtures", "tests.support.config_repo"]


def start_bump(server, remote, fake, image: str, *extra: str) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, "-m", "kubepush.cli", "bump", "--repo", server.url(remote), "--forge", "github",
         "--forge-url", fake.url, "-o", "json", "--image", image, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_with(GITHUB_TOKEN=fake.token),
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    return proc.returncode, out, err

@pytest.mark.parametrize("round_", range(2))
def test_two_bumps_racing_on_one_branch_lose_no_update(github_rig, round_: int) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    branch = ("--branch", "kubepush/deps")
    runs = [start_bump(server, remote, fake, "ghcr.io/acme/shop:1.5.0", *branch),
            start_bump(server, remote, fake, "nginx:1.27.0", *branch)]
    results = [finish(p) for p in runs]
    deploy = remote.read("kubepush/deps", "base/deploy.yaml")
    for (code, out, err), needle in zip(results, ("ghcr.io/acme/shop:1.5.0", "nginx:1.27.0")):
        if code == 0:
            assert needle in deploy, f"{needle} reported done but missing from the branch:\n{out}\n{err}"
        else:  # a clean refusal: exit 2, it says what happened and to re-run
            assert code == 2 and "re-run" in err.lower(), err
    assert any(code == 0 for code, _, _ in results)
    assert len(fake.pulls) == 1 and len(fake.calls("pulls/create")) == 1
    assert fake.token not in "".join(out + err for _, out, err in results)

def test_sequential_bumps_on_one_branch_keep_both_updates(github_rig) -> None:  # type: ignore[no-untyped-def]
    """The race's slow motion: the second run finds the branch (and PR) the first one made."""
    remote, server, fake = github_rig
    first = finish(start_bump(server, remote, fake, "ghcr.io/acme/shop:1.5.0", "--branch", "kubepush/deps"))
    second = finish(start_bump(server, remote, fake, "nginx:1.27.0", "--branch", "kubepush/deps"))
    assert first[0] == 0 and second[0] == 0, first[2] + second[2]
    deploy = remote.read("kubepush/deps", "base/deploy.yaml")
    assert "nginx:1.27.0" in deploy and "ghcr.io/acme/shop:1.5.0" in deploy, deploy
    assert len(fake.pulls) == 1

def test_two_bumps_of_different_images_race_to_two_intact_prs(github_rig) -> None:  # type: ignore[no-untyped-def]
    """The default branch per image keeps concurrent pipelines apart: two PRs, each with its own update."""
    remote, server, fake = github_rig
    runs = [start_bump(server, remote, fake, "ghcr.io/acme/shop:1.5.0"), start_bump(server, remote, fake, "nginx:1.27.0")]
    results = [finish(p) for p in runs]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    branches = [json.loads(out)["groups"][0]["branch"] for _, out, _ in results]
    assert len(set(branches)) == 2, branches
    shop, nginx = (remote.read(b, "base/deploy.yaml") for b in branches)
    assert "shop:1.5.0" in shop and "nginx:1.25.3" in shop
    assert "nginx:1.27.0" in nginx and "shop:1.4.1" in nginx
    assert len(fake.pulls) == 2 and remote.read("main", "base/deploy.yaml") == FILES["base/deploy.yaml"]

@pytest.mark.parametrize("round_", range(3))
def test_same_bump_twice_at_once_makes_one_pr(github_rig, round_: int) -> None:  # type: ignore[no-untyped-def]
    """Two pipelines bumping the same image to the same tag: one branch, one PR, no error for either.

    Regression: the loser of the race to create the branch got "cannot lock ref ... reference
    already exists" from receive-pack and failed as if the branch were protected.
    """
    remote, server, fake = github_rig
    runs = [start_bump(server, remote, fake, "ghcr.io/acme/shop:1.5.0") for _ in range(2)]
    results = [finish(p) for p in runs]
    assert "shop:1.5.0" in remote.read("kubepush/all/shop", "base/deploy.yaml")
    assert len(fake.pulls) == 1, fake.pulls
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
