"""A config repository for the bump, revert and CI-wrapper tests: its files (a Deployment in a base,
a staging overlay that pins the tag, kubepush.yaml naming both targets), the environment without
the CI variables of the machine the tests run on, the remote's branches as a fake forge sees them,
and ``github_rig``: that repository behind smart HTTP with a token, and a fake GitHub.

Test modules load the fixture with ``pytest_plugins = ["tests.support.config_repo"]``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.git_fixtures import GitHTTPServer, make_remote

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
        - name: shop
          image: ghcr.io/acme/shop:1.4.1  # pinned by the app pipeline
        - name: proxy
          image: "nginx:1.25.3"
"""
KUSTOMIZATION = "resources:\n  - ../../base\nimages:\n  - name: ghcr.io/acme/shop\n    newTag: 1.4.1\n"
CONFIG = """targets:
  - name: staging
    path: overlays/staging
  - name: base
    path: base
"""
FILES = {"kubepush.yaml": CONFIG, "base/deploy.yaml": DEPLOY, "base/kustomization.yaml": "resources: [deploy.yaml]\n",
         "overlays/staging/kustomization.yaml": KUSTOMIZATION}


def env_with(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "GIT_", "CI_"))}
    return {**base, **extra}


class RemoteBranches:
    """The fake forge's branch list, read live from the bare repository (as the real forge would)."""

    def __init__(self, remote) -> None:  # type: ignore[no-untyped-def]
        self.remote = remote

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.remote.sha(name) is not None

    def update(self, names) -> None:  # type: ignore[no-untyped-def]
        raise AssertionError("branches come from the git remote here")


@pytest.fixture
def github_rig(git_remote_root: Path, fake_github):  # type: ignore[no-untyped-def]
    remote = make_remote(git_remote_root, "octo/app.git", FILES)
    fake_github.branches = RemoteBranches(remote)
    server = GitHTTPServer(git_remote_root, user="x-access-token", token=fake_github.token).start()
    yield remote, server, fake_github
    server.stop()
