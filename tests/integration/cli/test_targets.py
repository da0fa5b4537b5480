"""``kubepush targets``: which targets a change affects, through kustomize bases and components."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.kubepush_cli import assert_no_traceback, kubepush

CONFIG = """apiVersion: kubepush.dev/v1
kind: Config
targets:
  - {name: staging, path: overlays/staging}
  - {name: production, path: overlays/production}
  - {name: tools, path: tools}
"""
KUSTOMIZE = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
FILES = {
    "kubepush.yaml": CONFIG,
    "README.md": "docs\n",
    "base/kustomization.yaml": KUSTOMIZE + "resources: [deploy.yaml, ../shared/nested]\n",
    "base/deploy.yaml": "kind: Deployment\n",
    "shared/nested/kustomization.yaml": KUSTOMIZE + "resources: [cm.yaml]\n",
    "shared/nested/cm.yaml": "kind: ConfigMap\n",
    "shared/ns.yaml": "kind: Namespace\n",
    "components/tls/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                         "resources: [../../components/tls]\n",  # refers to itself: a cycle
    "overlays/staging/kustomization.yaml": KUSTOMIZE + "resources: [../../base]\n",
    "overlays/production/kustomization.yaml": KUSTOMIZE + "resources:\n  - ../../base\n  - ../../shared/ns.yaml\n"
                                              "  - https://github.com/acme/x//deploy?ref=v1\n"
                                              "components: [../../components/tls]\n",
    "tools/kustomization.yaml": KUSTOMIZE + "resources: [github.com/acme/tools//base?ref=v2]\n",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One commit on main; one branch per change the tests look at."""
    root = tmp_path_factory.mktemp("config-repo")
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "empty")
    git(root, "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "init")
    for branch, file in CHANGES.items():
        git(root, "checkout", "-q", "-b", branch, "main")
        if file.startswith("-"):
            git(root, "rm", "-q", file[1:])
        else:
            (root / file).write_text((root / file).read_text() + "# changed\n")
            git(root, "add", file)
        git(root, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", f"change {file}")
    git(root, "checkout", "-q", "main")
    return root


CHANGES = {
    "base": "base/deploy.yaml",
    "nested": "shared/nested/cm.yaml",
    "file-resource": "shared/ns.yaml",
    "component": "components/tls/kustomization.yaml",
    "overlay": "overlays/staging/kustomization.yaml",
    "deleted": "-tools/kustomization.yaml",
    "config": "kubepush.yaml",
    "docs": "README.md",
}


def run_at(repo: Path, branch: str, *args: str):
    git(repo, "checkout", "-q", branch)
    try:
        proc = kubepush("targets", "--changed-since", "main", *args, cwd=repo)
    finally:
        git(repo, "checkout", "-q", "main")
    assert_no_traceback(proc)
    return proc


@pytest.mark.parametrize(("branch", "expected"), [
    ("base", ["staging", "production"]),
    ("nested", ["staging", "production"]),
    ("file-resource", ["production"]),
    ("component", ["production"]),
    ("overlay", ["staging"]),
    ("deleted", ["tools"]),
    ("config", ["staging", "production", "tools"]),
    ("docs", []),
])
def test_changed_files_select_targets_through_bases_and_components(repo, branch, expected):
    proc = run_at(repo, branch, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert [t["target"] for t in listed] == expected
    for t in listed:
        assert t["reasons"] and all(r.endswith(" changed") for r in t["reasons"])
        assert t["path"] == {"staging": "overlays/staging", "production": "overlays/production",
                             "tools": "tools"}[t["target"]]


def test_github_matrix_and_gitlab_child_pipeline(repo):
    proc = run_at(repo, "base", "--format", "github-matrix")
    assert proc.stdout.count("\n") == 1, "one line, for $GITHUB_OUTPUT"
    assert json.loads(proc.stdout) == {"include": [{"target": "staging", "path": "overlays/staging", "wave": 0},
                                                   {"target": "production", "path": "overlays/production",
                                                    "wave": 0}]}
    proc = run_at(repo, "component", "--format", "gitlab", "--gitlab-include", "ci/kubepush.yml")
    pipeline = yaml.safe_load(proc.stdout)
    assert pipeline["include"] == [{"local": "ci/kubepush.yml"}]
    assert pipeline["kubepush"]["extends"] == ".kubepush"
    assert pipeline["kubepush"]["parallel"]["matrix"] == [{"KUBEPUSH_TARGET": "production",
                                                           "KUBEPUSH_PATH": "overlays/production"}]


def test_nothing_affected_still_gives_valid_documents(repo):
    proc = run_at(repo, "docs", "--format", "github-matrix")
    assert json.loads(proc.stdout) == {"include": []}
    # GitHub refuses an empty matrix: the job must be skipped, and the log says how
    assert "no target affected" in proc.stderr and "count" in proc.stderr and "if:" in proc.stderr
    pipeline = yaml.safe_load(run_at(repo, "docs", "--format", "gitlab").stdout)
    assert list(pipeline) == ["kubepush-nothing-to-do"] and pipeline["kubepush-nothing-to-do"]["script"]
    assert run_at(repo, "docs").stdout == "no target affected\n"


def test_without_changed_since_every_target_is_listed(repo):
    proc = kubepush("targets", cwd=repo)
    assert proc.returncode == 0
    assert [line.split()[0] for line in proc.stdout.splitlines()] == ["staging", "production", "tools"]


@pytest.mark.parametrize(("args", "message"), [
    (("--changed-since", "no-such-ref"), "no-such-ref"),
    (("--config", "missing.yaml"), "config file not found"),
    (("--format", "yaml"), "invalid choice"),
])
def test_bad_input_exits_2(repo, args, message):
    proc = kubepush("targets", *args, cwd=repo)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert_no_traceback(proc)


def test_a_ref_that_does_not_exist_says_so(repo):
    """It used to blame tokens and private repositories, for a local ref that is not there."""
    proc = kubepush("targets", "--changed-since", "no-such-ref", cwd=repo)
    assert proc.returncode == 2, proc.stderr
    assert "no-such-ref: no commit, branch or tag of that name in this checkout" in proc.stderr
    assert "token" not in proc.stderr and "private" not in proc.stderr
    assert_no_traceback(proc)


def test_no_config_file_is_a_usage_error(tmp_path):
    proc = kubepush("targets", cwd=tmp_path)
    assert proc.returncode == 2 and "no kubepush.yaml" in proc.stderr


ORDERED = """targets:
  - {name: app, path: app, dependsOn: [infra, crds]}
  - {name: infra, path: infra, dependsOn: [crds]}
  - {name: crds, path: crds}
  - {name: tools, path: tools}
"""


def test_dependency_waves_for_ci(tmp_path):
    (tmp_path / "kubepush.yaml").write_text(ORDERED)
    proc = kubepush("targets", "--format", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {t["target"]: t["wave"] for t in json.loads(proc.stdout)} == {"crds": 0, "tools": 0, "infra": 1,
                                                                          "app": 2}
    matrix = json.loads(kubepush("targets", "--format", "github-matrix", "--wave", "1", cwd=tmp_path).stdout)
    assert matrix == {"include": [{"target": "infra", "path": "infra", "wave": 1}]}
    assert kubepush("targets", "--wave", "3", "--format", "github-matrix", cwd=tmp_path).stdout.strip() == \
        '{"include":[]}'
    pipeline = yaml.safe_load(kubepush("targets", "--format", "gitlab", cwd=tmp_path).stdout)
    assert pipeline["stages"] == ["wave-0", "wave-1", "wave-2"]
    assert pipeline["kubepush-wave-2"]["stage"] == "wave-2"
    assert pipeline["kubepush-wave-0"]["parallel"]["matrix"] == [
        {"KUBEPUSH_TARGET": "crds", "KUBEPUSH_PATH": "crds"}, {"KUBEPUSH_TARGET": "tools", "KUBEPUSH_PATH": "tools"}]
    text = kubepush("targets", cwd=tmp_path).stdout
    assert "app    wave 2  app" in text


@pytest.mark.parametrize(("targets", "line", "message"), [
    ("  - {name: app, path: app, dependsOn: [infra]}\n", 3, 'app depends on "infra": no target is named so'),
    ("  - {name: app, path: app, dependsOn: [app]}\n", 3, "a target cannot depend on itself"),
    ("  - name: a\n    path: a\n    dependsOn: [b]\n  - name: b\n    path: b\n    dependsOn:\n      - a\n", 5,
     "dependsOn forms a cycle: a -> b -> a"),
])
def test_bad_dependencies_are_config_errors_with_the_line(tmp_path, targets, line, message):
    (tmp_path / "kubepush.yaml").write_text("apiVersion: kubepush.dev/v1\ntargets:\n" + targets)
    proc = kubepush("targets", cwd=tmp_path)
    assert proc.returncode == 2
    assert f"kubepush.yaml:{line}:" in proc.stderr and message in proc.stderr, proc.stderr
    assert_no_traceback(proc)
