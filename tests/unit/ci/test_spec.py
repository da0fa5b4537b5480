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

from kubepush.ci import generate, github, gitlab, jenkins, results, spec

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
    template = tmp_path / "gitlab" / "templates" / "diff.yml"
    template.write_text(template.read_text() + "# >>> bogus\n# <<< bogus\n")
    proc = generate_check(tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "gitlab/templates/diff.yml: unknown generated block 'bogus'" in proc.stderr


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


def test_jenkins_takes_registry_logins_as_credentials_not_as_an_option(tmp_path: Path) -> None:
    takes = jenkins.options("bump")
    assert "registryAuth" not in takes and "registryCredentials" in takes and "insecureRegistry" in takes
    config = {"insecureRegistry": ["a.test:5000", "b.test"], "registryCredentials": {"a.test:5000": "id"}}
    assert jenkins.step_argv("bump", config, tmp_path)[1:5] == [
        "--insecure-registry", "a.test:5000", "--insecure-registry", "b.test"]
    with pytest.raises(spec.BadInput, match="unknown option.s. registryAuth; it takes config, target, image"):
        jenkins.step_argv("bump", {"registryAuth": "a.test=u:p"}, tmp_path)


@pytest.mark.parametrize("command", spec.commands())
def test_every_jenkins_step_help_names_the_options_the_step_takes(command: str) -> None:
    """The runner accepts exactly jenkins.options(command); the Snippet Generator's help names them
    (kubepushTargets: its own and where kubepush comes from - the other shared options do nothing there)."""
    help_text = (REPO / "jenkins" / "vars" / f"kubepush{command.title()}.txt").read_text()
    own = [spec.camel(f.input) for f in spec.flags(command)]
    named = own + ["workingDirectory", "kubepushSource", "pipArgs"] if command == "targets" else jenkins.options(command)
    assert [name for name in named if f"<code>{name}</code>" not in help_text] == []


def test_the_three_runners_map_the_same_inputs_to_the_same_arguments(tmp_path: Path) -> None:
    """One mapping (kubepush.ci.spec.build_argv): the Action's and GitLab's text, Jenkins' Groovy values."""
    text = {"target": "a, b", "paths": "x.yaml\ny.yaml", "timeout": "60", "wait": "false",
            "rollback-on-failure": "true", "args": "-v"}
    jenkins_config = {"target": ["a", "b"], "paths": "x.yaml\ny.yaml", "timeout": 60, "wait": False,
                      "rollbackOnFailure": True, "args": "-v"}
    action = github.build_argv("apply", github.Inputs(text))
    lab, positional = spec.build_argv("apply", lambda n: gitlab.value(n, gitlab_env(text)),
                                      gitlab.value("args", gitlab_env(text)))
    step = jenkins.step_argv("apply", jenkins_config, tmp_path)
    flags = ["apply", "--target", "a", "--target", "b", "--timeout", "60", "--no-wait", "--rollback-on-failure", "-v"]
    assert action == lab + ["--", *positional] == flags + ["--", "x.yaml", "y.yaml"]
    assert step[:len(flags)] == flags and step[-3:] == ["--", "x.yaml", "y.yaml"]
    assert f"json={tmp_path}/apply.json" in step
    quoted = {"args": "--disable 'a b'"}  # args split like a shell does, everywhere
    assert spec.build_argv("validate", lambda n: "", quoted["args"])[0] == ["validate", "--disable", "a b"]
    assert jenkins.step_argv("validate", quoted, tmp_path)[1:3] == ["--disable", "a b"]
    assert jenkins.step_argv("validate", {"args": ["--disable", "a b"]}, tmp_path)[1:3] == ["--disable", "a b"]


def gitlab_env(inputs: dict[str, str]) -> dict[str, str]:
    return {"KP_" + name.upper().replace("-", "_"): value for name, value in inputs.items()}


def test_a_bad_boolean_is_the_same_error_on_every_platform(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = "input {}: expected true or false, got 'maybe'"
    with pytest.raises(spec.BadInput, match=message.format("rollback-on-failure")):
        spec.build_argv("apply", lambda n: gitlab.value(n, {"KP_ROLLBACK_ON_FAILURE": "maybe"}))
    with pytest.raises(SystemExit):
        github.build_argv("apply", github.Inputs({"rollback-on-failure": "maybe"}))
    assert message.format("rollback-on-failure") in capsys.readouterr().out  # the Action's ::error annotation
    with pytest.raises(spec.BadInput, match=message.format("rollbackOnFailure")):
        jenkins.step_argv("apply", {"rollbackOnFailure": "maybe"}, tmp_path)
    with pytest.raises(spec.BadInput, match=message.format("failOnFindings")):
        jenkins.step_argv("apply", {"failOnFindings": "maybe"}, tmp_path)


def test_an_unclosed_quote_in_args_is_a_usage_error_not_a_traceback() -> None:
    with pytest.raises(spec.BadInput, match="input args: No closing quotation in \"-l 'app=web\""):
        spec.build_argv("diff", lambda n: "", "-l 'app=web")


def test_jenkins_reports_a_bad_option_as_the_step_error_without_running_kubepush(tmp_path: Path) -> None:
    step = jenkins.run("drift", tmp_path / "reports", {"KP_CONFIG": json.dumps({"heal": "yes"}), "PATH": ""})
    assert step == {"result": None, "junit": False,
                    "error": "kubepush: input heal: expected true or false, got 'yes'"}
    assert not (tmp_path / "reports").exists()
    step = jenkins.run("deploy", tmp_path, {"KP_CONFIG": "{}"})
    assert step["error"] == "kubepush: command must be one of validate, diff, drift, status, apply, bump, revert, targets, got deploy"


@pytest.mark.parametrize("command", ("diff", "drift"))
def test_diff_and_drift_hand_back_the_drift_count_on_every_platform(command: str) -> None:
    """GitLab and Jenkins had a drift count the Action lacked: one computation, declared everywhere."""
    derived = results.derive(command, DIFF_REPORT)
    assert derived["drift-count"] == 3 and derived["drifted"] is True
    assert derived["findings"] == 3 and derived.get("changed", True) is True
    action = yaml.safe_load((REPO / "actions" / command / "action.yml").read_text())
    assert set(derived) <= set(action["outputs"]), "the action must declare every derived output"
    assert gitlab.dotenv(command, derived)[f"KUBEPUSH_{command.upper()}_DRIFT_COUNT"] == "3"
    step = jenkins.step_result(command, 1, json.dumps(DIFF_REPORT))
    assert step["driftCount"] == 3 and step["drifted"] is True and step["exitCode"] == 1
    assert step["report"] == DIFF_REPORT


def test_jenkins_gets_an_empty_result_for_no_or_broken_json() -> None:
    for text in ("", "{not json"):
        step = jenkins.step_result("bump", 2, text)
        assert step["exitCode"] == 2 and step["prUrl"] == "" and step["report"] == {}
        assert results.pull_request_lines("bump", step["report"]) == []  # no "up to date" for a bump that failed
        assert jenkins.failure("bump", step, False) == "kubepush bump: usage or environment error (exit 2), see the log above"


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


def test_a_diff_plan_counts_as_changed_and_what_apply_leaves_behind_only_as_drift() -> None:
    """diff's entries are a plan (create/configure/prune), no longer drift: CI still sees them."""
    plan = {"summary": {"errors": 0, "warnings": 1},
            "findings": [{"rule": r} for r in ("create", "configure", "prune", "unchanged", "extra")]}
    derived = results.derive("diff", plan)
    assert derived["changed"] is True and derived["drift-count"] == 4 and derived["drifted"] is True
    left = results.derive("diff", {"findings": [{"rule": "extra"}, {"rule": "unchanged"}]})
    assert left["changed"] is False and left["drift-count"] == 1
