"""The GitHub Actions' files, checked statically: SchemaStore schemas (via check-jsonschema's
vendored copies), one step layout for all actions, inputs only through env, and the input ->
flag table of kubepush.ci.spec agreeing with what each action declares."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from kubepush.ci import spec

ROOT = Path(__file__).resolve().parents[3]
ACTIONS = {"kubepush": ROOT / "action.yml",
           **{p.parent.name: p for p in sorted((ROOT / "actions").glob("*/action.yml"))}}
WORKFLOWS = sorted((ROOT / "examples" / "github").glob("*.yml"))
#: inputs kubepush.ci.github reads itself (not flags in the spec)
HANDLED = {"working-directory", "args", "token", "comment", "summary", "fail-on-findings", "annotations",
           "sarif-path", "kubeconfig", "sops-age-key", "command"}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_actions_and_example_workflows_match_the_schemastore_schemas():
    assert set(ACTIONS) == {"kubepush", "validate", "bump", "apply", "drift", "diff", "revert", "status"}
    assert {p.stem for p in WORKFLOWS} == {"validate", "diff", "bump", "apply", "apply-ordered", "drift", "revert",
                                           "status"}
    for schema, files in (("vendor.github-actions", ACTIONS.values()), ("vendor.github-workflows", WORKFLOWS)):
        proc = subprocess.run(["check-jsonschema", "--builtin-schema", schema, *map(str, files)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schema_check_catches_a_broken_action(tmp_path):
    """The lint above can fail: an action without runs.using is rejected."""
    broken = tmp_path / "action.yml"
    data = load(ACTIONS["validate"])
    del data["runs"]["using"]
    broken.write_text(yaml.safe_dump(data))
    proc = subprocess.run(["check-jsonschema", "--builtin-schema", "vendor.github-actions", str(broken)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "using" in proc.stdout


def normalised_steps(name: str) -> str:
    text = yaml.safe_dump(load(ACTIONS[name])["runs"]["steps"])
    lib = "actions/_lib" if name == "kubepush" else "../_lib"
    return text.replace(lib, "LIB").replace("${{ inputs.command }}" if name == "kubepush" else name, "COMMAND")


@pytest.mark.parametrize("name", [n for n in ACTIONS if n != "kubepush"])
def test_every_action_runs_the_same_steps(name):
    assert normalised_steps(name) == normalised_steps("kubepush")


@pytest.mark.parametrize("name", list(ACTIONS))
def test_inputs_reach_scripts_through_env_only(name):
    action = load(ACTIONS[name])
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"{name}: step {step.get('id')} splices an expression into shell"
        assert not step.get("uses", "").startswith("./"), "uses: ./ resolves against the caller's workspace"
    env = next(s for s in action["runs"]["steps"] if s.get("id") == "run")["env"]
    assert env["KUBEPUSH_INPUTS"] == "${{ toJSON(inputs) }}"
    for output in action["outputs"].values():
        assert output["value"].startswith("${{ steps.run.outputs.")


@pytest.mark.parametrize("name", [n for n in ACTIONS if n != "kubepush"])
def test_declared_inputs_and_the_flag_table_agree(name):
    declared = set(load(ACTIONS[name])["inputs"])
    mapped = {flag.input for flag in spec.flags(name)}
    assert mapped <= declared, f"{name}: flags for undeclared inputs {mapped - declared}"
    assert declared <= mapped | HANDLED, f"{name}: inputs nothing reads {declared - mapped - HANDLED}"
    root = set(load(ACTIONS["kubepush"])["inputs"])
    assert declared <= root, f"the root action lacks {declared - root}"
    assert set(load(ACTIONS[name])["outputs"]) <= set(load(ACTIONS["kubepush"])["outputs"])


def test_example_workflows_use_the_published_actions():
    uses = {s["uses"].split("@")[0] for w in WORKFLOWS for job in load(w)["jobs"].values()
            for s in job["steps"] if "uses" in s}
    assert {"kubepush/kubepush", "kubepush/kubepush/actions/validate", "kubepush/kubepush/actions/diff",
            "kubepush/kubepush/actions/apply", "kubepush/kubepush/actions/drift",
            "kubepush/kubepush/actions/bump", "kubepush/kubepush/actions/revert",
            "github/codeql-action/upload-sarif"} <= uses
