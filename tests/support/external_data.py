"""Test data that does not live in this repository, found through one environment variable.

``KUBEPUSH_TEST_DATA`` names a directory holding:

- ``corpus/real/``: real-world manifests from public repositories, with kubeconform's verdict on
  every document (``EXPECTED-kubeconform.json``) and Renovate's image extraction
  (``EXPECTED-renovate-images.json``);
- ``corpus/mutated/``: one realistic mistake per file, ``MUTATIONS.json`` naming the line a good
  validator points at;
- ``contracts/``: the GitHub, GitLab and Gitea REST API descriptions (``github.json`` ...) the
  fake forges check every request and answer against.

The data is large and comes from other projects, under their licences. A test that needs a part skips,
naming the variable and the part, when it is missing; ``.ci/run`` sets the variable, so CI runs
them all (see CONTRIBUTING.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV = "KUBEPUSH_TEST_DATA"


def require(part: str) -> Path:
    """``$KUBEPUSH_TEST_DATA/<part>``, or skip the calling test (or module, at import) saying why."""
    root = os.environ.get(ENV)
    if not root:
        pytest.skip(f"{ENV} is not set: these tests read {part}/ from the test data (CONTRIBUTING.md)",
                    allow_module_level=True)
    path = Path(root) / part
    if not path.exists():
        pytest.skip(f"{ENV}={root} has no {part}/", allow_module_level=True)
    return path
