"""kubepush.ci.github, the Python half of the actions: inputs -> flags, outputs, summary, masks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kubepush.ci import github
from kubepush.ci.context import detect


def argv(command: str, **inputs: str) -> list[str]:
    return github.build_argv(command, github.Inputs(inputs))


def test_inputs_become_flags_without_a_shell():
    assert argv("validate", target="staging, production", strict="false", crds="crds\nmore crds",
                args="--disable 'deprecated-api' -v", paths="a b/\nc") == [
        "validate", "--target", "staging", "--target", "production", "--no-strict", "--crd", "crds",
        "--crd", "more crds", "--disable", "deprecated-api", "-v", "--", "a b/", "c"]
    assert argv("validate", strict="") == ["validate"], "empty: kubepush.yaml decides"
    assert argv("apply", wait="false", timeout="60") == ["apply", "--timeout", "60", "--no-wait"]
    assert argv("apply", wait="true") == ["apply"]


def test_diff_is_a_preview_by_default_and_drift_is_not():
    assert argv("diff") == ["diff", "--no-fail-on-drift"]
    assert argv("diff", **{"fail-on-drift": "true"}) == ["diff", "--fail-on-drift"]
    assert argv("drift") == ["drift"]
    assert argv("drift", heal="true", **{"fail-on-drift": "false"}) == ["drift", "--no-fail-on-drift", "--heal"]


def test_a_hostile_input_stays_one_argument():
    assert argv("bump", image="ghcr.io/a/b:1; rm -rf / $(id)") == ["bump", "--image", "ghcr.io/a/b:1; rm -rf / $(id)"]


def test_outputs_take_any_value_and_summary_appends(tmp_path):
    out, summary = tmp_path / "out", tmp_path / "summary"
    summary.write_text("## from an earlier step\n")
    env = {"GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    github.set_outputs({"changed": True, "branches": ["a", "b"], "text": "line 1\nline 2"}, env)
    github.append_summary("## kubepush\n", env)
    parsed, lines = {}, out.read_text().splitlines()
    while lines:  # the runner's heredoc reading: NAME<<DELIM, value lines, DELIM
        name, delimiter = lines.pop(0).split("<<")
        end = lines.index(delimiter)
        parsed[name], lines = "\n".join(lines[:end]), lines[end + 1:]
    assert parsed == {"changed": "true", "branches": '["a", "b"]', "text": "line 1\nline 2"}
    assert summary.read_text() == "## from an earlier step\n## kubepush\n\n"


def test_kubeconfig_credentials_are_masked_not_its_structure(capsys):
    github.mask_kubeconfig("apiVersion: v1\nusers:\n- name: ci\n  user:\n    token: abc.def-123\n"
                           "    client-key-data: S0VZ\n")
    masked = capsys.readouterr().out.splitlines()
    assert masked == ["::add-mask::abc.def-123", "::add-mask::S0VZ"]


def test_bad_boolean_input_is_an_error_annotation_and_exit_2(tmp_path):
    env = {"KUBEPUSH_COMMAND": "validate", "KUBEPUSH_INPUTS": json.dumps({"strict": "yes please"}),
           "RUNNER_TEMP": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "kubepush.ci.github"], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stdout.startswith("::error title=kubepush::input strict: expected true or false")


@pytest.mark.parametrize(("inputs", "code"), [({"command": "deploy"}, 2), ({"command": "validate",
                                                                              "working-directory": "/nonexistent"}, 2)])
def test_unknown_command_or_directory_fails_with_an_annotation(inputs, code, tmp_path):
    env = {"KUBEPUSH_INPUTS": json.dumps(inputs), "RUNNER_TEMP": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "kubepush.ci.github"], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == code and proc.stdout.startswith("::error title=kubepush::")


def test_findings_with_fail_on_findings_false_report_but_pass(tmp_path):
    manifest = tmp_path / "m.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndataa: {}\n")
    out, summary = tmp_path / "out", tmp_path / "summary"
    env = {"KUBEPUSH_COMMAND": "validate", "RUNNER_TEMP": str(tmp_path), "PATH": "/usr/bin:/bin",
           "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(tmp_path),
           "KUBEPUSH_INPUTS": json.dumps({"paths": str(manifest), "fail-on-findings": "false",
                                          "working-directory": str(tmp_path)})}
    proc = subprocess.run([sys.executable, "-m", "kubepush.ci.github"], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "::error file=m.yaml,line=5,col=1,title=kubepush schema-unknown-field::" in proc.stdout
    assert "::notice title=kubepush validate::findings reported; not failing" in proc.stdout
    assert "exit-code<<" in out.read_text() and "\n1\n" in out.read_text()
    assert "kubepush validate failed" in summary.read_text()


def test_github_context_reads_the_event(tmp_path):
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}))
    ctx = detect({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event), "GITHUB_SERVER_URL": "https://ghe.corp",
                  "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": "https://ghe.corp/api/v3", "GITHUB_RUN_ID": "5"})
    assert (ctx.pr, ctx.repo_url, ctx.forge, ctx.api_url, ctx.run_url) == (
        12, "https://ghe.corp/o/r", "github", "https://ghe.corp/api/v3", "https://ghe.corp/o/r/actions/runs/5")
    event.write_text(json.dumps({"issue": {"number": 3, "pull_request": {"url": "x"}}, "comment": {}}))
    assert detect({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event)}).pr == 3
    event.write_text(json.dumps({"issue": {"number": 4}}))
    assert detect({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event)}).pr is None, "a plain issue"
    assert detect({"JENKINS_URL": "x", "CHANGE_ID": "7", "GIT_URL": "https://gitea.corp/o/r.git"}).pr == 7
    assert detect({}).pr is None


def test_the_sops_age_key_input_is_masked_first_and_decrypts_for_the_step(tmp_path, age_key):
    from tests.support.sops_keys import encrypt, secret

    encrypt(tmp_path / "m", "s.yaml", {**secret(password="pw-KNOWN-c0ffee11"), "typo": 1}, recipient=age_key.recipient)
    env = {"KUBEPUSH_COMMAND": "validate", "RUNNER_TEMP": str(tmp_path), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path), "GITHUB_WORKSPACE": str(tmp_path), "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
           "KUBEPUSH_INPUTS": json.dumps({"paths": "m", "working-directory": str(tmp_path),
                                          "sops-age-key": age_key.path.read_text()})}
    proc = subprocess.run([sys.executable, "-m", "kubepush.ci.github"], env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert f"::add-mask::{age_key.private}" in lines[:3]  # before anything else is printed
    rest = "\n".join(line for line in lines if not line.startswith("::add-mask::")) + proc.stderr
    assert age_key.private not in rest and "pw-KNOWN-c0ffee11" not in rest
    assert "schema-unknown-field" in rest and "sops-not-decrypted" not in rest  # validated decrypted
