"""The GitLab CI templates (gitlab/templates) and the example pipeline, executed by
gitlab-ci-local 4.73.0 with the shell executor: kubepush is pip-installed from a wheel of this
checkout into each job's venv and runs for real against examples/, the fake apiserver and the
fake GitLab. Each pipeline runs in its own copy of a project (gitlab-ci-local writes
.gitlab-ci-local/ into its cwd), jobs one at a time (the shell executor shares the checkout).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.git_fixtures import GitHTTPServer, make_remote

pytest_plugins = ["tests.support.git_fixtures"]

REPO = Path(__file__).resolve().parents[3]
GITLAB = REPO / "gitlab"
EXAMPLE = REPO / "examples" / "gitlab" / ".gitlab-ci.yml"
VERSION = "4.73.0"
INPUT = re.compile(r"\$\[\[ inputs\.([\w-]+) \]\]")


@pytest.fixture(scope="session")
def kubepush_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory)


def build_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, built once for all xdist workers and suites (in a copy: no build/
    in the tree)."""
    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else \
        tmp_path_factory.getbasetemp()
    out = shared / "kubepush-wheel"
    with open(shared / "kubepush-wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wheels = sorted(out.glob("kubepush-*.whl"))
        if not wheels:
            source = shared / "kubepush-source"
            shutil.rmtree(source, ignore_errors=True)
            shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
            for name in ("pyproject.toml", "README.md"):
                shutil.copy(REPO / name, source / name)
            subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
                           check=True, timeout=300)
            wheels = sorted(out.glob("kubepush-*.whl"))
    return wheels[0]


def install_inputs(wheel: Path) -> dict[str, str]:
    """What the tests give every template: this checkout's wheel, on top of the installed dependencies."""
    return {"kubepush-source": str(wheel), "pip-args": "--no-deps --no-index"}


def make_project(root: Path, ci: str | dict[str, Any]) -> Path:
    """A git project with the templates and the example config repositories, on branch main."""
    project = root / "project"
    shutil.copytree(GITLAB, project / "gitlab", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("config-repo", "broken"):
        shutil.copytree(REPO / "examples" / name, project / "examples" / name)
    (project / ".gitlab-ci.yml").write_text(ci if isinstance(ci, str) else yaml.safe_dump(ci, sort_keys=False))
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for args in (["init", "-q", "-b", "main"], ["remote", "add", "origin", "https://gitlab.example.com/acme/config.git"],
                 ["add", "-A"], ["commit", "-qm", "config"]):
        subprocess.run(["git", *args], cwd=project, check=True, env=env, capture_output=True)
    return project


def gitlab_ci_local(project: Path, *args: str, variables: dict[str, str] | None = None,
                    timeout: float = 300) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("gitlab-ci-local")
    assert exe, "gitlab-ci-local is missing: run .ci/setup.d/40-gitlab-ci-local.sh"
    variables = {"CI_PROJECT_DIR": str(project), **(variables or {})}
    cmd = [exe, "--home", str(project.parent / "gcl-home"), "--force-shell-executor",
           "--concurrency", "1", "--no-color", "--max-job-name-padding", "0",
           "--ignore-predefined-vars", ",".join(v for v in variables if v.startswith("CI_")), *args]
    for name, value in variables.items():
        cmd += ["--variable", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITLAB_", "KUBEPUSH_", "PYTEST_"))}
    return subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def job_results(output: str) -> dict[str, str]:
    """The summary gitlab-ci-local prints at the end: job name -> PASS / WARN / FAIL."""
    found = {m[2]: m[1] for m in re.finditer(r"^ (PASS|WARN|FAIL) {2}(.+?)(?: {2}.*)?$", output, re.MULTILINE)}
    return {name: result for name, result in found.items() if not name.startswith("downstream pipeline")}


def job_log(output: str, job: str) -> str:
    return "\n".join(line.split(" > ", 1)[1] for line in output.splitlines()
                     if line.startswith(f"{job} > "))


def artifact(project: Path, job: str, name: str) -> Path:
    """A file the job exported as an artifact (gitlab-ci-local keeps them per job)."""
    path = project / ".gitlab-ci-local" / "artifacts" / job / "kubepush-reports" / name
    assert path.is_file(), f"{job} did not export kubepush-reports/{name}"
    return path


def include(template: str, **inputs: Any) -> dict[str, Any]:
    return {"local": f"gitlab/templates/{template}.yml", "inputs": inputs}


def dotenv_printer(name: str, needs: str, prefix: str) -> dict[str, Any]:
    """A downstream job that shows the dotenv variables it received from ``needs``."""
    return {name: {"stage": "report", "needs": [needs],
                   "script": [f"env | grep '^{prefix}' | sort | sed 's/^/seen: /'"]}}


def seen(output: str, job: str) -> dict[str, str]:
    return dict(line[len("seen: "):].split("=", 1) for line in job_log(output, job).splitlines()
                if line.startswith("seen: "))


# --- the templates, statically --------------------------------------------------------------


def test_templates_are_in_sync_with_the_shared_parts_and_pin_this_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "kubepush.ci.generate", "--check"], capture_output=True, text=True,
                          check=False, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    version = re.search(r'^version = "(.+)"', (REPO / "pyproject.toml").read_text(), re.MULTILINE)[1]
    templates = sorted(GITLAB.glob("templates/*.yml"))
    assert [t.stem for t in templates] == ["apply", "bump", "diff", "drift", "revert", "status", "validate"]
    for path in templates:
        header, jobs = yaml.safe_load_all(path.read_text())
        inputs = header["spec"]["inputs"]
        assert inputs["kubepush-source"]["default"].endswith(f"=={version}"), path.name
        assert all(spec.get("description") for spec in inputs.values()), path.name
        used = set(INPUT.findall(path.read_text().split("\n---\n", 1)[1]))
        assert used == set(inputs), f"{path.name}: declared but unused or used but undeclared inputs"
        (job,) = jobs.values()
        assert job["artifacts"]["when"] == "always" and "dotenv" in job["artifacts"]["reports"]


def rendered(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The spec header and the jobs with every input at its default, as GitLab would expand them."""
    header, jobs = yaml.safe_load_all(path.read_text())
    inputs = header["spec"]["inputs"]

    def default(name: str) -> Any:
        value = inputs[name]["default"]
        return str(value).lower() if isinstance(value, bool) else value

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {walk(k): walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            whole = INPUT.fullmatch(value)
            return inputs[whole[1]]["default"] if whole else INPUT.sub(lambda m: str(default(m[1])), value)
        return value

    return header, walk(jobs)


def test_templates_and_examples_match_gitlabs_ci_schema(tmp_path: Path) -> None:
    files = []
    for path in sorted(GITLAB.glob("templates/*.yml")):
        header, jobs = rendered(path)
        for part, doc in (("spec", header), ("jobs", jobs)):
            files.append(tmp_path / f"{path.stem}-{part}.yml")
            files[-1].write_text(yaml.safe_dump(doc))
    files += sorted((REPO / "examples" / "gitlab").glob("*.yml"))
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci",
                           *map(str, files)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / "broken.yml"  # the lint would catch a broken job
    broken.write_text(yaml.safe_dump({"job": {"script": "true", "artifacts": {"reports": {"dotenv": 3}}}}))
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci",
                           str(broken)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1


# --- the templates, executed ----------------------------------------------------------------


def test_validate_on_a_merge_request_reports_comments_and_passes_results_downstream(
        tmp_path: Path, kubepush_wheel: Path, fake_gitlab: Any) -> None:
    from tests.support.fakeforge.rig import make_client

    fake_gitlab.branches.add("feature")
    mr = make_client("gitlab", fake_gitlab).create("feature", "main", "config change", "")
    install = install_inputs(kubepush_wheel)
    ci = {
        "stages": ["test", "report"],
        "include": [
            include("validate", **{"working-directory": "examples/config-repo"}, comment=True, **install),
            include("validate", **{"job-name": "validate-broken", "kubernetes-version": "1.31"},
                    paths="examples/broken", **{"fail-on-findings": False}, **install),
        ],
        **dotenv_printer("after-validate", "validate-broken", "KUBEPUSH_"),
    }
    project = make_project(tmp_path, ci)
    proc = gitlab_ci_local(project, variables={
        "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": str(mr.number),
        "CI_PROJECT_URL": f"{fake_gitlab.origin}/octo/app", "CI_API_V4_URL": fake_gitlab.url,
        "GITLAB_TOKEN": fake_gitlab.token})
    out = proc.stdout + proc.stderr
    assert job_results(proc.stdout) == {"kubepush-validate": "PASS", "validate-broken": "PASS",
                                        "after-validate": "PASS"}, out  # findings reported, not failed
    assert proc.returncode == 0, out
    assert "2 resources in 1 file: 8 errors" in job_log(proc.stdout, "validate-broken")
    assert seen(proc.stdout, "after-validate") == {
        "KUBEPUSH_VALIDATE_EXIT_CODE": "1", "KUBEPUSH_VALIDATE_ERRORS": "8", "KUBEPUSH_VALIDATE_WARNINGS": "0",
        "KUBEPUSH_VALIDATE_FINDINGS": "8"}
    notes = [n["body"] for n in fake_gitlab.notes.values() if n["iid"] == mr.number]
    if (REPO / "src/kubepush/cli/comment.py").exists():  # comment: true -> the sticky MR comment
        assert len(notes) == 1 and "kubepush validate passed" in notes[0] and "No findings in 10 resources" in notes[0]
    else:
        assert not notes and "no 'comment' command" in job_log(proc.stdout, "kubepush-validate")
    assert fake_gitlab.token not in out

    cases = ET.parse(artifact(project, "validate-broken", "validate.junit.xml")).getroot().iter("testcase")
    failures = [c for c in cases if c.find("failure") is not None]
    assert failures and all("examples/broken/deployment.yaml" in ET.tostring(c, encoding="unicode")
                            for c in failures)
    quality = json.loads(artifact(project, "validate-broken", "validate.codequality.json").read_text())
    assert len(quality) == 8
    assert {q["location"]["path"] for q in quality} == {"examples/broken/deployment.yaml"}  # the MR widget's paths
    good = json.loads(artifact(project, "kubepush-validate", "validate.json").read_text())
    assert good["summary"]["errors"] == 0 and good["summary"]["resources"] > 0


def test_apply_diff_drift_against_a_cluster(tmp_path: Path, kubepush_wheel: Path, fake_kube: Any) -> None:
    fake_kube.simulate(rollouts="complete")  # the controllers: apply's health wait finishes
    fake_kube.create(yaml.safe_load((REPO / "examples/config-repo/crds/backup-crd.yaml").read_text()))
    common = {"working-directory": "examples/config-repo", "paths": "overlays/staging",
              **install_inputs(kubepush_wheel)}
    always = [{"when": "on_success"}]
    ci = {
        "stages": ["test", "deploy", "verify", "report"],
        "include": [
            include("diff", rules=always, **common),
            include("apply", environment="staging", timeout="60", **common),
            include("drift", stage="verify", rules=always, **common),
            include("status", stage="verify", rules=always, **common),
        ],
        **dotenv_printer("after-diff", "kubepush-diff", "KUBEPUSH_DIFF_"),
        **dotenv_printer("after-apply", "kubepush-apply", "KUBEPUSH_APPLY_"),
        **dotenv_printer("after-drift", "kubepush-drift", "KUBEPUSH_DRIFT_"),
        **dotenv_printer("after-status", "kubepush-status", "KUBEPUSH_STATUS_"),
    }
    project = make_project(tmp_path, ci)
    proc = gitlab_ci_local(project, variables={"KUBECONFIG": fake_kube.kubeconfig_path})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert set(job_results(proc.stdout).values()) == {"PASS"}, out
    diff, apply, drift, status = (seen(proc.stdout, f"after-{c}") for c in ("diff", "apply", "drift", "status"))
    # before the apply everything would be created: diff reports it, and passes (fail_on_drift: false)
    assert {k: diff[f"KUBEPUSH_DIFF_{k}"] for k in ("EXIT_CODE", "DRIFTED", "DRIFT_COUNT", "CHANGED")} == {
        "EXIT_CODE": "0", "DRIFTED": "true", "DRIFT_COUNT": "5", "CHANGED": "true"}, out  # 5 objects to create
    assert apply["KUBEPUSH_APPLY_EXIT_CODE"] == "0" and apply["KUBEPUSH_APPLY_CHANGED"] == "true"
    assert drift == {"KUBEPUSH_DRIFT_EXIT_CODE": "0", "KUBEPUSH_DRIFT_ERRORS": "0", "KUBEPUSH_DRIFT_WARNINGS": "0",
                     "KUBEPUSH_DRIFT_FINDINGS": "0", "KUBEPUSH_DRIFT_DRIFTED": "false",
                     "KUBEPUSH_DRIFT_DRIFT_COUNT": "0"}
    assert status == {"KUBEPUSH_STATUS_EXIT_CODE": "0", "KUBEPUSH_STATUS_HEALTHY": "true",
                      "KUBEPUSH_STATUS_FAILING_TARGETS": "", "KUBEPUSH_STATUS_DRIFTED": "false",
                      "KUBEPUSH_STATUS_DRIFT_COUNT": "0"}, out
    (target,) = json.loads(artifact(project, "kubepush-status", "status.json").read_text())["targets"]
    assert target["lastApply"]["result"] == "healthy" and target["lastApply"]["run"].startswith("http")
    live = fake_kube.get("Deployment", "shop", "shop")
    assert live["spec"]["replicas"] == 1 and live["spec"]["template"]["spec"]["containers"][0]["image"] == \
        "ghcr.io/acme/shop:1.4.2"  # the staging overlay, rendered by kustomize in the job
    assert ET.parse(artifact(project, "kubepush-apply", "apply.junit.xml")).getroot().iter("testcase")
    assert fake_kube.token not in out


def test_rendered_diff_on_a_merge_request_needs_no_kubeconfig(tmp_path: Path, kubepush_wheel: Path) -> None:
    """The merge request's change to the rendered manifests, against CI_MERGE_REQUEST_DIFF_BASE_SHA:
    no KUBECONFIG anywhere; the HTML report is one of the job's artifacts."""
    project = make_project(tmp_path, {"include": [include("diff", rendered=True, rules=[{"when": "on_success"}],
                                                          **{"working-directory": "examples/config-repo"},
                                                          **install_inputs(kubepush_wheel))]})
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, check=True, capture_output=True,
                          text=True).stdout.strip()
    overlay = project / "examples" / "config-repo" / "overlays" / "staging" / "kustomization.yaml"
    overlay.write_text(overlay.read_text().replace("newTag: 1.4.2", "newTag: 1.4.3"))
    subprocess.run(["git", "commit", "-qam", "staging: shop 1.4.3"], cwd=project, check=True, env=env)
    proc = gitlab_ci_local(project, variables={"CI_PIPELINE_SOURCE": "merge_request_event",
                                               "CI_MERGE_REQUEST_DIFF_BASE_SHA": base})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and job_results(proc.stdout) == {"kubepush-diff": "PASS"}, out
    report = json.loads(artifact(project, "kubepush-diff", "diff.json").read_text())
    previews = {t["target"]: t for t in report["previews"]}
    assert previews["production"]["status"] == "unaffected" and previews["staging"]["base"] == base
    [change] = previews["staging"]["objects"]
    assert change["action"] == "configure" and change["object"]["kind"] == "Deployment"
    assert [f["new"] for f in change["fields"]] == ["ghcr.io/acme/shop:1.4.3"]
    page = artifact(project, "kubepush-diff", "diff.html").read_text()
    assert 'data-target="staging"' in page and 'data-action="configure"' in page


def test_bump_from_a_trigger_opens_a_merge_request_and_hands_its_url_on(
        tmp_path: Path, kubepush_wheel: Path, fake_gitlab: Any, git_remote_root: Path) -> None:
    from tests.support.config_repo import FILES, RemoteBranches

    remote = make_remote(git_remote_root, "octo/app.git", FILES)
    fake_gitlab.branches = RemoteBranches(remote)
    server = GitHTTPServer(git_remote_root, user="oauth2", token=fake_gitlab.token).start()
    try:
        ci = {"stages": ["deploy", "report"],
              "include": [include("bump", repo=server.url(remote), **{"forge-url": fake_gitlab.url}, draft=True,
                                  **install_inputs(kubepush_wheel))],
              **dotenv_printer("after-bump", "kubepush-bump", "KUBEPUSH_BUMP_")}
        project = make_project(tmp_path, ci)
        # what an application pipeline's trigger job passes, and the token from the CI/CD settings
        proc = gitlab_ci_local(project, variables={"CI_PIPELINE_SOURCE": "pipeline",
                                                   "KUBEPUSH_IMAGES": "ghcr.io/acme/shop:1.5.0",
                                                   "GITLAB_TOKEN": fake_gitlab.token})
    finally:
        server.stop()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    mr = fake_gitlab.mrs[1]
    assert mr["title"].startswith(("Draft: ", "WIP: ")) and "1.5.0" in mr["title"]
    outputs = seen(proc.stdout, "after-bump")
    assert outputs["KUBEPUSH_BUMP_EXIT_CODE"] == "0" and outputs["KUBEPUSH_BUMP_CHANGED"] == "true"
    assert outputs["KUBEPUSH_BUMP_PR_NUMBER"] == "1" and outputs["KUBEPUSH_BUMP_PR_URL"].endswith("/merge_requests/1")
    assert "ghcr.io/acme/shop:1.5.0" in remote.read(outputs["KUBEPUSH_BUMP_BRANCHES"], "base/deploy.yaml")
    assert fake_gitlab.token not in out  # the secret reached kubepush and nothing printed it


def test_revert_by_hand_opens_a_merge_request_and_hands_its_url_on(
        tmp_path: Path, kubepush_wheel: Path, fake_gitlab: Any, git_remote_root: Path) -> None:
    from tests.integration.cli.test_revert import gitlab_remote
    from tests.support.config_repo import DEPLOY

    remote, server, bad = gitlab_remote(git_remote_root, fake_gitlab)
    try:
        ci = {"stages": ["deploy", "report"],
              "include": [include("revert", repo=server.url(remote), **{"forge-url": fake_gitlab.url},
                                  reason="crash loop", **install_inputs(kubepush_wheel))],
              **dotenv_printer("after-revert", "kubepush-revert", "KUBEPUSH_REVERT_")}
        project = make_project(tmp_path, ci)
        proc = gitlab_ci_local(project, variables={"CI_PIPELINE_SOURCE": "web", "KUBEPUSH_REVERT": bad,
                                                   "GITLAB_TOKEN": fake_gitlab.token})
    finally:
        server.stop()
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert fake_gitlab.mrs[1]["title"] == 'Revert "bump shop to 1.5.0"' and "crash loop" in fake_gitlab.mrs[1]["description"]
    outputs = seen(proc.stdout, "after-revert")
    assert outputs["KUBEPUSH_REVERT_EXIT_CODE"] == "0" and outputs["KUBEPUSH_REVERT_CHANGED"] == "true"
    assert outputs["KUBEPUSH_REVERT_PR_NUMBER"] == "1" and outputs["KUBEPUSH_REVERT_BRANCHES"] == f"kubepush/revert-{bad[:12]}"
    assert remote.read(outputs["KUBEPUSH_REVERT_BRANCHES"], "base/deploy.yaml") == DEPLOY
    assert fake_gitlab.token not in out


@pytest.mark.parametrize(("template", "name", "value", "message"), [
    ("bump", "forge", "bitbucket", "is not in the list of allowed options"),
    ("apply", "timeout", "soon", "does not match required regex"),
    ("diff", "fail-on-drift", "sometimes", "is not a boolean"),
    ("drift", "heal", "yes", "is not a boolean"),
    ("validate", "kubernetes-version", "latest", "does not match required regex"),
])
def test_bad_inputs_are_rejected_before_anything_runs(tmp_path: Path, template: str, name: str, value: str,
                                                     message: str) -> None:
    project = make_project(tmp_path, {"include": [include(template, **{name: value})]})
    proc = gitlab_ci_local(project, "--list")
    assert proc.returncode != 0
    assert f"`{name}` input:" in proc.stderr + proc.stdout and message in proc.stderr + proc.stdout


def local_includes(ci: dict[str, Any], wheel: Path) -> dict[str, Any]:
    """An example's includes pointed at this checkout (include:local instead of include:project)
    and kubepush installed from the wheel."""
    for entry in ci["include"]:
        assert entry.pop("project") == "kubepush/kubepush" and entry.pop("ref")
        entry["local"] = entry.pop("file").lstrip("/")
        entry["inputs"] = {**entry.get("inputs", {}), **install_inputs(wheel)}
    return ci


def example_pipeline(wheel: Path) -> dict[str, Any]:
    """examples/gitlab/.gitlab-ci.yml for this checkout; its kubectl download is dropped (kubectl is installed)."""
    ci = local_includes(yaml.safe_load(EXAMPLE.read_text()), wheel)
    assert "kubectl" in str(ci.pop("default"))
    return ci


def config_repo_project(root: Path, wheel: Path) -> Path:
    """A config repository as the example expects it: kubepush.yaml at the root, the example's files."""
    project = make_project(root, example_pipeline(wheel))
    for item in (project / "examples" / "config-repo").iterdir():
        item.rename(project / item.name)
    child = yaml.safe_load((EXAMPLE.parent / ".gitlab" / "kubepush-apply.yml").read_text())
    (project / ".gitlab").mkdir()
    (project / ".gitlab" / "kubepush-apply.yml").write_text(yaml.safe_dump(local_includes(child, wheel)))
    commit(project, "config repository layout")
    return project


def commit(project: Path, message: str) -> str:
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message],
                   cwd=project, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_example_pipeline_runs_the_right_jobs_for_each_event_and_validates(tmp_path: Path,
                                                                           kubepush_wheel: Path) -> None:
    project = config_repo_project(tmp_path, kubepush_wheel)
    events = {
        "merge request": ({"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "3"},
                          {"kubepush-validate", "kubepush-diff"}),
        "merge to main": ({"CI_PIPELINE_SOURCE": "push"},
                          {"kubepush-validate", "kubepush-targets", "kubepush-deploy"}),
        "app trigger": ({"CI_PIPELINE_SOURCE": "pipeline", "KUBEPUSH_IMAGES": "ghcr.io/acme/shop:1.5.0"},
                        {"kubepush-bump", "bump-summary"}),
        "nightly": ({"CI_PIPELINE_SOURCE": "schedule", "KUBEPUSH_SCHEDULE": "drift"},
                    {"kubepush-drift: [staging]", "kubepush-drift: [production]"}),
        "hourly": ({"CI_PIPELINE_SOURCE": "schedule", "KUBEPUSH_SCHEDULE": "status"}, {"kubepush-status"}),
    }
    for event, (variables, expected) in events.items():
        proc = gitlab_ci_local(project, "--list-json", variables=variables)
        assert proc.returncode == 0, proc.stderr
        jobs = {job["name"]: job for job in json.loads(proc.stdout)}
        assert {name for name, job in jobs.items() if job["when"] != "never"} == expected, event
    assert jobs["kubepush-drift: [staging]"]["stage"] == jobs["kubepush-status"]["stage"] == "drift"

    proc = gitlab_ci_local(project, "kubepush-validate", variables=events["merge request"][0])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(artifact(project, "kubepush-validate", "validate.json").read_text())
    assert report["summary"]["errors"] == 0 and report["summary"]["resources"] >= 10  # both overlays and the CRD

    # the merge request's diff is the rendered one: no KUBECONFIG in this pipeline at all
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True,
                          check=True).stdout.strip()
    proc = gitlab_ci_local(project, "kubepush-diff", variables={**events["merge request"][0],
                                                                "CI_MERGE_REQUEST_DIFF_BASE_SHA": head})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(artifact(project, "kubepush-diff", "diff.json").read_text())
    assert {t["target"]: t["status"] for t in report["previews"]} == {"staging": "unaffected",
                                                                      "production": "unaffected"}
    assert 'data-target="staging"' in artifact(project, "kubepush-diff", "diff.html").read_text()


def kubeconfig_for(path: Path, **clusters: Any) -> Path:
    """One kubeconfig whose contexts (the targets' in kubepush.yaml) are different fake clusters."""
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": [],
                              "current-context": next(iter(clusters))}
    for context, fake in clusters.items():
        config = yaml.safe_load(Path(fake.kubeconfig_path).read_text())
        merged["clusters"].append({"name": context, "cluster": config["clusters"][0]["cluster"]})
        merged["users"].append({"name": context, "user": config["users"][0]["user"]})
        merged["contexts"].append({"name": context, "context": {"cluster": context, "user": context}})
    path.write_text(yaml.safe_dump(merged))
    return path


def test_example_merge_to_main_applies_only_the_changed_targets_in_a_child_pipeline(
        tmp_path: Path, kubepush_wheel: Path, make_fake_kube: Any) -> None:
    crd = yaml.safe_load((REPO / "examples/config-repo/crds/backup-crd.yaml").read_text())
    staging, production = make_fake_kube(), make_fake_kube()
    for fake in (staging, production):
        fake.simulate(rollouts="complete")
        fake.create(crd)
    project = config_repo_project(tmp_path, kubepush_wheel)
    before = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True,
                            check=True).stdout.strip()
    overlay = project / "overlays" / "staging" / "kustomization.yaml"
    overlay.write_text(overlay.read_text().replace("newTag: 1.4.2", "newTag: 1.4.3"))
    commit(project, "staging: shop 1.4.3")
    # KUBECONFIG as a project CI/CD variable: child pipelines see those (gitlab-ci-local: its variables file)
    kubeconfig = kubeconfig_for(tmp_path / "kubeconfig", staging=staging, production=production)
    (project / ".gitlab-ci-local-variables.yml").write_text(yaml.safe_dump({"KUBECONFIG": str(kubeconfig)}))
    # the whole push pipeline (gitlab-ci-local would look for named jobs in the child pipeline too)
    proc = gitlab_ci_local(project, variables={
        "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": before,
        "KUBEPUSH_SOURCE": str(kubepush_wheel), "KUBEPUSH_PIP_ARGS": "--no-deps --no-index"})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert job_results(proc.stdout) == {"kubepush-validate": "PASS", "kubepush-targets": "PASS",
                                        "kubepush-deploy": "PASS",
                                        "[kubepush-deploy] -> kubepush: [staging,overlays/staging]": "PASS"}, out
    assert "KUBEPUSH_TARGET: staging" in job_log(proc.stdout, "kubepush-targets")
    live = staging.get("Deployment", "shop", "shop")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/shop:1.4.3", out
    assert production.count(method="PATCH") == 0  # production was not touched by a staging change
