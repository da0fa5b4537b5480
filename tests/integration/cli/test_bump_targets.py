"""A bump scoped to a target changes only what that target renders (issue 9, item 3).

The config repository is the shape teams really have: one kustomize base used by two
overlays. Every scenario renders both overlays with the real ``kubectl kustomize``
before and after the bump: the chosen target's render has the new image, the other
target's render is byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.git_fixtures import git, make_remote
from tests.support.kubepush_cli import assert_no_traceback, kubepush

pytest_plugins = ["tests.support.git_fixtures", "tests.support.registry_fixtures"]

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (kubectl kustomize)")

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0.0  # set by the app pipeline
        - name: proxy
          image: nginx:1.25.3
"""
BASE = "resources:\n  - deployment.yaml\n"
STAGING = "# staging: one replica, its own prefix\nresources:\n  - ../../base\nnamePrefix: staging-\n"
PRODUCTION = "resources:\n  - ../../base\nnamePrefix: prod-\n"
CONFIG = """\
targets:
  - name: staging
    path: overlays/staging
  - name: production
    path: overlays/production
"""
FILES = {
    "kubepush.yaml": CONFIG,
    "base/deployment.yaml": DEPLOYMENT,
    "base/kustomization.yaml": BASE,
    "overlays/staging/kustomization.yaml": STAGING,
    "overlays/production/kustomization.yaml": PRODUCTION,
}
DIGEST = "sha256:" + "ab" * 32


def env_clean() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "GIT_", "CI_"))}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def render(root: Path, overlay: str) -> str:
    proc = subprocess.run(["kubectl", "kustomize", str(root / overlay)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def images_in(rendered: str) -> list[str]:
    return [line.split("image:", 1)[1].strip() for line in rendered.splitlines() if "image:" in line]


def tree_of(remote, branch: str, files: dict[str, str], into: Path) -> Path:  # type: ignore[no-untyped-def]
    """The files of ``branch`` on the remote, checked out into ``into`` (to render them)."""
    return write_tree(into, {name: remote.read(branch, name) for name in files})


def bump_in(mode: str, remote, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """``kubepush bump`` in a CI checkout of the remote, or cloning it with ``--repo``."""
    if mode == "repo":
        return kubepush("bump", "--repo", remote.url, *args, env=env_clean())
    checkout = tmp_path / "checkout"
    git("clone", "--quiet", remote.url, str(checkout))
    return kubepush("bump", *args, cwd=checkout, env=env_clean())


@needs_kubectl
@pytest.mark.parametrize("mode", ["checkout", "repo"])
def test_bump_for_staging_sets_the_tag_in_its_overlay_and_production_renders_the_same(
        mode: str, git_remote_root: Path, tmp_path: Path) -> None:
    remote = make_remote(git_remote_root, "config.git", FILES)
    before = tree_of(remote, "main", FILES, tmp_path / "before")
    production = render(before, "overlays/production")
    proc = bump_in(mode, remote, tmp_path, "-t", "staging", "--image", "ghcr.io/acme/web:1.1.0", "--direct",
                   "-o", "json")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    after = tree_of(remote, "main", FILES, tmp_path / "after")
    assert (after / "base/deployment.yaml").read_text() == DEPLOYMENT  # the shared base is not touched
    assert render(after, "overlays/production") == production  # byte-identical
    assert "ghcr.io/acme/web:1.1.0" in images_in(render(after, "overlays/staging"))
    # the overlay only gained an images: entry; its comment and layout are kept
    assert (after / "overlays/staging/kustomization.yaml").read_text() == (
        STAGING + "images:\n  - name: ghcr.io/acme/web\n    newTag: 1.1.0\n")
    update = json.loads(proc.stdout)["groups"][0]["updates"][0]
    assert (update["file"], update["target"], update["old"], update["new"]) == (
        "overlays/staging/kustomization.yaml", "staging", "1.0.0", "1.1.0")


@needs_kubectl
def test_an_existing_overlay_entry_is_edited_and_the_base_is_left_alone(tmp_path: Path) -> None:
    staging = STAGING + "images:\n  - name: ghcr.io/acme/web\n    newTag: 1.0.0  # staging pin\n"
    root = write_tree(tmp_path, {**FILES, "overlays/staging/kustomization.yaml": staging})
    production = render(root, "overlays/production")
    proc = kubepush("bump", "-t", "staging", "--image", "ghcr.io/acme/web:1.2.0", "--dry-run", "-o", "json",
                    cwd=root)
    assert proc.returncode == 0, proc.stderr
    files = {u["file"] for g in json.loads(proc.stdout)["groups"] for u in g["updates"]}
    assert files == {"overlays/staging/kustomization.yaml"}
    _commit_and_bump(root, tmp_path, "-t", "staging", "--image", "ghcr.io/acme/web:1.2.0")
    assert (root / "base/deployment.yaml").read_text() == DEPLOYMENT
    assert (root / "overlays/staging/kustomization.yaml").read_text() == staging.replace("1.0.0 ", "1.2.0 ")
    assert render(root, "overlays/production") == production
    assert "ghcr.io/acme/web:1.2.0" in images_in(render(root, "overlays/staging"))


@needs_kubectl
@pytest.mark.parametrize(("name", "files", "image", "staging_image"), [
    ("overlay renames the image (newName, no tag)",
     {"overlays/staging/kustomization.yaml":
      STAGING + "images:\n  - name: ghcr.io/acme/web\n    newName: mirror.example/acme/web\n"},
     "ghcr.io/acme/web:1.1.0", "mirror.example/acme/web:1.1.0"),
    ("base renames a placeholder (newName in the shared base)",
     {"base/deployment.yaml": DEPLOYMENT.replace("ghcr.io/acme/web:1.0.0", "web"),
      "base/kustomization.yaml": BASE + "images:\n  - name: web\n    newName: ghcr.io/acme/web\n    newTag: 1.0.0\n"},
     "ghcr.io/acme/web:1.1.0", "ghcr.io/acme/web:1.1.0"),
    ("tag and digest", {}, f"ghcr.io/acme/web:1.1.0@{DIGEST}", f"ghcr.io/acme/web:1.1.0@{DIGEST}"),
    ("digest only keeps the tag", {}, f"ghcr.io/acme/web@{DIGEST}", f"ghcr.io/acme/web:1.0.0@{DIGEST}"),
    ("nginx from docker hub, named as written", {}, "docker.io/library/nginx:1.27.0", "nginx:1.27.0"),
])
def test_overlay_entries_follow_how_kustomize_matches_names(name: str, files: dict[str, str], image: str,
                                                             staging_image: str, tmp_path: Path) -> None:
    root = write_tree(tmp_path, {**FILES, **files})
    staging_before = set(images_in(render(root, "overlays/staging")))
    production = render(root, "overlays/production")
    base = {n: (root / n).read_text() for n in ("base/deployment.yaml", "base/kustomization.yaml")}
    _commit_and_bump(root, tmp_path, "-t", "staging", "--image", image)
    assert {n: (root / n).read_text() for n in base} == base
    assert render(root, "overlays/production") == production
    staging_after = set(images_in(render(root, "overlays/staging")))
    assert staging_image in staging_after
    assert len(staging_after - staging_before) == 1  # only that image moved


def _commit_and_bump(root: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Make ``root`` a checkout with an origin, bump there with --direct, and take the result."""
    if not (root / ".git").exists():
        git("init", "--quiet", "-b", "main", cwd=root)
        git("add", ".", cwd=root)
        git("commit", "--quiet", "-m", "config", cwd=root)
        git("init", "--quiet", "--bare", "-b", "main", str(tmp_path / "remote.git"))
        git("remote", "add", "origin", str(tmp_path / "remote.git"), cwd=root)
        git("push", "--quiet", "origin", "main", cwd=root)
    proc = kubepush("bump", *args, "--direct", "-o", "json", cwd=root, env=env_clean())
    assert proc.returncode == 0, proc.stderr + proc.stdout
    git("fetch", "--quiet", "origin", cwd=root)
    git("reset", "--quiet", "--hard", "origin/main", cwd=root)
    return proc


@needs_kubectl
def test_from_registry_with_a_digest_policy_writes_tag_and_digest_to_the_overlay(
        tmp_path: Path, anon_registry) -> None:  # type: ignore[no-untyped-def]
    pusher = anon_registry.pusher()
    pusher.image("acme/web", "1.0.0")
    digest = pusher.image("acme/web", "1.3.0")
    image = f"{anon_registry.host}/acme/web"
    policy = f"bump:\n  policies:\n    - image: {image}\n      kind: semver\n      range: '^1'\n      pinDigest: true\n"
    root = write_tree(tmp_path / "repo", {**FILES, "kubepush.yaml": CONFIG + policy,
                                          "base/deployment.yaml": DEPLOYMENT.replace("ghcr.io/acme/web", image)})
    production = render(root, "overlays/production")
    proc = _commit_and_bump(root, tmp_path, "-t", "staging", "--from-registry", "--insecure-registry",
                            anon_registry.host)
    update = json.loads(proc.stdout)["groups"][0]["updates"][0]
    assert update["new"] == f"1.3.0@{digest}" and update["file"] == "overlays/staging/kustomization.yaml"
    assert render(root, "overlays/production") == production
    assert f"{image}:1.3.0@{digest}" in images_in(render(root, "overlays/staging"))
    assert f"  - name: {image}\n    newTag: 1.3.0\n    digest: {digest}\n" in (
        root / "overlays/staging/kustomization.yaml").read_text()


@pytest.mark.parametrize(("name", "files", "others"), [
    ("two targets on one plain directory",
     {"kubepush.yaml": "targets:\n  - {name: staging, path: apps}\n  - {name: production, path: apps}\n"
                       "  - {name: qa, path: qa}\n",
      "apps/deployment.yaml": DEPLOYMENT, "qa/deployment.yaml": DEPLOYMENT},
     "production"),
    ("a Helm chart whose values file both targets use",
     {"kubepush.yaml": "targets:\n  - {name: staging, path: chart}\n  - {name: production, path: chart}\n",
      "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
      "chart/values.yaml": "image:\n  repository: ghcr.io/acme/web\n  tag: 1.0.0\n"},
     "production"),
    ("the staging overlay is itself the base of production",
     {"overlays/production/kustomization.yaml": "resources:\n  - ../staging\n"},
     "production"),
])
def test_a_file_other_targets_render_is_refused_and_named(name: str, files: dict[str, str], others: str,
                                                          tmp_path: Path) -> None:
    root = write_tree(tmp_path, {**FILES, **files})
    snapshot = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    proc = kubepush("bump", "-t", "staging", "--image", "ghcr.io/acme/web:1.1.0", "--dry-run", cwd=root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert_no_traceback(proc)
    refusal = next(line for line in proc.stdout.splitlines() if "[bump-shared-file]" in line)
    assert f"target {others}" in refusal and "staging" in refusal
    assert "->" not in proc.stdout  # nothing planned
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == snapshot


def test_images_for_a_target_lists_what_bump_would_edit(tmp_path: Path) -> None:
    root = write_tree(tmp_path, FILES)
    proc = kubepush("images", "-t", "staging", cwd=root)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    web = next(line for line in lines if "ghcr.io/acme/web:1.0.0" in line)
    assert web.startswith("base/deployment.yaml:14:18")
    assert "overlays/staging/kustomization.yaml" in web and "production" in web
    assert lines[-1] == "2 image references in 3 files"  # what staging renders: the base and its overlay
    data = json.loads(kubepush("images", "-t", "staging", "-o", "json", cwd=root).stdout)
    writes = {i["image"]: i["bump"] for i in data["images"]}
    assert [(w["target"], w["how"], w["file"], w["sharedWith"]) for w in writes["ghcr.io/acme/web:1.0.0"]] == [
        ("staging", "new-overlay-entry", "overlays/staging/kustomization.yaml", ["production"])]
    bumped = json.loads(kubepush("bump", "-t", "staging", "--image", "ghcr.io/acme/web:1.1.0", "--dry-run",
                                 "-o", "json", cwd=root).stdout)["groups"][0]["updates"]
    assert [(u["file"], u["line"]) for u in bumped] == [(w["file"], w["line"])
                                                         for w in writes["ghcr.io/acme/web:1.0.0"]]
    refused = write_tree(tmp_path / "plain", {
        "kubepush.yaml": "targets:\n  - {name: staging, path: apps}\n  - {name: production, path: apps}\n",
        "apps/deployment.yaml": DEPLOYMENT})
    plain = kubepush("images", "-t", "staging", cwd=refused)
    assert plain.returncode == 0, plain.stdout  # a warning: only a bump of that image is refused
    assert "warning:" in plain.stdout and "target production" in plain.stdout


def test_target_placeholder_without_t_is_not_one_targets_name(tmp_path: Path) -> None:
    staging = STAGING + "images:\n  - name: ghcr.io/acme/web\n    newTag: 1.0.0\n"
    root = write_tree(tmp_path, {**FILES, "overlays/staging/kustomization.yaml": staging})
    proc = kubepush("bump", "--image", "ghcr.io/acme/web:1.1.0", "--dry-run", "-o", "json",
                    "--title", "deploy {image} to {target}", cwd=root)
    assert proc.returncode == 0, proc.stderr
    group = json.loads(proc.stdout)["groups"][0]
    assert group["branch"] == "kubepush/all/web"  # the base change reaches staging and production
    only_staging = kubepush("bump", "-t", "staging", "--image", "ghcr.io/acme/web:1.1.0", "--dry-run", "-o", "json",
                            cwd=root)
    assert json.loads(only_staging.stdout)["groups"][0]["branch"] == "kubepush/staging/web"


def test_overlays_that_cannot_take_an_entry_are_refused_and_nothing_changes(tmp_path: Path) -> None:
    other = DEPLOYMENT.replace("name: web\nspec", "name: old\nspec").replace("web:1.0.0", "web:0.9.0")
    cases = {
        "flow-style overlay": ({"overlays/staging/kustomization.yaml": "{resources: [../../base]}\n"},
                               "ghcr.io/acme/web:1.1.0", "cannot be added: overlays/staging/kustomization.yaml: not a block-style"),
        "two tags in the base, one digest": ({"base/old.yaml": other,
                                              "base/kustomization.yaml": "resources: [deployment.yaml, old.yaml]\n"},
                                             f"ghcr.io/acme/web@{DIGEST}", "would need two values"),
    }
    for name, (files, image, message) in cases.items():
        root = write_tree(tmp_path / name.replace(" ", "-"), {**FILES, **files})
        snapshot = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
        proc = kubepush("bump", "-t", "staging", "--image", image, "--dry-run", cwd=root)
        assert proc.returncode == 1 and message in proc.stdout and "[bump-shared-file]" in proc.stdout, (
            name, proc.stdout + proc.stderr)
        assert_no_traceback(proc)
        assert "->" not in proc.stdout, name
        assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == snapshot, name


def test_a_checkout_given_from_another_directory_finds_its_targets(tmp_path: Path) -> None:
    write_tree(tmp_path / "config", FILES)
    proc = kubepush("bump", "--checkout", "config", "-t", "staging", "--image", "ghcr.io/acme/web:1.1.0",
                    "--dry-run", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [u["file"] for u in json.loads(proc.stdout)["groups"][0]["updates"]] == [
        "overlays/staging/kustomization.yaml"]


@needs_kubectl
def test_a_base_only_chosen_targets_share_is_edited_in_place_else_each_overlay_is(tmp_path: Path) -> None:
    two = write_tree(tmp_path / "two", FILES)
    proc = kubepush("bump", "-t", "staging", "-t", "production", "--image", "ghcr.io/acme/web:1.1.0", "--dry-run",
                    "-o", "json", cwd=two)
    assert [u["file"] for u in json.loads(proc.stdout)["groups"][0]["updates"]] == ["base/deployment.yaml"]

    three = write_tree(tmp_path / "three", {
        **FILES, "kubepush.yaml": CONFIG + "  - name: qa\n    path: overlays/qa\n",
        "overlays/qa/kustomization.yaml": "resources:\n  - ../../base\nnamePrefix: qa-\n"})
    qa = render(three, "overlays/qa")
    proc = _commit_and_bump(three, tmp_path, "-t", "staging", "-t", "production", "--image", "ghcr.io/acme/web:1.1.0")
    group = json.loads(proc.stdout)["groups"][0]
    assert group["branch"] == "kubepush/all/web"
    assert sorted((u["file"], u["target"]) for u in group["updates"]) == [
        ("overlays/production/kustomization.yaml", "production"), ("overlays/staging/kustomization.yaml", "staging")]
    assert render(three, "overlays/qa") == qa
    for overlay in ("overlays/staging", "overlays/production"):
        assert "ghcr.io/acme/web:1.1.0" in images_in(render(three, overlay))
