"""The three integrations take the same inputs: the GitLab templates' (kebab-case), the Jenkins
steps' options (camelCase) and, when present, the GitHub Action's flag table, per command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ("validate", "diff", "apply", "drift", "bump", "revert")
#: what only GitLab has: job placement and install (Jenkins: node, lock, kubepushSource/pipArgs)
GITLAB_ONLY = {"stage", "job-name", "rules", "job-image", "kubepush-source", "pip-args", "environment"}
#: what every step takes besides its command's flags, on both
SHARED = {"working-directory", "args", "fail-on-findings", "comment"}


def gitlab_inputs(command: str) -> set[str]:
    header, _ = yaml.safe_load_all((REPO / "gitlab" / "templates" / f"{command}.yml").read_text())
    return set(header["spec"]["inputs"]) - GITLAB_ONLY - SHARED


def jenkins_inputs() -> dict[str, set[str]]:
    source = (REPO / "jenkins" / "vars" / "kubepush.groovy").read_text()
    block = source[source.index("final Map INPUTS = ["):]
    block = block[:block.index("\n]\n")]
    return {m[1]: set(re.findall(r"'(\w+)'", m[2])) for m in re.finditer(r"(\w+): \[([^\]]*)\]", block)}


def camel(name: str) -> str:
    head, *rest = name.split("-")
    return head + "".join(part.title() for part in rest)


#: secrets: a masked CI/CD variable on GitLab, a credential id on Jenkins (bound with withCredentials)
AS_CREDENTIALS = {"registryAuth"}


@pytest.mark.parametrize("command", COMMANDS)
def test_gitlab_and_jenkins_take_the_same_inputs(command: str) -> None:
    assert {camel(name) for name in gitlab_inputs(command)} - AS_CREDENTIALS == jenkins_inputs()[command]
    assert "registryCredentials" in (REPO / "jenkins" / "vars" / "kubepush.groovy").read_text()


@pytest.mark.parametrize("command", COMMANDS)
def test_gitlab_takes_every_input_of_the_github_action(command: str) -> None:
    github = pytest.importorskip("kubepush.ci.github", reason="the GitHub Action's module is not in this tree")
    assert {flag.input for flag in github.FLAGS[command]} == gitlab_inputs(command)
