"""The git layer of ``kubepush bump``: work in a config repository, commit, push - token-safe.

- :func:`workspace` - the CI checkout, or a temporary shallow clone that is always removed;
- :func:`publish` - apply the edits on the current base, commit, push to the bot's branch
  (``--force-with-lease``) or ``direct`` to the base, rebuilding on a moved base;
- :class:`Credentials` - the HTTPS token, passed to git only through its environment
  (see :mod:`kubepush.gitops.auth` for why);
- :func:`branch_name`, :func:`commit_message`, :func:`sanitize_branch` - templates;
- :class:`Repo` queries - ``head``, ``rev_parse``, ``remote_branch``, ``default_branch``,
  ``changed_since``, ``diff``, ``files_containing``.

Everything runs the ``git`` binary (>= 2.31); why that and not GitPython or
pygit2 is in :mod:`kubepush.gitops.runner`.

The names below are imported when first used (PEP 562): ``apply``, ``status`` and ``preview``
need only :mod:`~kubepush.gitops.origin` or :mod:`~kubepush.gitops.revisions`, and loading the
push and workspace machinery too cost every cluster command ~15 ms of its start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubepush.gitops.auth import Credentials
    from kubepush.gitops.errors import GitError
    from kubepush.gitops.push import NO_CHANGES, PUSHED, UP_TO_DATE, Apply, PushResult, publish
    from kubepush.gitops.repo import Identity, RemoteState, Repo, workspace
    from kubepush.gitops.templates import branch_name, commit_message, sanitize_branch

#: each public name -> the module that defines it
_WHERE = {
    "Credentials": "auth", "GitError": "errors",
    "NO_CHANGES": "push", "PUSHED": "push", "UP_TO_DATE": "push", "Apply": "push", "PushResult": "push",
    "publish": "push",
    "Identity": "repo", "RemoteState": "repo", "Repo": "repo", "workspace": "repo",
    "branch_name": "templates", "commit_message": "templates", "sanitize_branch": "templates",
}

__all__ = [
    "NO_CHANGES", "PUSHED", "UP_TO_DATE", "Apply", "Credentials", "GitError", "Identity", "PushResult",
    "RemoteState", "Repo", "branch_name", "commit_message", "publish", "sanitize_branch", "workspace",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
