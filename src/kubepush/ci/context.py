"""What a CI run says about itself: the pull request it runs for, the repository, the forge
and its API, and a link to the run - so ``kubepush comment`` needs no flags in CI.

GitHub Actions: ``GITHUB_EVENT_PATH`` (the event payload; ``pull_request.number`` for
``pull_request``/``pull_request_target`` events), ``GITHUB_SERVER_URL``/``GITHUB_REPOSITORY``,
``GITHUB_API_URL`` (right for GitHub Enterprise Server too). GitLab CI (merge-request
pipelines): ``CI_MERGE_REQUEST_IID``, ``CI_PROJECT_URL``, ``CI_API_V4_URL``, ``CI_JOB_URL``.
Jenkins (multibranch): ``CHANGE_ID``, ``GIT_URL``, ``BUILD_URL``.

The base a change is previewed against (``kubepush diff --rendered``): GitHub's
``pull_request.base.sha`` of the event (else ``origin/$GITHUB_BASE_REF``), GitLab's
``CI_MERGE_REQUEST_DIFF_BASE_SHA`` (the merge base GitLab's own diff uses), Jenkins'
``origin/$CHANGE_TARGET``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubepush.errors import UsageError
from kubepush.provenance import run_url


@dataclass(frozen=True)
class CIContext:
    """Empty strings / ``None`` where the environment does not say."""

    pr: int | None = None
    repo_url: str = ""
    forge: str | None = None
    api_url: str = ""
    run_url: str = ""
    #: the revision the pull request is compared with ("" when the run is not for one)
    base: str = ""


def detect(env: Mapping[str, str] | None = None) -> CIContext:
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_EVENT_PATH"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        repo = env.get("GITHUB_REPOSITORY", "")
        event = _github_event(env.get("GITHUB_EVENT_PATH", ""))
        base = _github_base(event) or (f"origin/{env['GITHUB_BASE_REF']}" if env.get("GITHUB_BASE_REF") else "")
        return CIContext(_github_pr(event), f"{server}/{repo}" if repo else "", "github",
                         env.get("GITHUB_API_URL", ""), run_url(env), base)
    if env.get("GITLAB_CI") or env.get("CI_MERGE_REQUEST_IID"):
        return CIContext(_number(env.get("CI_MERGE_REQUEST_IID", ""), "CI_MERGE_REQUEST_IID"),
                         env.get("CI_PROJECT_URL", ""), "gitlab", env.get("CI_API_V4_URL", ""),
                         run_url(env),
                         env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", ""))
    if env.get("JENKINS_URL") or env.get("CHANGE_ID"):
        return CIContext(_number(env.get("CHANGE_ID", ""), "CHANGE_ID"), env.get("GIT_URL", ""), None, "",
                         run_url(env),
                         f"origin/{env['CHANGE_TARGET']}" if env.get("CHANGE_TARGET") else "")
    return CIContext()


def _number(value: str, name: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise UsageError(f"{name}={value!r} is not a pull request number")
    return int(value)


def _github_event(path: str) -> dict[str, Any]:
    """The event payload (empty when there is none)."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError) as exc:
        raise UsageError(f"GITHUB_EVENT_PATH {path}: cannot read the event payload: {exc}") from None
    return event if isinstance(event, dict) else {}


def _github_pull(event: dict[str, Any]) -> dict[str, Any]:
    """``pull_request`` of the event (``issue`` for a comment on a pull request, ``issue_comment``)."""
    pull, issue = event.get("pull_request"), event.get("issue")
    if not isinstance(pull, dict) and isinstance(issue, dict) and issue.get("pull_request"):
        pull = issue
    return pull if isinstance(pull, dict) else {}


def _github_pr(event: dict[str, Any]) -> int | None:
    """``pull_request.number`` of the event; ``None`` for events without a pull request."""
    number = _github_pull(event).get("number")
    return number if isinstance(number, int) else None


def _github_base(event: dict[str, Any]) -> str:
    base = _github_pull(event).get("base")
    sha = base.get("sha") if isinstance(base, dict) else None
    return sha if isinstance(sha, str) else ""
