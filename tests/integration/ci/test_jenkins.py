"""The Jenkins shared library (jenkins/vars) executed by Debian's Groovy 2.4 through
tests/support/data/jenkins/harness.groovy: each step runs for real - sh runs the shell, kubepush is
installed into a venv from a wheel of this checkout and runs against examples/, the fake
apiserver and the fake GitLab; credentials are bound and masked as Jenkins does. One JVM per
scenario (several step calls each) keeps the JVM start-ups few.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.ci.test_gitlab import build_wheel, commit, kubeconfig_for
from tests.support.git_fixtures import GitHTTPServer, make_remote

pytest_plugins = ["tests.support.git_fixtures", "tests.support.registry_fixtures"]

REPO = Path(__file__).resolve().parents[3]
HARNESS = REPO / "tests" / "support" / "data" / "jenkins" / "harness.groovy"
JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64"
STEPS = ("kubepushValidate", "kubepushBump", "kubepushDiff", "kubepushApply", "kubepushDrift", "kubepushRevert",
         "kubepushTargets", "kubepushStatus")
JENKINSFILE = REPO / "examples" / "jenkins" / "Jenkinsfile"
#: the example binds an age key for SOPS-encrypted Secrets; the example repository has none, so any text does
EXAMPLE_SOPS_KEY = {"sops-age-key": {"type": "string", "secret": "AGE-SECRET-KEY-1NOTUSEDBYTHEEXAMPLEREPOSITORY"}}


@pytest.fixture(scope="session")
def kubepush_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory)  # the same wheel as the GitLab tests', built once


def workspace(tmp_path: Path) -> Path:
    """A job workspace with the example config repositories."""
    ws = tmp_path / "workspace"
    for name in ("config-repo", "broken"):
        shutil.copytree(REPO / "examples" / name, ws / "examples" / name)
    return ws


def run_pipeline(tmp_path: Path, ws: Path, calls: list[dict[str, Any]] | None = None, *,
                 jenkinsfile: Path | None = None, credentials: dict[str, Any] | None = None,
                 env: dict[str, str] | None = None, params: dict[str, str] | None = None,
                 causes: list[str] | None = None) -> dict[str, Any]:
    groovy = shutil.which("groovy")
    assert groovy, "groovy is missing: run .ci/setup.d/41-groovy.sh"
    scenario = {"vars": str(REPO / "jenkins" / "vars"), "workspace": str(ws), "calls": calls or [],
                "credentials": credentials or {}, "env": env or {}, "params": params or {}, "causes": causes or []}
    if jenkinsfile:
        scenario["jenkinsfile"] = str(jenkinsfile)
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    agent = {k: v for k, v in os.environ.items() if not k.startswith(("GITLAB_", "GITHUB_", "CI_", "KUBEPUSH_"))}
    proc = subprocess.run([groovy, str(HARNESS), str(tmp_path / "scenario.json"), str(tmp_path / "out.json")],
                          env={**agent, "JAVA_HOME": JAVA_HOME, "TMPDIR": str(tmp_path)}, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((tmp_path / "out.json").read_text())


def install(wheel: Path) -> dict[str, str]:
    return {"kubepushSource": str(wheel), "pipArgs": "--no-deps --no-index"}


def test_every_step_has_a_help_file_and_delegates_to_the_shared_script() -> None:
    vars_dir = REPO / "jenkins" / "vars"
    for step in STEPS:
        source = (vars_dir / f"{step}.groovy").read_text()
        assert "def call(Map config = [:])" in source and "kubepush.runStep(" in source
        assert len(source.splitlines()) <= 5, f"{step}: the logic belongs in kubepush.groovy"
        help_text = (vars_dir / f"{step}.txt").read_text()
        assert "Returns" in help_text and "Credentials" in help_text
    assert (vars_dir / "kubepush.txt").is_file()


def test_validate_results_junit_and_exit_codes(tmp_path: Path, kubepush_wheel: Path) -> None:
    ws = workspace(tmp_path)
    out = run_pipeline(tmp_path, ws, [
        {"step": "kubepushValidate", "config": {"paths": "examples/broken", "failOnFindings": False,
                                                **install(kubepush_wheel)}},
        {"step": "kubepushValidate", "config": {"workingDirectory": "examples/config-repo",
                                                "target": ["staging", "production"], **install(kubepush_wheel)}},
        {"step": "kubepushValidate", "config": {"paths": "examples/broken", **install(kubepush_wheel)}},
        {"step": "kubepushValidate", "config": {"paths": "examples/broken", "kubernetesVersion": "0.1",
                                                **install(kubepush_wheel)}},
        {"step": "kubepushValidate", "config": {"paths": "examples/broken", "strict": "maybe",
                                                **install(kubepush_wheel)}},
        {"step": "kubepushValidate", "config": {"pathz": "examples/broken", **install(kubepush_wheel)}},
        {"step": "kubepushValidate", "config": {"paths": "examples/broken", "junit": "yes",
                                                **install(kubepush_wheel)}},
        {"step": "kubepush", "config": {"command": "valdate", **install(kubepush_wheel)}},
    ])
    broken, good, failing, usage, bad_bool, unknown, bad_switch, bad_command = out["results"]
    assert broken["error"] is None
    result = broken["result"]
    assert {k: result[k] for k in ("command", "exitCode", "errors", "warnings", "findings")} == {
        "command": "validate", "exitCode": 1, "errors": 8, "warnings": 0, "findings": 8}
    assert result["report"]["findings"][0]["file"] == "examples/broken/deployment.yaml"
    assert good["error"] is None and good["result"]["exitCode"] == 0 and good["result"]["errors"] == 0
    assert failing["result"] is None and "findings (exit 1)" in failing["error"]
    assert usage["result"] is None and "exit 2" in usage["error"]
    # the installed kubepush maps the options (kubepush.ci.jenkins): a bad one fails the step, kubepush never runs
    assert bad_bool["error"] == "kubepush: input strict: expected true or false, got 'maybe'"
    assert unknown["error"].startswith("kubepush validate: unknown option(s) pathz; it takes config, target, paths")
    assert bad_switch["error"] == "kubepush: input junit: expected true or false, got 'yes'"
    assert bad_command["error"].startswith("kubepush: command must be one of validate, ")
    # JUnit published for each run that reported (not the usage error: no stale file either)
    published = out["junit"]
    assert len(published) == 3 and all(j["files"] for j in published)
    cases = ET.fromstring(published[0]["contents"][0]).iter("testcase")
    assert any(c.find("failure") is not None for c in cases)
    # eight steps, one venv: the build installs kubepush once (sh -x traces the venv creation)
    assert out["log"].count("+ python3 -m venv") == 1 and out["log"].count("kubepush 0.1.0") == 8


BUILD_URL = "https://jenkins.example/job/config/7/"


def kubeconfig_credential(fake: Any) -> dict[str, Any]:
    return {"type": "file", "content": Path(fake.kubeconfig_path).read_text()}


def test_diff_apply_drift_with_a_kubeconfig_credential(tmp_path: Path, kubepush_wheel: Path, fake_kube: Any) -> None:
    fake_kube.simulate(rollouts="complete")
    fake_kube.create(yaml.safe_load((REPO / "examples/config-repo/crds/backup-crd.yaml").read_text()))
    common = {"workingDirectory": "examples/config-repo", "paths": "overlays/staging",
              "kubeconfigCredentialsId": "staging-kubeconfig", **install(kubepush_wheel)}
    ws = workspace(tmp_path)
    out = run_pipeline(tmp_path, ws, [
        {"step": "kubepushDiff", "config": common},
        {"step": "kubepushApply", "config": {**common, "timeout": 60}},
        {"step": "kubepushDrift", "config": common},
        {"step": "kubepushApply", "config": {**common, "kubeconfigCredentialsId": "missing"}},
        {"step": "kubepushStatus", "config": {**common, "history": 2}},
    ], credentials={"staging-kubeconfig": kubeconfig_credential(fake_kube)}, env={"BUILD_URL": BUILD_URL})
    diff, apply, drift, missing, status = out["results"]
    assert diff["error"] is None and apply["error"] is None and drift["error"] is None, out["log"]
    assert {k: diff["result"][k] for k in ("exitCode", "drifted", "driftCount", "changed")} == {
        "exitCode": 0, "drifted": True, "driftCount": 5, "changed": True}  # a preview does not fail
    assert apply["result"]["exitCode"] == 0 and apply["result"]["changed"] is True
    assert {k: drift["result"][k] for k in ("exitCode", "drifted", "driftCount")} == {
        "exitCode": 0, "drifted": False, "driftCount": 0}
    assert "Could not find credentials entry with ID 'missing'" in missing["error"]
    assert status["error"] is None, out["log"]
    assert {k: status["result"][k] for k in ("exitCode", "healthy", "failingTargets", "drifted")} == {
        "exitCode": 0, "healthy": True, "failingTargets": [], "drifted": False}
    (target,) = status["result"]["report"]["targets"]
    assert target["lastApply"]["result"] == "healthy" and target["lastApply"]["run"] == BUILD_URL
    assert fake_kube.get("Deployment", "shop", "shop")["spec"]["replicas"] == 1
    assert fake_kube.token not in out["raw"]


def test_bump_opens_a_merge_request_with_a_token_credential_that_never_shows(
        tmp_path: Path, kubepush_wheel: Path, fake_gitlab: Any, git_remote_root: Path) -> None:
    from tests.support.config_repo import FILES, RemoteBranches

    remote = make_remote(git_remote_root, "octo/app.git", FILES)
    fake_gitlab.branches = RemoteBranches(remote)
    server = GitHTTPServer(git_remote_root, user="oauth2", token=fake_gitlab.token).start()
    config = {"image": "ghcr.io/acme/shop:1.5.0", "repo": server.url(remote), "forge": "gitlab",
              "forgeUrl": fake_gitlab.url, "tokenCredentialsId": "gitlab-token", "draft": True,
              **install(kubepush_wheel)}
    try:
        out = run_pipeline(tmp_path, workspace(tmp_path), [
            {"step": "kubepushBump", "config": config},
            {"step": "kubepushBump", "config": config},  # again: the same merge request, up to date
            {"step": "kubepushBump", "config": {**config, "tokenCredentialsId": "wrong-token"}},
        ], credentials={"gitlab-token": {"type": "string", "secret": fake_gitlab.token},
                        "wrong-token": {"type": "string", "secret": "glpat-wrong-0123456789"}})
    finally:
        server.stop()
    first, again, wrong = out["results"]
    assert first["error"] is None, out["log"]
    result = first["result"]
    assert result["changed"] is True and result["prNumber"] == 1
    assert result["prUrl"].endswith("/merge_requests/1") and len(result["branches"]) == 1
    assert "ghcr.io/acme/shop:1.5.0" in remote.read(result["branches"][0], "base/deploy.yaml")
    assert again["result"]["changed"] is False
    assert wrong["result"] is None and "exit 2" in wrong["error"]
    assert fake_gitlab.mrs[1]["title"].startswith(("Draft: ", "WIP: "))
    # the secrets reached kubepush (a merge request exists) and no step ever printed them
    for secret in (fake_gitlab.token, "glpat-wrong-0123456789"):
        assert secret not in out["raw"] and secret not in out["log"]


def test_revert_opens_one_merge_request_and_a_conflict_fails_the_step(
        tmp_path: Path, kubepush_wheel: Path, fake_gitlab: Any, git_remote_root: Path) -> None:
    from tests.integration.cli.test_revert import gitlab_remote
    from tests.support.config_repo import DEPLOY

    remote, server, bad = gitlab_remote(git_remote_root, fake_gitlab)
    config = {"commit": bad, "repo": server.url(remote), "forge": "gitlab", "forgeUrl": fake_gitlab.url,
              "tokenCredentialsId": "gitlab-token", "reason": "crash loop", **install(kubepush_wheel)}
    try:
        out = run_pipeline(tmp_path, workspace(tmp_path), [
            {"step": "kubepushRevert", "config": config},
            {"step": "kubepushRevert", "config": config},  # again: the same merge request, up to date
        ], credentials={"gitlab-token": {"type": "string", "secret": fake_gitlab.token}})
        remote.commit("main", {"base/deploy.yaml": DEPLOY.replace("1.4.1", "1.6.0")}, "bump shop to 1.6.0")
        later = tmp_path / "later"
        later.mkdir()
        conflict = run_pipeline(later, workspace(later), [{"step": "kubepushRevert", "config": config}],
                                credentials={"gitlab-token": {"type": "string", "secret": fake_gitlab.token}})
    finally:
        server.stop()
    first, again = out["results"]
    assert first["error"] is None, out["log"]
    assert first["result"]["changed"] is True and first["result"]["prNumber"] == 1
    assert first["result"]["branches"] == [f"kubepush/revert-{bad[:12]}"]
    assert again["result"]["changed"] is False and again["result"]["prNumber"] == 1 and len(fake_gitlab.mrs) == 1
    assert f"kubepush revert {bad[:12]} (bump shop to 1.5.0) on main" in out["log"]
    (failed,) = conflict["results"]
    assert failed["result"] is None and "findings (exit 1)" in failed["error"]
    assert "base/deploy.yaml: error: reverting" in conflict["log"]
    assert fake_gitlab.token not in out["raw"] + out["log"] + conflict["raw"] + conflict["log"]


def config_repo(tmp_path: Path, origin: str | None = "https://git.example.test/acme/config.git") -> tuple[Path, str]:
    """The example config repository as a git checkout (kubepush.yaml at the root, ``origin`` as a
    Jenkins checkout has it - it names the targets' inventories); its first commit."""
    ws = tmp_path / "workspace"
    shutil.copytree(REPO / "examples" / "config-repo", ws)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=ws, check=True)
    if origin:
        subprocess.run(["git", "remote", "add", "origin", origin], cwd=ws, check=True)
    return ws, commit(ws, "config")


def test_example_jenkinsfile_on_main_applies_only_the_targets_the_push_changed(
        tmp_path: Path, kubepush_wheel: Path, make_fake_kube: Any) -> None:
    crd = yaml.safe_load((REPO / "examples/config-repo/crds/backup-crd.yaml").read_text())
    staging, production = make_fake_kube(), make_fake_kube()
    for fake in (staging, production):
        fake.simulate(rollouts="complete")
        fake.create(crd)
    ws, previous = config_repo(tmp_path)
    overlay = ws / "overlays" / "staging" / "kustomization.yaml"
    overlay.write_text(overlay.read_text().replace("newTag: 1.4.2", "newTag: 1.4.3"))
    commit(ws, "staging: shop 1.4.3")
    kubeconfig = kubeconfig_for(tmp_path / "kubeconfig", staging=staging, production=production).read_text()
    out = run_pipeline(tmp_path, ws, jenkinsfile=JENKINSFILE, env={
        "BRANCH_NAME": "main", "GIT_PREVIOUS_SUCCESSFUL_COMMIT": previous, "KUBEPUSH_SOURCE": str(kubepush_wheel),
        "KUBEPUSH_PIP_ARGS": "--no-deps --no-index"}, credentials={
        "kubeconfig": {"type": "file", "content": kubeconfig}, "forge-token": {"type": "string", "secret": "t0ken"},
        **EXAMPLE_SOPS_KEY})
    (result,) = out["results"]
    assert result["error"] is None, out["log"]
    assert "[Pipeline] stage (validate)" in out["log"] and "[Pipeline] stage (diff)" not in out["log"]
    assert "kubepush targets: staging" in out["log"] and out["locks"] == ["kubepush-staging"]
    live = staging.get("Deployment", "shop", "shop")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "ghcr.io/acme/shop:1.4.3"
    assert production.count(method="PATCH") == 0
    assert [j["testResults"] for j in out["junit"]] == ["kubepush-reports/validate.junit.xml",
                                                        "kubepush-reports/apply.junit.xml"]
    for secret in ("t0ken", staging.token, production.token):
        assert secret not in out["raw"]


def test_example_jenkinsfile_on_a_pull_request_validates_and_comments_the_rendered_diff(
        tmp_path: Path, kubepush_wheel: Path, fake_gitlab: Any) -> None:
    """A pull request build has no cluster credential at all: the diff is the rendered change against
    the target branch (as Jenkins' checkout has it: origin/<CHANGE_TARGET>), its HTML report archived."""
    from tests.support.fakeforge.rig import make_client

    fake_gitlab.branches.add("feature")
    mr = make_client("gitlab", fake_gitlab).create("feature", "main", "config change", "")
    ws, first = config_repo(tmp_path)
    subprocess.run(["git", "update-ref", "refs/remotes/origin/main", first], cwd=ws, check=True)
    overlay = ws / "overlays" / "staging" / "kustomization.yaml"
    overlay.write_text(overlay.read_text().replace("newTag: 1.4.2", "newTag: 1.4.3"))
    commit(ws, "staging: shop 1.4.3")
    out = run_pipeline(tmp_path, ws, jenkinsfile=JENKINSFILE, env={
        "BRANCH_NAME": "PR-1", "CHANGE_ID": str(mr.number), "CHANGE_TARGET": "main",
        "GIT_URL": f"{fake_gitlab.origin}/octo/app.git", "BUILD_URL": "https://jenkins.example/job/config/job/PR-1/1/",
        "KUBEPUSH_FORGE": "gitlab", "KUBEPUSH_FORGE_URL": fake_gitlab.url, "KUBEPUSH_SOURCE": str(kubepush_wheel),
        "KUBEPUSH_PIP_ARGS": "--no-deps --no-index"}, credentials={
        "forge-token": {"type": "string", "secret": fake_gitlab.token}})
    (result,) = out["results"]
    assert result["error"] is None, out["log"]
    assert "[Pipeline] stage (diff)" in out["log"] and "[Pipeline] stage (apply)" not in out["log"]
    (note,) = [n["body"] for n in fake_gitlab.notes.values() if n["iid"] == mr.number]
    assert "kubepush-section:validate" in note and "kubepush-section:diff" in note  # one sticky comment
    assert "jenkins.example/job/config" in note
    assert "<b>staging</b>: 1 to configure" in note and "ghcr.io/acme/shop:1.4.3" in note
    assert "<b>production</b>" not in note  # not affected by the change: not rendered
    (archived,) = out["archived"]
    assert archived["artifacts"] == "kubepush-reports/diff.html"
    (page,) = archived["files"]
    assert 'data-target="staging"' in Path(page).read_text() and "1.4.3" in Path(page).read_text()
    assert fake_gitlab.token not in out["raw"]


def test_example_jenkinsfile_bumps_when_an_application_build_passes_images(
        tmp_path: Path, kubepush_wheel: Path) -> None:
    ws, _ = config_repo(tmp_path, origin=None)
    out = run_pipeline(tmp_path, ws, jenkinsfile=JENKINSFILE, params={"KUBEPUSH_IMAGES": "ghcr.io/acme/shop:9.9.9"},
                       env={"BRANCH_NAME": "main", "KUBEPUSH_SOURCE": str(kubepush_wheel),
                            "KUBEPUSH_PIP_ARGS": "--no-deps --no-index"},
                       credentials={"forge-token": {"type": "string", "secret": "t0ken"}})
    (result,) = out["results"]
    # the checkout has no forge remote: kubepush bump says so (exit 2) and the build fails with it
    assert result["error"] and "exit 2" in result["error"]
    assert "[Pipeline] stage (bump)" in out["log"] and "[Pipeline] stage (validate)" not in out["log"]


def test_example_jenkinsfile_nightly_reports_drift_and_status_as_unstable(tmp_path: Path, kubepush_wheel: Path,
                                                               make_fake_kube: Any) -> None:
    staging, production = make_fake_kube(), make_fake_kube()  # two clusters, as the example's contexts are
    for fake in (staging, production):
        fake.create(yaml.safe_load((REPO / "examples/config-repo/crds/backup-crd.yaml").read_text()))
    ws, _ = config_repo(tmp_path)
    kubeconfig = kubeconfig_for(tmp_path / "kubeconfig", staging=staging, production=production).read_text()
    out = run_pipeline(tmp_path, ws, jenkinsfile=JENKINSFILE, causes=["hudson.triggers.TimerTrigger$TimerTriggerCause"],
                       env={"BRANCH_NAME": "main", "KUBEPUSH_SOURCE": str(kubepush_wheel),
                            "KUBEPUSH_PIP_ARGS": "--no-deps --no-index"},
                       credentials={"kubeconfig": {"type": "file", "content": kubeconfig}, **EXAMPLE_SOPS_KEY})
    (result,) = out["results"]
    assert result["error"] is None, out["log"]  # drift is reported, the build goes on (unstable)
    assert "[Pipeline] stage (drift)" in out["log"] and "[Pipeline] stage (validate)" not in out["log"]
    assert "WARNING: 10 objects drifted from Git" in out["log"]  # both targets: 5 objects each, missing
    assert [j["testResults"] for j in out["junit"]] == ["kubepush-reports/drift.junit.xml"]  # status has none
    # then the status of each target: never applied, so neither is healthy (reported, the build goes on)
    assert "[Pipeline] stage (status)" in out["log"]
    assert "WARNING: targets that need attention: staging, production" in out["log"]


def test_bump_from_a_registry_with_registry_credentials(tmp_path: Path, kubepush_wheel: Path,
                                                        git_remote_root: Path, htpasswd_registry: Any) -> None:
    from tests.support.config_repo import DEPLOY, FILES
    from tests.support.registry_fixtures import PASSWORD, USERNAME

    htpasswd_registry.pusher().image("acme/shop", "1.9.0")
    image = f"{htpasswd_registry.host}/acme/shop"
    remote = make_remote(git_remote_root, "config.git", {
        **FILES, "base/deploy.yaml": DEPLOY.replace("ghcr.io/acme/shop", image),
        "kubepush.yaml": f"bump:\n  policies:\n    - {{image: {image}, kind: semver, range: '^1'}}\n"})
    config = {"fromRegistry": True, "repo": remote.url, "direct": True, "insecureRegistry": htpasswd_registry.host,
              "registryCredentials": {htpasswd_registry.host: "registry"}, **install(kubepush_wheel)}
    out = run_pipeline(tmp_path, workspace(tmp_path), [
        {"step": "kubepushBump", "config": config},
        {"step": "kubepushBump", "config": {**config, "registryCredentials": {htpasswd_registry.host: "wrong"}}},
    ], credentials={"registry": {"type": "usernamePassword", "username": USERNAME, "password": PASSWORD},
                    "wrong": {"type": "usernamePassword", "username": USERNAME, "password": "n0t-the-Pa55"}},
        env={"HOME": str(tmp_path)})  # no ~/.docker/config.json of the agent
    ok, wrong = out["results"]
    assert ok["error"] is None, out["log"]
    assert ok["result"]["changed"] is True
    assert "image: " + image + ":1.9.0" in remote.read("main", "base/deploy.yaml")  # --direct: on main
    assert "findings (exit 1)" in wrong["error"]  # the registry refused: a finding, not a crash
    for secret in (PASSWORD, "n0t-the-Pa55"):
        assert secret not in out["raw"]
    assert not list((tmp_path / "workspace@tmp").glob("kubepush-docker*"))  # the DOCKER_CONFIG is gone


def test_apply_decrypts_sops_manifests_with_an_age_key_credential(tmp_path: Path, kubepush_wheel: Path,
                                                                   fake_kube: Any, age_key: Any) -> None:
    from tests.support.sops_keys import encrypt, secret

    ws = workspace(tmp_path)
    encrypt(ws / "secrets", "db.yaml", secret(password="pw-KNOWN-jenk1ns0"), recipient=age_key.recipient)
    common = {"paths": "secrets", "kubeconfigCredentialsId": "kubeconfig", **install(kubepush_wheel)}
    out = run_pipeline(tmp_path, ws, [
        {"step": "kubepushApply", "config": {**common, "sopsAgeKeyCredentialsId": "sops-age", "revision": "r1"}},
        {"step": "kubepushApply", "config": {**common, "revision": "r2"}},  # no key: exit 2, nothing sent
    ], credentials={"kubeconfig": kubeconfig_credential(fake_kube),
                    "sops-age": {"type": "string", "secret": age_key.private}})
    applied, keyless = out["results"]
    assert applied["error"] is None, out["log"]
    assert applied["result"]["exitCode"] == 0 and applied["result"]["changed"] is True
    assert base64.b64decode(fake_kube.get("Secret", "default", "db")["data"]["password"]) == b"pw-KNOWN-jenk1ns0"
    assert keyless["result"] is None and "exit 2" in keyless["error"]
    for text in (out["raw"], out["log"]):
        assert age_key.private not in text and "pw-KNOWN-jenk1ns0" not in text
