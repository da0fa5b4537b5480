"""The CI run a kubepush run belongs to, from each CI system's own variables."""

from __future__ import annotations

import pytest

from kubepush.provenance import actor, run_url


@pytest.mark.parametrize("env, url", [
    ({"GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "acme/config"}, "https://github.com/acme/config/actions/runs/42"),
    ({"GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "acme/config", "GITHUB_SERVER_URL": "https://ghe.example/"},
     "https://ghe.example/acme/config/actions/runs/42"),
    ({"CI_JOB_URL": "https://gitlab.example/a/-/jobs/7", "CI_PIPELINE_URL": "https://gitlab.example/a/-/pipelines/3"},
     "https://gitlab.example/a/-/jobs/7"),
    ({"CI_PIPELINE_URL": "https://gitlab.example/a/-/pipelines/3"}, "https://gitlab.example/a/-/pipelines/3"),
    ({"BUILD_URL": "https://jenkins.example/job/config/12/"}, "https://jenkins.example/job/config/12/"),
    ({"GITHUB_REPOSITORY": "acme/config"}, ""),  # not a run: no run id
    ({}, ""),
])
def test_run_url(env: dict[str, str], url: str) -> None:
    assert run_url(env) == url


@pytest.mark.parametrize("env, who", [
    ({"GITHUB_ACTOR": "alice", "USER": "runner"}, "alice"),
    ({"GITLAB_USER_LOGIN": "bob", "LOGNAME": "root"}, "bob"),
    ({"BUILD_USER_ID": "carol"}, "carol"),
    ({"LOGNAME": "dave", "USER": "other"}, "dave"),
    ({}, ""),
])
def test_actor(env: dict[str, str], who: str) -> None:
    assert actor(env) == who
