"""The GitHub Actions, executed: the workflows of examples/github run in ``act`` (host mode).

``kubepush/kubepush@v1`` resolves to a clean copy of this repository (``--local-repository``);
the third-party actions act cannot fetch offline are contract-keeping stubs from
tests/support/data/github-stubs. The forge is the fake GitHub (``GITHUB_API_URL``), the clusters
the fake apiserver, the config repository of bump a real git server. Each example is run
unchanged except for one probe step appended to every job, which records the job's
``steps`` context (outputs, outcomes) - that is what the assertions read, together with
act's log (annotations, step summary) and exit status.

The venv the actions build is cached through the actions/cache stub in one store per test
run: the first act run installs kubepush (and proves the miss path), every later run
restores it (the hit path) in a few seconds.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.git_fixtures import GitHTTPServer, make_remote

pytest_plugins = ["tests.support.git_fixtures"]

ROOT = Path(__file__).resolve().parents[3]
STUBS = ROOT / "tests" / "support" / "data" / "github-stubs"
EXAMPLES = ROOT / "examples" / "github"
#: what the actions need from this repository (a published action is a checkout of it)
SHIPPED = ("action.yml", "actions", "pyproject.toml", "README.md", "src")


KUSTOMIZE = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
CONFIG = """apiVersion: kubepush.dev/v1
kind: Config
targets:
  - {name: staging, path: overlays/staging, context: fakekube}
  - {name: production, path: overlays/production, context: fakekube}
"""
CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  namespace: default
data:
  level: info
"""
SECRET_V1 = "s3cret-one-9f2c"
SECRET_V2 = "s3cret-two-7d1e"
SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: default
stringData:
  password: {password}
"""
CONFIG_REPO = {
    "kubepush.yaml": CONFIG,
    "base/kustomization.yaml": KUSTOMIZE + "resources: [config.yaml, secret.yaml]\n",
    "base/config.yaml": CONFIGMAP,
    "base/secret.yaml": SECRET.format(password=SECRET_V1),
    "overlays/staging/kustomization.yaml": KUSTOMIZE + "namePrefix: staging-\nresources: [../../base]\n",
    "overlays/production/kustomization.yaml": KUSTOMIZE + "namePrefix: production-\nresources: [../../base]\n",
}


# -- the harness -------------------------------------------------------------------------

def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=dev", "-c", "user.email=dev@example.com", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout.strip()


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


@dataclass
class Run:
    code: int
    log: str
    jobs: dict[str, dict[str, Any]]  # "<job>" or "<job>-<target>" -> {"steps": ..., "matrix": ...}

    def outputs(self, job: str, step: str) -> dict[str, str]:
        return self.jobs[job]["steps"][step]["outputs"]

    def outcome(self, job: str, step: str) -> str:
        return self.jobs[job]["steps"][step]["outcome"]


PROBE = {
    "name": "probe",
    "if": "always()",
    "env": {"STEPS": "${{ toJSON(steps) }}", "MATRIX": "${{ toJSON(matrix) }}"},
    "run": 'python3 -c \'import json, os; m = json.loads(os.environ["MATRIX"] or "null") or {}; '
           'name = os.environ["GITHUB_JOB"] + ("-" + m["target"] if "target" in m else ""); '
           'open(os.path.join(os.environ["ACT_PROBE_DIR"], name + ".json"), "w").write('
           'json.dumps({"steps": json.loads(os.environ["STEPS"]), "matrix": m}))\'',
}


def install_workflow(workspace: Path, source: Path | str, name: str) -> Path:
    """``source`` (an example, or workflow text) with the probe step appended to every job."""
    text = source.read_text() if isinstance(source, Path) else source
    workflow = yaml.safe_load(text)
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key on as true
    for job in workflow["jobs"].values():
        job["steps"].append(PROBE)
    path = workspace / ".github" / "workflows" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(workflow, sort_keys=False))
    return path


@dataclass
class Act:
    """Runs act for one test: its own act cache, probe and upload directories; the shared venv cache."""

    clean_copy: Path
    store: Path
    home: Path

    def __call__(self, workspace: Path, workflow: Path, event_name: str, event: dict[str, Any], *,
                 secrets: dict[str, str] | None = None, variables: dict[str, str] | None = None,
                 env: dict[str, str] | None = None) -> Run:
        probes = self.home / f"probe-{workflow.stem}-{len(list(self.home.iterdir()))}"
        probes.mkdir()
        event_file = probes / "event.json"
        event_file.write_text(json.dumps(event))
        cmd = ["act", event_name, "-W", str(workflow), "-e", str(event_file), "-P", "ubuntu-latest=-self-hosted",
               "--action-cache-path", str(self.home / "act"), "--action-offline-mode", "--no-cache-server",
               "--local-repository", f"kubepush/kubepush@v1={self.clean_copy}",
               "--local-repository", f"actions/cache@v4={STUBS / 'cache'}",
               "--local-repository", f"github/codeql-action@v3={STUBS / 'codeql-action'}",
               "--local-repository", f"actions/upload-artifact@v4={STUBS / 'upload-artifact'}"]
        for key, value in {"ACT_STUB_CACHE_DIR": str(self.store), "ACT_PROBE_DIR": str(probes),
                           "ACT_STUB_UPLOADS": str(self.home / "uploads.txt"), **(env or {})}.items():
            cmd += ["--env", f"{key}={value}"]
        for key, value in (secrets or {}).items():
            cmd += ["-s", f"{key}={value}"]
        for key, value in (variables or {}).items():
            cmd += ["--var", f"{key}={value}"]
        outer = {k: v for k, v in os.environ.items()
                 if not k.startswith(("GITHUB_", "RUNNER_", "ACTIONS_", "CI_", "GITLAB_", "KUBECONFIG"))}
        proc = subprocess.run(cmd, cwd=workspace, capture_output=True, text=True, timeout=600, env=outer, check=False)
        (probes / "act.log").write_text(proc.stdout + proc.stderr)  # kept in tmp_path for a failing test
        jobs = {p.stem: json.loads(p.read_text()) for p in probes.glob("*.json") if p.name != "event.json"}
        return Run(proc.returncode, proc.stdout + proc.stderr, jobs)

    def uploads(self) -> list[str]:
        path = self.home / "uploads.txt"
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture(scope="session")
def clean_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as GitHub would check the action out: shipped files only, no caches."""
    dest = tmp_path_factory.mktemp("kubepush-action")
    for name in SHIPPED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def _scratch_parent() -> str | None:
    """A roomy tmpfs when there is one: the venv is some 300 MB of small files, which a CI disk
    writes in a minute and a tmpfs in seconds; restores are hard links, so one filesystem."""
    try:
        stat = os.statvfs("/dev/shm")
    except OSError:
        return None
    roomy = stat.f_bavail * stat.f_frsize >= 2 << 30 and os.access("/dev/shm", os.W_OK | os.X_OK)
    return "/dev/shm" if roomy else None


@pytest.fixture(scope="session")
def scratch() -> Iterator[Path]:
    """This worker's act homes and actions/cache store, removed at the end of the session."""
    path = Path(tempfile.mkdtemp(prefix="kubepush-act-", dir=_scratch_parent()))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def venv_store(scratch: Path, clean_copy: Path) -> tuple[Path, Run]:
    """The actions/cache store of this worker, warmed by one real act run.

    The warm-up workflow installs kubepush (cache miss) and saves the venv; its Run is
    kept for the test that checks that path. Every later run restores it.
    """
    store, home = scratch / "cache", scratch / "warm-up"
    home.mkdir()
    workspace = home / "ws"
    workspace.mkdir()
    write_files(workspace, CONFIG_REPO)
    git(workspace, "init", "-q", "-b", "main")
    git(workspace, "add", ".")
    git(workspace, "commit", "-q", "-m", "init")
    act = Act(clean_copy, store, home)
    return store, act(workspace, install_workflow(workspace, WARM_UP, "warm-up.yml"), "push", {},
                      variables={"PLAIN_TOKEN": PLAIN_TOKEN})


#: a token that reaches the action as a plain variable, not a secret: only the action's mask hides it
PLAIN_TOKEN = "ghp_plainVariableToken4242"


WARM_UP = """
on: push
jobs:
  twice:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: first
        uses: kubepush/kubepush@v1
        with:
          command: validate
          token: ${{ vars.PLAIN_TOKEN }}
      - id: leak
        env:
          T: ${{ vars.PLAIN_TOKEN }}
        run: echo "the token is $T"
      - id: again
        uses: kubepush/kubepush/actions/validate@v1
        with:
          target: staging
          annotations: false
"""


@pytest.fixture
def act(venv_store: tuple[Path, Run], clean_copy: Path, scratch: Path, tmp_path: Path) -> Iterator[Act]:
    home = Path(tempfile.mkdtemp(prefix="test-", dir=scratch))
    yield Act(clean_copy, venv_store[0], home)
    for log in home.glob("probe-*/act.log"):  # kept for a failing test; the rest (a venv) is not
        shutil.copy(log, tmp_path / f"{log.parent.name}.log")
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def config_repo(tmp_path: Path) -> Path:
    """The config repository checkout the workflows run in (origin: github.com/octo/app)."""
    ws = tmp_path / "config"
    ws.mkdir()
    write_files(ws, CONFIG_REPO)
    git(ws, "init", "-q", "-b", "main")
    git(ws, "remote", "add", "origin", "https://github.com/octo/app.git")
    git(ws, "add", ".")
    git(ws, "commit", "-q", "-m", "init")
    return ws


def commit(ws: Path, files: dict[str, str], message: str) -> str:
    write_files(ws, files)
    git(ws, "add", ".")
    git(ws, "commit", "-q", "-m", message)
    return git(ws, "rev-parse", "HEAD")


def pull_request_event(fake_github, ws: Path, base: str, head: str) -> dict[str, Any]:
    fake_github.branches.add(head)
    pr = fake_github.pulls.get(1)
    if pr is None:
        from tests.support.fakeforge.rig import make_client

        pr_number = make_client("github", fake_github).create(head, "main", "change", "").number
    else:
        pr_number = pr["number"]
    return {"number": pr_number, "pull_request": {"number": pr_number, "head": {"ref": head, "sha": git(ws, "rev-parse", "HEAD")},
                                                  "base": {"ref": "main", "sha": base}}}


class LiveBranches:
    """The fake forge's branches, read from the git server's repository (as GitHub would)."""

    def __init__(self, remote: Any) -> None:
        self.remote = remote

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.remote.sha(name) is not None

    def add(self, name: str) -> None:
        raise AssertionError("branches come from the git remote here")


def bot_comments(fake_github, number: int) -> list[str]:
    return [c["body"] for c in sorted(fake_github.issue_comments.values(), key=lambda c: c["id"])
            if c["issue"] == number and c["user"] == fake_github.bot]


# -- the tests ---------------------------------------------------------------------------

def test_first_run_installs_into_a_cached_venv_and_a_second_use_reuses_it(venv_store):
    _, run = venv_store
    assert run.code == 0, run.log[-4000:]
    steps = run.jobs["twice"]["steps"]
    assert "Installing kubepush from" in run.log and "Cache saved with key: kubepush-venv-" in run.log
    assert run.log.count("Installing kubepush from") == 1, "the second action in the job reuses the venv"
    for step in ("first", "again"):
        assert steps[step]["outcome"] == "success"
        assert steps[step]["outputs"]["exit-code"] == "0" and steps[step]["outputs"]["findings"] == "0"
    assert Path(steps["again"]["outputs"]["report-path"]).name == "kubepush-validate.json"
    assert "the token is ***" in run.log and PLAIN_TOKEN not in run.log, "the action masks its token input"


def test_validate_on_a_pull_request_annotates_uploads_sarif_summarises_comments_and_fails(
        act, config_repo, fake_github):
    base = git(config_repo, "rev-parse", "HEAD")
    git(config_repo, "checkout", "-q", "-b", "typo")
    broken = CONFIGMAP.replace("data:\n  level: info\n", "data:\n  level: info\nspec:\n  replicas: 3\n")
    commit(config_repo, {"base/config.yaml": broken}, "typo")
    event = pull_request_event(fake_github, config_repo, base, "typo")
    workflow = install_workflow(config_repo, EXAMPLES / "validate.yml", "validate.yml")
    run = act(config_repo, workflow, "pull_request", event, secrets={"GITHUB_TOKEN": fake_github.token},
              env={"GITHUB_API_URL": fake_github.url})

    assert run.code != 0, "findings fail the job"
    assert "Cache restored from key: kubepush-venv-" in run.log and "Installing kubepush" not in run.log
    out = run.outputs("validate", "kubepush")
    assert run.outcome("validate", "kubepush") == "failure"
    # two targets render the same base file: its error is counted once, naming both targets
    assert out["exit-code"] == "1" and out["errors"] == "1" and out["findings"] == "1"
    assert "in targets " in run.log
    # annotations on the file a human edits, with line and column
    assert "::error file=base/config.yaml,line=8,col=1,title=kubepush schema-unknown-field::" in run.log
    # SARIF handed to upload-sarif (the stub fails on a missing or non-SARIF file)
    assert run.outcome("validate", "sarif") == "success"
    assert act.uploads() == [f"kubepush {out['sarif-path']}"]
    # step summary
    assert "## ❌ kubepush validate failed" in run.log and "base/config.yaml:8:1" in run.log
    # the sticky comment on the pull request
    (body,) = bot_comments(fake_github, event["number"])
    assert "<!-- kubepush:target/all -->" in body and "kubepush validate failed" in body
    assert out["comment-url"] and fake_github.token not in run.log


def test_bump_from_an_application_pipeline_opens_the_pull_request(act, tmp_path, git_remote_root, fake_github):
    files = {**CONFIG_REPO, "overlays/staging/kustomization.yaml": KUSTOMIZE + "resources: [../../base, deploy.yaml]\n",
             "overlays/staging/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\n"
             "spec:\n  template:\n    spec:\n      containers:\n        - name: shop\n"
             "          image: ghcr.io/acme/shop:1.4.1\n"}
    remote = make_remote(git_remote_root, "octo/app.git", files)
    server = GitHTTPServer(git_remote_root, user="x-access-token", token=fake_github.token).start()
    try:
        fake_github.branches = LiveBranches(remote)
        app = tmp_path / "app"
        app.mkdir()
        (app / "Dockerfile").write_text("FROM scratch\n")
        git(app, "init", "-q", "-b", "main")
        git(app, "add", ".")
        git(app, "commit", "-q", "-m", "app")
        workflow = install_workflow(app, EXAMPLES / "bump.yml", "bump.yml")
        run = act(app, workflow, "workflow_dispatch", {"inputs": {"image": "ghcr.io/acme/shop:1.5.0"}},
                  secrets={"CONFIG_REPO_TOKEN": fake_github.token},
                  variables={"CONFIG_REPO_URL": server.url(remote), "CONFIG_REPO_FORGE": "github",
                             "CONFIG_REPO_API_URL": fake_github.url})
    finally:
        server.stop()
    assert run.code == 0, run.log[-5000:]
    out = run.outputs("bump", "bump")
    assert out["changed"] == "true" and out["pr-number"] == "1" and out["pr-url"].endswith("/pull/1")
    assert json.loads(out["branches"]) == ["kubepush/staging/shop"]
    assert run.outcome("bump", "report") == "success"
    assert "1.5.0" in remote.read("kubepush/staging/shop", "overlays/staging/deploy.yaml")
    assert fake_github.pulls[1]["state"] == "open"
    (body,) = bot_comments(fake_github, 1)
    assert "<!-- kubepush-section:bump -->" in body and "1.5.0" in body and out["comment-url"]
    assert "## kubepush bump" in run.log and "| ghcr.io/acme/shop | 1.4.1 | 1.5.0 |" in run.log
    assert fake_github.token not in run.log


def test_apply_on_merge_then_diff_comments_per_target_then_nightly_drift_and_status(act, config_repo, fake_github, fake_kube):
    kubeconfig = Path(fake_kube.write_kubeconfig()).read_text()
    secrets = {"KUBECONFIG": kubeconfig, "GITHUB_TOKEN": fake_github.token}

    # 1. a merge to main applies every target the push touched (here: a new branch -> all)
    apply = act(config_repo, install_workflow(config_repo, EXAMPLES / "apply.yml", "apply.yml"), "push",
                {"ref": "refs/heads/main", "before": "0" * 40, "after": git(config_repo, "rev-parse", "HEAD")},
                secrets=secrets)
    assert apply.code == 0, apply.log[-5000:]
    matrix = json.loads(apply.outputs("targets", "targets")["matrix"])
    assert [row["target"] for row in matrix["include"]] == ["staging", "production"]
    for target in ("staging", "production"):
        out = apply.outputs(f"apply-{target}", "apply")
        assert out["exit-code"] == "0" and out["changed"] == "true"
        assert fake_kube.get("ConfigMap", "default", f"{target}-app")["data"] == {"level": "info"}

    # 2. a pull request changing the base, from a fork: no secret at all, the rendered preview only -
    #    one sticky comment folded per target, the HTML report as an artifact
    base = git(config_repo, "rev-parse", "HEAD")
    git(config_repo, "checkout", "-q", "-b", "rotate")
    commit(config_repo, {"base/secret.yaml": SECRET.format(password=SECRET_V2),
                         "base/config.yaml": CONFIGMAP.replace("info", "debug")}, "rotate")
    event = pull_request_event(fake_github, config_repo, base, "rotate")
    event["pull_request"]["head"]["repo"] = {"full_name": "someone/fork"}
    workflow = install_workflow(config_repo, EXAMPLES / "diff.yml", "diff.yml")
    diff = act(config_repo, workflow, "pull_request", event, secrets={"GITHUB_TOKEN": fake_github.token},
               env={"GITHUB_API_URL": fake_github.url})
    assert diff.code == 0, diff.log[-5000:]
    assert "live" not in diff.jobs, "the cluster job never runs for a fork"
    out = diff.outputs("rendered", "diff")
    assert out["exit-code"] == "0" and out["html-path"].endswith("kubepush-diff.html")
    (body,) = bot_comments(fake_github, event["number"])
    assert "<!-- kubepush-section:diff -->" in body
    for target in ("staging", "production"):
        assert f"<b>{target}</b>: 2 to configure" in body and f"ConfigMap/default/{target}-app" in body
    assert any(line.startswith("artifact kubepush-preview ") for line in act.uploads())
    (page,) = (act.home / "artifacts" / "kubepush-preview").glob("*.html")
    leaked_values = (SECRET_V1, SECRET_V2, base64.b64encode(SECRET_V2.encode()).decode())
    for leaked in leaked_values:
        assert leaked not in body and leaked not in diff.log and leaked not in page.read_text()
    assert 'data-object="Secret/default/staging-db"' in page.read_text()

    # the same pull request from this repository: the optional live job runs too, with the kubeconfig
    event["pull_request"]["head"]["repo"] = {"full_name": "octo/app"}
    live = act(config_repo, workflow, "pull_request", event, secrets=secrets, env={"GITHUB_API_URL": fake_github.url})
    assert live.code == 0, live.log[-5000:]
    out = live.outputs("live", "diff")
    assert out["changed"] == "true" and out["exit-code"] == "0"
    assert int(out["drift-count"]) >= 1, "the drift count GitLab and Jenkins give too"
    for leaked in leaked_values:
        assert leaked not in live.log
    assert fake_kube.get("ConfigMap", "default", "staging-app")["data"] == {"level": "info"}, "diff changes nothing"

    # 3. someone edits the cluster by hand; the nightly drift check fails and says so
    git(config_repo, "checkout", "-q", "main")
    fake_kube.edit("ConfigMap", "default", "production-app", {"data": {"level": "trace"}})
    drift = act(config_repo, install_workflow(config_repo, EXAMPLES / "drift.yml", "drift.yml"), "schedule", {},
                secrets=secrets)
    assert drift.code != 0
    out = drift.outputs("drift", "drift")
    assert out["drifted"] == "true" and out["exit-code"] == "1" and out["errors"] == "1"
    assert out["drift-count"] == "1"
    assert drift.outcome("drift", "alert") == "success"
    assert "ConfigMap/default/production-app" in drift.log or "production-app" in drift.log

    # 4. the hourly status: production drifted (the hand edit), staging is fine; both applied by step 1's run
    status = act(config_repo, install_workflow(config_repo, EXAMPLES / "status.yml", "status.yml"), "schedule", {},
                 secrets=secrets)
    assert status.code != 0
    out = status.outputs("status", "status")
    assert out["exit-code"] == "1" and out["healthy"] == "false" and out["drifted"] == "true"
    assert json.loads(out["failing-targets"]) == ["production"] and out["drift-count"] == "1"
    result = json.loads(out["result"])
    assert {t["target"]: t["sync"]["status"] for t in result["targets"]} == {"staging": "in-sync",
                                                                              "production": "drifted"}
    assert all("/actions/runs/" in t["appliedBy"]["run"] for t in result["targets"]), result
    assert status.outcome("status", "alert") == "success"
    assert fake_kube.get("ConfigMap", "default", "production-app")["data"] == {"level": "trace"}, "status is read-only"


def test_ordered_apply_runs_one_job_per_dependency_wave(act, tmp_path, fake_kube):
    """examples/github/apply-ordered.yml: production dependsOn staging, so staging's job (wave 0)
    applies before production's (wave 1), and an empty wave's job is skipped."""
    ws = tmp_path / "config"
    ws.mkdir()
    write_files(ws, {**CONFIG_REPO, "kubepush.yaml": CONFIG.replace(
        "path: overlays/production, context: fakekube}", "path: overlays/production, context: fakekube, "
                                                         "dependsOn: [staging]}")})
    git(ws, "init", "-q", "-b", "main")
    git(ws, "remote", "add", "origin", "https://github.com/octo/app.git")
    git(ws, "add", ".")
    git(ws, "commit", "-q", "-m", "init")
    kubeconfig = Path(fake_kube.write_kubeconfig()).read_text()
    run = act(ws, install_workflow(ws, EXAMPLES / "apply-ordered.yml", "apply-ordered.yml"), "push",
              {"ref": "refs/heads/main", "before": "0" * 40, "after": git(ws, "rev-parse", "HEAD")},
              secrets={"KUBECONFIG": kubeconfig})
    assert run.code == 0, run.log[-5000:]
    out = run.outputs("targets", "targets")
    assert json.loads(out["waves"]) == [["staging"], ["production"]] and out["wave-count"] == "2"
    assert run.outputs("wave-0-staging", "apply")["exit-code"] == "0"
    assert run.outputs("wave-1-production", "apply")["exit-code"] == "0"
    assert "wave-2" not in run.jobs
    patches = [r.name for r in fake_kube.requests if r.method == "PATCH" and r.resource == "configmaps"]
    assert patches.index("staging-app") < patches.index("production-app")
