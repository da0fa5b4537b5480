"""Who runs kubepush and from where: the CI run's URL and the actor, read from the environment once.

A pull request that bump or revert opens links the run that opened it; an apply records the run
on the target's inventory, so ``kubepush status`` can answer "who deployed this" with a link a
reviewer can click. Each CI system says it in its own variables (documented by each):

* GitHub Actions: ``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``/``actions/runs/GITHUB_RUN_ID``
  and ``GITHUB_ACTOR``
  (https://docs.github.com/en/actions/reference/variables-reference#default-environment-variables);
* GitLab CI: ``CI_JOB_URL`` (the job, more precise than ``CI_PIPELINE_URL``) and ``GITLAB_USER_LOGIN``
  (https://docs.gitlab.com/ci/variables/predefined_variables/);
* Jenkins: ``BUILD_URL``, and ``BUILD_USER_ID`` where the build-user-vars plugin sets it.

Outside CI there is no run URL; the actor is the login name
(``LOGNAME``/``USER``, as ``getpass`` reads it; never a credential).
"""

from __future__ import annotations

import os
from collections.abc import Mapping


def run_url(env: Mapping[str, str] | None = None) -> str:
    """The URL of the CI run (job or build) kubepush runs in, ``""`` outside CI."""
    env = os.environ if env is None else env
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL") or env.get("BUILD_URL") or ""


def actor(env: Mapping[str, str] | None = None) -> str:
    """Who started the run: the CI system's user, else the local login name (``""`` when unknown)."""
    env = os.environ if env is None else env
    for name in ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_USER_ID", "LOGNAME", "USER"):
        if env.get(name):
            return env[name]
    return ""
