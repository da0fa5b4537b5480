"""The one CI spec (src/kubepush/ci/spec.json): the files generated from it are current, every
integration declares the same inputs, and every integration hands back the same derived outputs
(computed once, kubepush.ci.results) - what tests/integration/ci/test_action_act.py, tests/integration/ci/test_gitlab.py and
tests/integration/ci/test_jenkins.py then see for real."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubepush.ci import generate, gitlab, jenkins, results, spec

REPO = Path(__file__).resolve().parents[3]
COMMANDS = ("validate", "diff", "apply", "drift", "bump", "revert")
#: what only GitLab has: job placement and install (Jenkins: node, lock, kubepushSource/pipArgs)
GITLAB_ONLY = {"stage", "job-name", "rules", "job-image", "kubepush-source", "pip-args", "environment"}
#: what every step takes besides its command's flags
SHARED = {"working-directory", "args", "fail-on-findings", "comment"}
DIFF_REPORT = {"summary": {"errors": 0, "warnings": 3},
               "findings": [{"rule": r} for r in ("drift", "missing", "extra", "in-sync", "owned-elsewhere")]}


def generate_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubepush.ci.generate", "--check"], cwd=root, capture_output=True,
                          text=True, check=False)


def copy_generated_files(root: Path) -> None:
    for part in ("action.yml", "actions", "gitlab", "jenkins"):
        (shutil.copytree if (REPO / part).is_dir() else shutil.copy)(REPO / part, root / part)


def test_the_generated_files_are_current() -> None:
    proc = generate_check(REPO)
    assert proc.returncode == 0, proc.stderr


def test_the_check_names_a_stale_file_and_generating_fixes_it(tmp_path: Path) -> None:
    copy_generated_files(tmp_path)
    template = tmp_path / "gitlab" / "templates" / "diff.yml"
    template.write_text(template.read_text().replace('KP_CONTEXT: "$[[ inputs.context ]]"\n', ""))
    (tmp_path / "actions" / "drift" / "action.yml").write_text("name: edited by hand\n")
    proc = generate_check(tmp_path)
    assert proc.returncode == 1
    assert "gitlab/templates/diff.yml" in proc.stderr and "actions/drift/action.yml" in proc.stderr
    assert subprocess.run([sys.executable, "-m", "kubepush.ci.generate"], cwd=tmp_path, check=False).returncode == 0
    assert generate_check(tmp_path).returncode == 0
    assert template.read_text() == (REPO / "gitlab" / "templates" / "diff.yml").read_text()


def test_an_unknown_generated_block_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    copy_generated_files(tmp_path)
    library = tmp_path / "jenkins" / "vars" / "kubepush.groovy"
    library.write_text(library.read_text() + "// >>> bogus\n// <<< bogus\n")
    proc = generate_check(tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "kubepush.groovy: unknown generated block 'bogus'" in proc.stderr


def test_outside_the_repository_the_generator_is_a_usage_error(tmp_path: Path) -> None:
    proc = generate_check(tmp_path)
    assert proc.returncode == 2 and "not the kubepush repository" in proc.stderr


def gitlab_inputs(command: str) -> set[str]:
    header, _ = yaml.safe_load_all((REPO / "gitlab" / "templates" / f"{command}.yml").read_text())
    return set(header["spec"]["inputs"]) - GITLAB_ONLY - SHARED


@pytest.mark.parametrize("command", COMMANDS)
def test_gitlab_takes_every_input_the_spec_maps(command: str) -> None:
    """(Jenkins' table is generated from the same list: the check above keeps it current.)"""
    assert {flag.input for flag in spec.flags(command)} == gitlab_inputs(command)


def test_jenkins_takes_registry_logins_as_credentials_not_as_an_option() -> None:
    groovy = (REPO / "jenkins" / "vars" / "kubepush.groovy").read_text()
    assert "registryAuth" not in groovy and "registryCredentials" in groovy
    assert "insecureRegistry: ['list', '--insecure-registry']" in groovy


@pytest.mark.parametrize("command", ("diff", "drift"))
def test_diff_and_drift_hand_back_the_drift_count_on_every_platform(command: str) -> None:
    """GitLab and Jenkins had a drift count the Action lacked: one computation, declared everywhere."""
    derived = results.derive(command, DIFF_REPORT)
    assert derived["drift-count"] == 3 and derived["drifted"] is True
    assert derived["findings"] == 3 and derived.get("changed", True) is True
    action = yaml.safe_load((REPO / "actions" / command / "action.yml").read_text())
    assert set(derived) <= set(action["outputs"]), "the action must declare every derived output"
    assert gitlab.dotenv(command, derived)[f"KUBEPUSH_{command.upper()}_DRIFT_COUNT"] == "3"
    step = jenkins.step_result(command, 1, json.dumps(DIFF_REPORT))["result"]
    assert step["driftCount"] == 3 and step["drifted"] is True and step["exitCode"] == 1
    assert step["report"] == DIFF_REPORT


def test_jenkins_gets_an_empty_result_for_no_or_broken_json() -> None:
    for text in ("", "{not json"):
        step = jenkins.step_result("bump", 2, text)
        assert step["result"]["exitCode"] == 2 and step["result"]["prUrl"] == "" and step["result"]["report"] == {}
        assert step["log"] == []  # no "up to date" for a bump that failed


@pytest.mark.parametrize("command", ("validate", "apply", "bump", "revert"))
def test_every_action_declares_what_its_command_derives(command: str) -> None:
    action = yaml.safe_load((REPO / "actions" / command / "action.yml").read_text())
    assert set(results.derive(command, {})) <= set(action["outputs"])


def test_a_bump_result_becomes_the_same_outputs_and_log_lines() -> None:
    result = {"changed": True, "upToDate": 0, "findings": [],
              "groups": [{"branch": "kubepush/bump-web", "status": "opened",
                          "pullRequest": {"number": 7, "url": "https://forge.example/pr/7"},
                          "updates": [{"file": "web.yaml", "line": 3, "image": "web", "old": "1.0", "new": "1.1"}]}]}
    assert results.derive("bump", result) == {
        "changed": True, "pr-number": 7, "pr-url": "https://forge.example/pr/7",
        "pr-urls": ["https://forge.example/pr/7"], "branches": ["kubepush/bump-web"], "findings": 0}
    assert results.pull_request_lines("bump", result, "merge request !") == [
        "web.yaml:3: web 1.0 -> 1.1", "kubepush/bump-web: opened, merge request !7 https://forge.example/pr/7"]
    assert results.pull_request_lines("bump", {"groups": [], "upToDate": 4}) == [
        "kubepush bump: up to date (4 image references current)"]


def test_a_bad_boolean_input_is_a_usage_error_naming_the_input() -> None:
    with pytest.raises(spec.BadInput, match="input heal: expected true or false, got 'yes'"):
        spec.build_argv("drift", lambda n: {"heal": "yes"}.get(n, ""))


def test_the_mapping_follows_the_spec() -> None:
    values = {"target": "a, b", "paths": "x,y.yaml\nz.yaml", "wait": "false", "fail-on-drift": "", "strict": "false"}
    argv, positional = spec.build_argv("apply", lambda n: values.get(n, ""), "-v --dry-run")
    assert argv == ["apply", "--target", "a", "--target", "b", "--no-wait", "-v", "--dry-run"]
    assert positional == ["x,y.yaml", "z.yaml"]
    assert spec.build_argv("diff", lambda n: "")[0] == ["diff", "--no-fail-on-drift"]  # a preview does not fail
    assert spec.build_argv("validate", lambda n: values.get(n, ""))[0][-1] == "--no-strict"
    assert generate.GENERATED in (REPO / "action.yml").read_text()
