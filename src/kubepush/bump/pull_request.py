"""The pull request after a push, for bump and revert: found or created, or closed when stale.

It runs only after a successful push, so a pull request never points at a branch that was not
pushed; a push whose change the base already has (``no-changes``) closes the open one instead.
A forge failure here is reported with what did happen - the branch is pushed - and how to
finish: re-running the same command opens or updates the pull request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from kubepush import gitops
from kubepush.errors import UsageError

if TYPE_CHECKING:
    from kubepush.forges.base import PullRequests


class Wanted(Protocol):
    """What bump's and revert's options say about the forge and the pull request."""

    @property
    def forge(self) -> str | None: ...
    @property
    def forge_url(self) -> str | None: ...
    @property
    def draft(self) -> bool: ...
    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def reviewers(self) -> tuple[str, ...]: ...
    @property
    def assignees(self) -> tuple[str, ...]: ...
    @property
    def auto_merge(self) -> bool: ...


class PullRequestStep:
    """Follows the pushes of one run up with their pull requests (the forge opened once)."""

    def __init__(self, repo: gitops.Repo, options: Wanted, command: str, log: Callable[[str], None]) -> None:
        self.repo = repo
        self.options = options
        self.command = command
        self.log = log
        self._forge: PullRequests | None = None

    def follow(self, pushed: gitops.PushResult, branch: str, base: str, text: Callable[[], tuple[str, str]], *,
               already: str) -> dict[str, Any] | None:
        """The pull request of ``branch`` into ``base`` as a summary (``None``: nothing to close).

        ``text()`` gives its title and body, rendered here so that a template error too is
        reported with the pushed branch; ``already`` says what the base has when the push found
        nothing to do.
        """
        options = self.options
        try:
            title, body = text()
            if self._forge is None:
                from kubepush.forges.factory import open_forge

                self._forge = open_forge(self.repo.url, kind=options.forge, api_url=options.forge_url)
            pr, done = self._forge.follow_push(
                branch, base, title, body, on_base=pushed.status == gitops.NO_CHANGES, draft=options.draft,
                labels=options.labels, reviewers=options.reviewers, assignees=options.assignees,
                auto_merge=options.auto_merge,
            )
        except UsageError as exc:  # the push happened: say so, so nothing is left half-made unreported
            raise UsageError(f"{exc}\n  branch {branch} is pushed at {pushed.sha[:12]} without its pull "
                             f"request; re-running the same kubepush {self.command} opens or updates it") from None
        if pr is None:
            return None
        self.log(f"closed #{pr.number}: {base} {already}" if done == "closed"
                 else f"{done} pull request #{pr.number}: {pr.url}")
        return {"number": pr.number, "url": pr.url, "state": pr.state, "created": done == "opened"}
