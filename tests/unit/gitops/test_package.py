"""kubepush.gitops: the package's names load their modules when first used, and are what they name."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kubepush.gitops as gitops


def test_every_public_name_is_the_object_its_module_defines():
    import importlib

    for name in gitops.__all__:
        module = importlib.import_module(f"kubepush.gitops.{gitops._WHERE[name]}")
        assert getattr(gitops, name) is getattr(module, name)
    assert sorted(gitops.__all__) == sorted(gitops._WHERE)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gitops.nope  # noqa: B018


def test_reading_the_origin_loads_no_push_or_workspace_machinery():
    loaded = subprocess.run([sys.executable, "-c", "import sys, kubepush.gitops.origin, kubepush.gitops.revisions; "
                             "print(sorted(m for m in sys.modules if m.startswith('kubepush.gitops')))"],
                            capture_output=True, text=True, check=True).stdout
    assert "kubepush.gitops.push" not in loaded and "kubepush.gitops.repo" not in loaded
