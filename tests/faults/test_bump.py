"""Command-level faults for ``kubepush bump``: what CI sees when the environment is hostile.

Module tests cover each client's fault handling; these run the real command and
check the contract a pipeline relies on: exit code 2 with a message that says
what happened and what to do, no traceback, and nothing half-made left behind
unreported (no commit on the base, no stray branch, no pull request).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.config_repo import FILES, env_with
from tests.support.git_fixtures import git, make_remote
from tests.support.kubepush_cli import assert_no_traceback, kubepush

pytest_plugins = ["tests.support.git_fixtures", "tests.support.config_repo", "tests.support.registry_fixtures"]


@pytest.fixture
def checkout(git_remote_root: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    remote = make_remote(git_remote_root, "config.git", FILES)
    path = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(path))
    return remote, path


def remote_state(remote) -> dict[str, str]:  # type: ignore[no-untyped-def]
    refs = git("--git-dir", str(remote.path), "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split() for line in refs.splitlines())


def test_locked_checkout_is_exit_2_naming_the_lock_and_pushes_nothing(checkout) -> None:  # type: ignore[no-untyped-def]
    remote, path = checkout
    (path / ".git" / "index.lock").write_text("")  # another git process (or a crashed one) holds the index
    before, head = remote_state(remote), git("-C", str(path), "rev-parse", "HEAD")
    for mode in ("--no-pr", "--direct"):
        proc = kubepush("bump", "--checkout", str(path), "--image", "ghcr.io/acme/shop:1.5.0", mode, env=env_with())
        assert proc.returncode == 2, (mode, proc.stdout, proc.stderr)
        assert_no_traceback(proc)
        assert "index.lock" in proc.stderr, proc.stderr
        assert remote_state(remote) == before  # no branch, no commit on the base
        assert git("-C", str(path), "rev-parse", "HEAD") == head
    assert (path / ".git" / "index.lock").exists()  # someone else's lock is never removed
    # Once the lock is gone the same command succeeds.
    (path / ".git" / "index.lock").unlink()
    proc = kubepush("bump", "--checkout", str(path), "--image", "ghcr.io/acme/shop:1.5.0", "--no-pr", env=env_with())
    assert proc.returncode == 0, proc.stderr


def test_checkout_with_uncommitted_edits_is_never_clobbered(checkout) -> None:  # type: ignore[no-untyped-def]
    _, path = checkout
    deploy = path / "base" / "deploy.yaml"
    edited = deploy.read_text() + "# work in progress\n"
    deploy.write_text(edited)
    proc = kubepush("bump", "--checkout", str(path), "--image", "ghcr.io/acme/shop:1.5.0", "--no-pr", env=env_with())
    assert_no_traceback(proc)
    assert deploy.read_text().endswith("# work in progress\n") or proc.returncode == 2, proc.stderr
    if proc.returncode == 2:
        assert deploy.read_text() == edited and "uncommitted" in proc.stderr.lower(), proc.stderr


def test_unreachable_remote_and_missing_repo_are_exit_2(tmp_path: Path) -> None:
    for url in ("http://127.0.0.1:9/octo/app.git", f"file://{tmp_path}/nope.git"):
        proc = kubepush("bump", "--repo", url, "--image", "ghcr.io/acme/shop:1.5.0", "--no-pr", env=env_with())
        assert proc.returncode == 2, proc.stderr
        assert_no_traceback(proc)
        assert url.split("://")[1].split("/")[0] in proc.stderr or "nope.git" in proc.stderr, proc.stderr


def test_every_forge_failure_is_exit_2_reporting_the_pushed_branch_then_converges(github_rig) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    args = ("bump", "--repo", server.url(remote), "--forge", "github", "--forge-url", fake.url,
            "--image", "ghcr.io/acme/shop:1.5.0")
    env = env_with(GITHUB_TOKEN=fake.token)
    faults = {401: "401", 403: "403", 404: "404", 422: "422", 503: "503"}
    seen = {}
    for status, needle in faults.items():
        fake.fail("pulls/create", status, times=10)
        proc = kubepush(*args, env=env)
        fake.faults.clear()
        seen[status] = proc.returncode
        assert_no_traceback(proc)
        assert needle in proc.stderr and fake.token not in proc.stdout + proc.stderr, proc.stderr
        assert "kubepush/all/shop" in proc.stderr and "re-run" in proc.stderr.lower(), proc.stderr
    fake.rate_limited(reset_in=3600, times=10)  # primary limit, reset far away: fail now, do not sleep an hour
    limited = kubepush(*args, env=env, timeout=60)
    fake.faults.clear()
    assert limited.returncode == 2 and "rate limit" in limited.stderr.lower(), limited.stderr
    assert seen == dict.fromkeys(faults, 2), seen
    assert not fake.pulls and remote.sha("kubepush/all/shop") is not None  # branch pushed, reported, no PR
    done = kubepush(*args, env=env)
    assert done.returncode == 0 and len(fake.pulls) == 1, done.stderr


@pytest.mark.parametrize(("reply", "reason"), [
    ((401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}), "credentials"),
    ((404, {"errors": [{"code": "NAME_UNKNOWN", "message": "repository name not known"}]}), "not"),
    ((429, {"errors": [{"code": "TOOMANYREQUESTS", "message": "pull rate limit"}]}, {"Retry-After": "0"}), "rate"),
    ((500, {"errors": [{"code": "UNKNOWN", "message": "storage down"}]}), "500"),
    ((200, b'{"name": "team/app", "tags": [1, {"x": '), "tag list"),
])
def test_registry_faults_are_findings_naming_the_image_and_push_nothing(
        reply: tuple, reason: str, git_remote_root: Path, request: pytest.FixtureRequest) -> None:  # type: ignore[type-arg]
    from tests.support.registry_fixtures import Reply

    registry = request.getfixturevalue("scripted_registry")
    registry.script("/v2/team/app/tags/list", Reply(*reply))
    image = f"{registry.host}/team/app"
    files = {**FILES, "base/deploy.yaml": FILES["base/deploy.yaml"].replace("ghcr.io/acme/shop", image),
             "kubepush.yaml": f"bump:\n  policies:\n    - {{image: '{image}', kind: semver, range: '^1'}}\n"}
    remote = make_remote(git_remote_root, "config.git", files)
    before = remote_state(remote)
    proc = kubepush("bump", "--from-registry", "--repo", remote.url, "--no-pr", "--insecure-registry",
                    registry.host, env=env_with(DOCKER_CONFIG=str(git_remote_root)), timeout=60)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert image in proc.stdout and reason in proc.stdout.lower(), proc.stdout
    assert remote_state(remote) == before
