"""kubepush bump end to end: real git (file:// and smart HTTP with a token), a contract-checked
fake GitHub, and a real registry for --from-registry."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.config_repo import CONFIG, DEPLOY, FILES, KUSTOMIZATION, RemoteBranches, env_with
from tests.support.git_fixtures import GitHTTPServer, Remote, make_remote
from tests.support.kubepush_cli import assert_no_traceback, kubepush

pytest_plugins = ["tests.support.git_fixtures", "tests.support.registry_fixtures", "tests.support.config_repo"]


def test_dry_run_prints_the_diff_and_changes_nothing(tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    proc = kubepush("bump", "--image", "ghcr.io/acme/shop:1.5.0", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "-          image: ghcr.io/acme/shop:1.4.1  # pinned by the app pipeline" in proc.stdout
    assert "+          image: ghcr.io/acme/shop:1.5.0  # pinned by the app pipeline" in proc.stdout
    assert "+    newTag: 1.5.0" in proc.stdout
    assert (tmp_path / "base/deploy.yaml").read_text() == DEPLOY


def test_image_not_referenced_is_exit_1_and_bad_flags_exit_2(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DEPLOY)
    missing = kubepush("bump", "--image", "ghcr.io/acme/cart:2.0.0", "--dry-run", cwd=tmp_path)
    assert missing.returncode == 1 and "no reference to ghcr.io/acme/cart found" in missing.stdout
    neither = kubepush("bump", "--dry-run", cwd=tmp_path)
    assert neither.returncode == 2 and "--image REF" in neither.stderr
    untagged = kubepush("bump", "--image", "ghcr.io/acme/shop", "--dry-run", cwd=tmp_path)
    assert untagged.returncode == 2 and "give the new tag or digest" in untagged.stderr
    assert_no_traceback(untagged)


def test_no_pr_pushes_a_branch_once_and_is_idempotent(git_remote_root: Path) -> None:
    remote = make_remote(git_remote_root, "config.git", FILES)
    args = ("bump", "--image", "ghcr.io/acme/shop:1.5.0", "--repo", remote.url, "--no-pr", "-o", "json")
    first = kubepush(*args, env=env_with())
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["changed"] is True and out["groups"][0]["status"] == "pushed"
    branch = out["groups"][0]["branch"]
    assert branch == "kubepush/all/shop"
    tip = remote.sha(branch)
    assert "image: ghcr.io/acme/shop:1.5.0  # pinned by the app pipeline" in remote.read(branch, "base/deploy.yaml")
    assert "newTag: 1.5.0" in remote.read(branch, "overlays/staging/kustomization.yaml")
    assert remote.read(branch, "base/deploy.yaml").replace("1.5.0", "1.4.1") == DEPLOY  # byte-minimal
    assert remote.sha("main") != tip
    again = kubepush(*args, env=env_with())
    assert again.returncode == 0 and json.loads(again.stdout)["groups"][0]["status"] == "up-to-date"
    assert remote.sha(branch) == tip


def test_direct_commits_to_base_and_nothing_left_means_up_to_date(git_remote_root: Path) -> None:
    remote = make_remote(git_remote_root, "config.git", FILES)
    proc = kubepush("bump", "--image", "nginx:1.27.0", "--repo", remote.url, "--direct", "--signoff",
                    "--author", "Release Bot <release@example.test>", "-o", "json", env=env_with())
    assert proc.returncode == 0, proc.stderr
    assert 'image: "nginx:1.27.0"' in remote.read("main", "base/deploy.yaml")
    message = remote.log("main", "%an <%ae>%n%B")[0:4]
    assert message[0] == "Release Bot <release@example.test>" and "bump nginx to 1.27.0" in message[1]
    assert any(line.startswith("Signed-off-by: Release Bot") for line in remote.log("main", "%B"))
    again = kubepush("bump", "--image", "nginx:1.27.0", "--repo", remote.url, "--direct", env=env_with())
    assert again.returncode == 0 and "up to date" in again.stdout


def test_group_per_target_makes_one_branch_each(git_remote_root: Path) -> None:
    remote = make_remote(git_remote_root, "config.git", FILES)
    proc = kubepush("bump", "--image", "ghcr.io/acme/shop:1.6.0", "--repo", remote.url, "--no-pr", "--group",
                    "target", "-o", "json", env=env_with())
    branches = sorted(g["branch"] for g in json.loads(proc.stdout)["groups"])
    # base/deploy.yaml is rendered by both targets (staging builds on base): its change is for "all"
    assert branches == ["kubepush/all/shop", "kubepush/staging/shop"]
    assert "1.6.0" in remote.read("kubepush/staging/shop", "overlays/staging/kustomization.yaml")
    assert "1.4.1" in remote.read("kubepush/staging/shop", "base/deploy.yaml")


def github_bump(server: GitHTTPServer, remote, fake, *extra: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return kubepush("bump", "--repo", server.url(remote), "--forge", "github", "--forge-url", fake.url,
                    "-o", "json", *extra, env=env_with(GITHUB_TOKEN=fake.token))


def test_pull_request_is_opened_then_updated_never_duplicated(github_rig) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    first = github_bump(server, remote, fake, "--image", "ghcr.io/acme/shop:1.5.0", "--label", "deps")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert out["prNumber"] == 1 and out["prUrl"].endswith("/pull/1")
    assert out["groups"][0]["pullRequest"]["created"] is True
    second = github_bump(server, remote, fake, "--image", "ghcr.io/acme/shop:1.5.1", "--label", "deps")
    out2 = json.loads(second.stdout)
    assert second.returncode == 0 and out2["prNumber"] == 1 and out2["groups"][0]["pullRequest"]["created"] is False
    assert "1.5.1" in remote.read("kubepush/all/shop", "base/deploy.yaml")
    assert len(fake.calls("pulls/create")) == 1
    assert fake.calls("pulls/update") and len(fake.pulls) == 1
    body = fake.pulls[1]["body"]
    assert "`1.5.1`" in body and "| `base/deploy.yaml:14` |" in body and "`1.5.0`" not in body
    assert list(fake.pulls[1]["labels"]) == ["deps"]


def test_token_never_appears_in_output_or_git_state(github_rig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    proc = github_bump(server, remote, fake, "--image", "ghcr.io/acme/shop:1.5.0")
    assert proc.returncode == 0, proc.stderr
    assert fake.token not in proc.stdout + proc.stderr
    assert all(fake.token not in r.target for r in server.requests)
    for rev in ("main", "kubepush/all/shop"):
        assert fake.token not in remote.log(rev, "%an %ae %cn %ce %B")[0]
    config = (remote.path / "config").read_text()
    assert fake.token not in config


def test_wrong_token_is_exit_2_with_a_clear_message_and_no_pr(github_rig) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    proc = kubepush("bump", "--repo", server.url(remote), "--forge", "github", "--forge-url", fake.url,
                    "--image", "ghcr.io/acme/shop:1.5.0", env=env_with(GITHUB_TOKEN="ghp_wrongtoken0000"))
    assert proc.returncode == 2
    assert "ghp_wrongtoken0000" not in proc.stdout + proc.stderr
    assert "auth" in proc.stderr.lower()
    assert not fake.calls("pulls/create") and remote.sha("kubepush/all/shop") is None


def test_pr_api_failure_after_push_is_exit_2_and_rerun_converges(github_rig) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    fake.fail("pulls/create", 403, times=1)
    failed = github_bump(server, remote, fake, "--image", "ghcr.io/acme/shop:1.5.0")
    assert failed.returncode == 2 and "403" in failed.stderr and fake.token not in failed.stderr
    assert "branch kubepush/all/shop is pushed at" in failed.stderr and "re-running" in failed.stderr
    assert remote.sha("kubepush/all/shop") is not None  # the branch is pushed and reported ...
    retry = github_bump(server, remote, fake, "--image", "ghcr.io/acme/shop:1.5.0")
    out = json.loads(retry.stdout)  # ... and the next run opens the PR for it
    assert retry.returncode == 0 and out["groups"][0]["status"] == "up-to-date" and out["prNumber"] == 1


def test_stale_pull_request_is_closed_when_base_already_has_it(github_rig) -> None:  # type: ignore[no-untyped-def]
    remote, server, fake = github_rig
    assert github_bump(server, remote, fake, "--image", "ghcr.io/acme/shop:1.5.0").returncode == 0
    files = {p: remote.read("kubepush/all/shop", p) for p in ("base/deploy.yaml", "overlays/staging/kustomization.yaml")}
    remote.commit("main", files, "someone merged it by hand")
    proc = github_bump(server, remote, fake, "--image", "ghcr.io/acme/shop:1.5.0")
    out = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert out["groups"] == [] or out["groups"][0]["pullRequest"]["state"] == "closed"


def test_from_registry_moves_to_newest_allowed_tag(git_remote_root: Path, anon_registry) -> None:  # type: ignore[no-untyped-def]
    pusher = anon_registry.pusher()
    for tag in ("1.4.1", "1.5.0", "1.5.2", "2.0.0", "1.6.0-rc.1"):
        pusher.image("acme/shop", tag)
    image = f"{anon_registry.host}/acme/shop"
    files = {**FILES, "base/deploy.yaml": DEPLOY.replace("ghcr.io/acme/shop", image),
             "overlays/staging/kustomization.yaml": KUSTOMIZATION.replace("ghcr.io/acme/shop", image),
             "kubepush.yaml": CONFIG + f"bump:\n  policies:\n    - image: {image}\n      kind: semver\n"
                                       "      range: '^1.4'\n      pinDigest: true\n"}
    remote = make_remote(git_remote_root, "config.git", files)
    proc = kubepush("bump", "--from-registry", "--repo", remote.url, "--no-pr", "--insecure-registry",
                    anon_registry.host, "-o", "json", env=env_with())
    assert proc.returncode == 0, proc.stderr
    updates = json.loads(proc.stdout)["groups"][0]["updates"]
    assert {u["new"].split("@")[0] for u in updates} == {"1.5.2"}
    assert all(u["new"].split("@")[1].startswith("sha256:") for u in updates)
    assert "nginx:1.25.3" in remote.read("kubepush/all/shop", "base/deploy.yaml")  # no policy: untouched


def test_from_registry_with_pinned_digests_works_on_every_run(git_remote_root: Path, anon_registry) -> None:  # type: ignore[no-untyped-def]
    """The second run starts from ``tag@sha256:...`` on the bot branch; the new tag is the same image
    (a retag), so its digest is the pinned one - the tag still moves and the pin stays."""
    pusher = anon_registry.pusher()
    digest = pusher.image("acme/retagged", "1.5.0")
    image = f"{anon_registry.host}/acme/retagged"
    files = {**FILES, "base/deploy.yaml": DEPLOY.replace("ghcr.io/acme/shop", image),
             "overlays/staging/kustomization.yaml": KUSTOMIZATION.replace("ghcr.io/acme/shop", image),
             "kubepush.yaml": CONFIG + f"bump:\n  policies:\n    - image: {image}\n      kind: semver\n"
                                       "      range: '^1.4'\n      pinDigest: true\n"}
    remote = make_remote(git_remote_root, "config.git", files)
    args = ("bump", "--from-registry", "--repo", remote.url, "--no-pr", "--insecure-registry", anon_registry.host,
            "-o", "json")
    for tag in ("1.5.0", "1.5.1", "1.5.2"):
        assert pusher.image("acme/retagged", tag) == digest  # the same image under each tag
        proc = kubepush(*args, env=env_with())
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["groups"][0]["status"] == "pushed"
        deploy = remote.read("kubepush/all/retagged", "base/deploy.yaml")
        assert f"image: {image}:{tag}@{digest}  # pinned by the app pipeline" in deploy, deploy
    again = kubepush(*args, env=env_with())
    assert again.returncode == 0 and json.loads(again.stdout)["groups"][0]["status"] == "up-to-date", again.stdout


def test_from_registry_without_policies_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DEPLOY)
    proc = kubepush("bump", "--from-registry", "--dry-run", cwd=tmp_path)
    assert proc.returncode == 2 and "bump.policies" in proc.stderr


def test_registry_down_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(DEPLOY.replace("ghcr.io/acme/shop", "127.0.0.1:9/acme/shop"))
    (tmp_path / "kubepush.yaml").write_text("bump:\n  policies:\n    - {image: 127.0.0.1:9/acme/shop, kind: semver, range: '^1'}\n")
    proc = kubepush("bump", "--from-registry", "--dry-run", "--insecure-registry", "127.0.0.1:9", cwd=tmp_path)
    assert proc.returncode == 1 and "cannot list tags" in proc.stdout
    assert proc.stdout.startswith("d.yaml:14: error:")  # repository-relative position
    assert_no_traceback(proc)


def bump_behind_the_base(git_remote_root: Path, tmp_path: Path, meanwhile: dict[str, str]
                         ) -> tuple[Remote, subprocess.CompletedProcess[str]]:
    """``bump --direct`` to shop 2.0.0 from a checkout cloned before ``meanwhile`` was committed to the base."""
    from tests.support.git_fixtures import git

    remote = make_remote(git_remote_root, "config.git", FILES)
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    remote.commit("main", meanwhile, "someone else's change")
    proc = kubepush("bump", "--image", "ghcr.io/acme/shop:2.0.0", "--direct", "-o", "json", cwd=checkout,
                    env=env_with())
    assert proc.returncode == 0, proc.stderr
    return remote, proc


def test_checkout_behind_its_remote_is_rebuilt_on_the_new_base(git_remote_root: Path, tmp_path: Path) -> None:
    """A CI checkout older than the base: the edit is re-planned on the fresh tree, nothing is lost."""
    moved = DEPLOY.replace("  name: shop\n", "  name: shop\n  annotations: {team: payments}\n")
    remote, proc = bump_behind_the_base(git_remote_root, tmp_path, {"base/deploy.yaml": moved})
    text = remote.read("main", "base/deploy.yaml")
    assert "annotations: {team: payments}" in text and "image: ghcr.io/acme/shop:2.0.0  # pinned" in text
    assert json.loads(proc.stdout)["groups"][0]["updates"][0]["line"] == 15  # where it is on the new base


@pytest.mark.parametrize(("forge", "token_env", "git_user"), [
    ("gitlab", "GITLAB_TOKEN", "oauth2"),
    ("gitea", "GITEA_TOKEN", "kubepush-bot"),
])
def test_gitlab_and_gitea_merge_requests(forge: str, token_env: str, git_user: str, git_remote_root: Path,
                                         request: pytest.FixtureRequest) -> None:
    fake = request.getfixturevalue(f"fake_{forge}")
    remote = make_remote(git_remote_root, "octo/app.git", FILES)
    fake.branches = RemoteBranches(remote)
    server = GitHTTPServer(git_remote_root, user=git_user, token=fake.token).start()
    try:
        args = ("bump", "--repo", server.url(remote), "--forge", forge, "--forge-url", fake.url, "-o", "json",
                "--image", "ghcr.io/acme/shop:1.5.0", "--draft")
        if forge == "gitea":
            args += ("--git-username", git_user)
        first = kubepush(*args, env=env_with(**{token_env: fake.token}))
        assert first.returncode == 0, first.stderr
        again = kubepush(*args, env=env_with(**{token_env: fake.token}))
        assert again.returncode == 0, again.stderr
        one, two = json.loads(first.stdout), json.loads(again.stdout)
        assert one["prNumber"] == two["prNumber"] == 1
        assert two["groups"][0]["pullRequest"]["created"] is False
        assert fake.token not in first.stdout + first.stderr + again.stdout + again.stderr
        stored = (fake.mrs if forge == "gitlab" else fake.pulls)[1]
        assert stored["title"].startswith(("Draft: ", "WIP: ")) and "bump shop to 1.5.0" in stored["title"]
    finally:
        server.stop()


def test_registry_credentials_work_and_never_leak(git_remote_root: Path, htpasswd_registry) -> None:  # type: ignore[no-untyped-def]
    from tests.support.registry_fixtures import PASSWORD, USERNAME

    htpasswd_registry.pusher().image("acme/shop", "1.9.0")
    image = f"{htpasswd_registry.host}/acme/shop"
    files = {**FILES, "base/deploy.yaml": DEPLOY.replace("ghcr.io/acme/shop", image),
             "kubepush.yaml": f"bump:\n  policies:\n    - {{image: {image}, kind: semver, range: '^1'}}\n"}
    remote = make_remote(git_remote_root, "config.git", files)
    common = ("bump", "--from-registry", "--repo", remote.url, "--no-pr", "--insecure-registry",
              htpasswd_registry.host, "-o", "json")
    ok = kubepush(*common, "--registry-auth", f"{htpasswd_registry.host}={USERNAME}:{PASSWORD}", env=env_with(
        DOCKER_CONFIG=str(git_remote_root)))
    assert ok.returncode == 0, ok.stderr
    assert {u["new"] for u in json.loads(ok.stdout)["groups"][0]["updates"]} == {"1.9.0"}
    wrong = kubepush(*common, env=env_with(DOCKER_CONFIG=str(git_remote_root),
                                           KUBEPUSH_REGISTRY_AUTH=f"{htpasswd_registry.host}={USERNAME}:not-{PASSWORD}"))
    assert wrong.returncode == 1
    assert "credentials rejected" in wrong.stdout and PASSWORD not in wrong.stdout + wrong.stderr


def test_images_command_lists_what_bump_sees(tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    text = kubepush("images", cwd=tmp_path)
    assert text.returncode == 0
    assert "base/deploy.yaml:14:18  ghcr.io/acme/shop:1.4.1  [container]" in text.stdout
    assert "overlays/staging/kustomization.yaml" in text.stdout and "3 image references" in text.stdout
    data = json.loads(kubepush("images", "-o", "json", "--target", "base", cwd=tmp_path).stdout)
    assert sorted(i["image"] for i in data["images"]) == ["ghcr.io/acme/shop:1.4.1", "nginx:1.25.3"]
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: 'nginx::x'\n")
    bad = kubepush("images", "bad.yaml", cwd=tmp_path)
    assert bad.returncode == 1 and "invalid-image-reference" in bad.stdout
    (tmp_path / "latin1.yaml").write_bytes(b"kind: Pod\nspec:\n  containers:\n  - image: nginx:1.27 # caf\xe9\n")
    unreadable = kubepush("images", "latin1.yaml", cwd=tmp_path)
    assert unreadable.returncode == 1, unreadable.stdout
    assert "latin1.yaml:4:28: error: invalid UTF-8" in unreadable.stdout


def test_target_selection_follows_kustomize_bases_and_default_is_the_whole_repo(tmp_path: Path) -> None:
    files = {**FILES, "overlays/staging/kustomization.yaml": "resources:\n  - ../../base\n",
             "other/app.yaml": DEPLOY.replace("name: shop", "name: other")}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    whole = kubepush("bump", "--image", "ghcr.io/acme/shop:1.5.0", "--dry-run", "-o", "json", cwd=tmp_path)
    files_whole = sorted(u["file"] for u in json.loads(whole.stdout)["groups"][0]["updates"])
    assert files_whole == ["base/deploy.yaml", "other/app.yaml"]
    staging = kubepush("bump", "--image", "ghcr.io/acme/shop:1.5.0", "--dry-run", "-o", "json",
                       "--target", "staging", cwd=tmp_path)
    # the image is found in the base staging builds from; target "base" renders that file too, so the
    # tag goes into staging's own kustomization (tests/integration/cli/test_bump_targets.py has the details)
    assert [u["file"] for u in json.loads(staging.stdout)["groups"][0]["updates"]] == [
        "overlays/staging/kustomization.yaml"]
    assert "+images:\n+  - name: ghcr.io/acme/shop\n+    newTag: 1.5.0\n" in kubepush(
        "bump", "--image", "ghcr.io/acme/shop:1.5.0", "--dry-run", "--target", "staging", cwd=tmp_path).stdout


def test_a_file_the_moved_base_adds_is_bumped_too(git_remote_root: Path, tmp_path: Path) -> None:
    """The re-plan on a moved base searches the files the base changed since the checkout: one that
    now mentions the image (added meanwhile) is updated as well, the ones found before still are."""
    added = DEPLOY.replace("  name: shop\n", "  name: shop-canary\n")
    remote, proc = bump_behind_the_base(git_remote_root, tmp_path, {"canary/deploy.yaml": added})
    assert "image: ghcr.io/acme/shop:2.0.0" in remote.read("main", "canary/deploy.yaml")
    assert "image: ghcr.io/acme/shop:2.0.0" in remote.read("main", "base/deploy.yaml")
    files = {u["file"] for u in json.loads(proc.stdout)["groups"][0]["updates"]}
    assert {"base/deploy.yaml", "canary/deploy.yaml"} <= files


def test_a_digest_is_asked_for_once_however_many_sites_pin_it(tmp_path: Path, scripted_registry) -> None:  # type: ignore[no-untyped-def]
    from tests.support.registry_fixtures import Reply

    image = f"{scripted_registry.host}/acme/shop"
    digest = "sha256:" + "a" * 64
    scripted_registry.script("/v2/acme/shop/tags/list", Reply(200, {"name": "acme/shop", "tags": ["1.4.1", "1.5.0"]}))
    scripted_registry.script("/v2/acme/shop/manifests/1.5.0", Reply(200, b"", {"Docker-Content-Digest": digest}))
    files = {**FILES, "base/deploy.yaml": DEPLOY.replace("ghcr.io/acme/shop", image),
             "overlays/staging/kustomization.yaml": KUSTOMIZATION.replace("ghcr.io/acme/shop", image),
             "kubepush.yaml": CONFIG + f"bump:\n  policies:\n    - image: {image}\n      kind: semver\n"
                                       "      range: '^1.4'\n      pinDigest: true\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    proc = kubepush("bump", "--from-registry", "--dry-run", "--insecure-registry", scripted_registry.host, "-o",
                    "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    updates = json.loads(proc.stdout)["groups"][0]["updates"]
    assert len(updates) == 2 and {u["new"] for u in updates} == {f"1.5.0@{digest}"}  # the workload and the overlay
    assert len(scripted_registry.requests_to("/v2/acme/shop/manifests/1.5.0")) == 1
