"""Manifests as they were at another Git revision (for ``--rollback-on-failure``).

A detached ``git worktree`` of the revision is rendered exactly like the current tree -
kustomizations and charts included, which ``git show REV:path`` of single files could
not do - and removed again afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from kubepush.errors import UsageError


def _git(*args: str, cwd: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise UsageError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout.strip()


@contextmanager
def checkout(revision: str, where: str = ".") -> Iterator[Callable[[str], str]]:
    """A worktree of ``revision``; yields a function mapping a current path to the same path there."""
    root = _git("rev-parse", "--show-toplevel", cwd=where)
    parent = tempfile.mkdtemp(prefix="kubepush-rollback-")
    tree = os.path.join(parent, "tree")
    _git("worktree", "add", "--detach", tree, revision, cwd=root)
    try:
        def translate(path: str) -> str:
            relative = os.path.relpath(os.path.abspath(path), root)
            if relative.startswith(".."):
                raise UsageError(f"{path} is outside the Git repository {root}: cannot read it at {revision}")
            return os.path.join(tree, relative)

        yield translate
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=root, capture_output=True, check=False)
        subprocess.run(["git", "worktree", "prune"], cwd=root, capture_output=True, check=False)
        shutil.rmtree(parent, ignore_errors=True)
