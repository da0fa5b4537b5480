"""The config repository a bump or revert changes, opened with the forge's git credentials.

A ``--repo`` URL is cloned into a temporary directory (removed afterwards); else the CI
checkout is used, opened once to learn its remote URL and again with the credentials for
that remote. The token lives only in git's environment (:mod:`kubepush.gitops`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from kubepush import gitops


class Where(Protocol):
    """What bump's and revert's options say about the repository and its forge."""

    @property
    def checkout(self) -> str: ...
    @property
    def repo(self) -> str | None: ...
    @property
    def base(self) -> str | None: ...
    @property
    def forge(self) -> str | None: ...
    @property
    def forge_url(self) -> str | None: ...
    @property
    def git_username(self) -> str | None: ...


@contextmanager
def config_repository(options: Where) -> Iterator[gitops.Repo]:
    """A clone of ``options.repo`` at ``options.base``, else the checkout; pushes authenticated."""
    if options.repo:
        with gitops.workspace(url=options.repo, base=options.base,
                              credentials=_credentials(options.repo, options)) as repo:
            yield repo
        return
    with gitops.workspace(options.checkout) as repo:
        yield repo.authenticated(_credentials(repo.url, options))  # the forge's token needs origin's URL first


def _credentials(url: str, options: Where) -> gitops.Credentials | None:
    from kubepush.forges.factory import git_credentials

    found: gitops.Credentials | None = git_credentials(url, options.forge, options.git_username,
                                                       api_url=options.forge_url)
    return found
