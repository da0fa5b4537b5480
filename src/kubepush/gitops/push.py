"""Commit a bump and push it: to the bot's branch (for a pull request) or, ``direct``, to the base.

The change is not a diff but "set image X to tag Y", so the caller passes
``apply(worktree) -> changed paths``, which re-applies the edits to whatever
tree it is given. Each attempt therefore starts from the remote's current base:

1. sync: learn and fetch the base tip and the bot branch tip (two network calls;
   the first attempt after a fresh clone reuses the clone's);
2. check out the base tip, ``apply``, stage exactly the returned paths;
3. nothing differs from the base -> ``no-changes``; branch mode and the bot
   branch already holds this very tree on this very base -> ``up-to-date``
   (no commit, no push: re-runs are idempotent and keep the branch sha);
4. commit, push with ``--porcelain``:
   branch mode force-pushes with ``--force-with-lease=<branch>:<sha we saw>``
   (empty when the branch did not exist), so a re-run replaces its own branch but
   never a push it has not seen; direct mode pushes without force.
5. a push *rejected because the ref moved* (non-fast-forward, stale lease) goes
   back to 1, up to ``attempts`` times; any other failure raises at once.

A single-ref push is atomic on the server: the ref either moves to our commit or
stays, so a failure never leaves a half-made result remotely (each publish
pushes exactly one ref, so ``--atomic`` has nothing to add); a temporary clone
is then removed by :func:`~kubepush.gitops.repo.workspace`.

The bot branch belongs to the bot: a re-run rebuilds it from the base and
replaces it, commits someone added there included (the lease only guarantees
that what is replaced is what this run looked at).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kubepush.gitops import errors as E
from kubepush.gitops.errors import GitError
from kubepush.gitops.repo import Identity, RemoteState, Repo

log = logging.getLogger("kubepush.gitops")

PUSHED = "pushed"
UP_TO_DATE = "up-to-date"
NO_CHANGES = "no-changes"

DEFAULT_IDENTITY = Identity()

#: re-applies the edits to the work tree at the given path; returns the paths it changed
Apply = Callable[[Path], Sequence[str | Path]]


@dataclass(frozen=True)
class PushResult:
    """What :func:`publish` did.

    ``status``: ``pushed`` (``sha`` is the new tip of ``branch``), ``up-to-date``
    (the branch already had this change; ``sha`` is its unchanged tip) or
    ``no-changes`` (the base already has it; ``sha`` is the base tip).
    """

    status: str
    branch: str
    sha: str
    base: str
    base_sha: str
    attempts: int
    paths: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        short = self.sha[:12]
        if self.status == PUSHED:
            return f"pushed {short} to {self.branch} (base {self.base} {self.base_sha[:12]})"
        if self.status == UP_TO_DATE:
            return f"{self.branch} is up to date at {short}: nothing pushed"
        return f"{self.base} already contains the change: nothing to commit"


def publish(
    repo: Repo,
    apply: Apply,
    *,
    message: str,
    branch: str | None = None,
    base: str | None = None,
    direct: bool = False,
    identity: Identity = DEFAULT_IDENTITY,
    signoff: bool = False,
    attempts: int = 3,
    carry_over: bool = True,
) -> PushResult:
    """Apply, commit and push; see the module docstring for the steps and guarantees.

    ``branch`` is the bot's branch (required unless ``direct``); ``base`` defaults to
    the remote's default branch. Raises :class:`GitError` (``kind`` ``rejected`` after
    ``attempts`` rejected pushes). The commit is made on a detached HEAD - no local
    branch is created or reset, so nothing local can go stale; in a CI checkout HEAD
    is left at the last commit made (pushed or not) and the work tree matches it.
    ``carry_over=False``: the bot branch holds nothing of other runs to keep (a revert is
    the whole change), so each attempt starts from the plain base.
    """
    if not direct and not branch:
        raise GitError("a branch name is needed to push a change for a pull request (or use --direct)")
    if attempts < 1:
        raise GitError(f"push attempts must be at least 1, not {attempts}")
    _refuse_secrets(repo, message, identity, branch)
    state, repo.state = repo.state, None  # a fresh clone's sync serves one first attempt, no more
    for attempt in range(1, attempts + 1):
        if state is None or attempt > 1 or state.branch != (None if direct else branch) \
                or (base is not None and state.base != base):
            state = repo.sync(base, None if direct else branch)
        result = _attempt(repo, apply, state, message, branch, direct, identity, signoff, attempt, carry_over)
        if result is not None:
            log.info("%s", result.message)
            return result
        target = state.base if direct else branch
        if attempt < attempts:
            log.warning("push to %s rejected: it changed on the server since we fetched it (someone pushed "
                        "meanwhile); rebuilding the change on the new tip (attempt %d of %d)",
                        target, attempt + 1, attempts)
    raise GitError(f"push to {target} was rejected {attempts} times because it kept changing on the server "
                   "(others are pushing to it); nothing was pushed. Re-run later"
                   + (", or open a pull request instead of --direct" if direct else ""), kind=E.REJECTED)


def _attempt(repo: Repo, apply: Apply, state: RemoteState, message: str, branch: str | None,
             direct: bool, identity: Identity, signoff: bool, attempt: int, carry_over: bool = True
             ) -> PushResult | None:
    """One sync'd try; ``None`` when the push was rejected because the ref moved."""
    target = state.base if direct else str(branch)
    repo.checkout(state.base_sha)
    carried = (repo.carry_over(str(branch), state.branch_sha, state.base_sha)
               if state.branch_sha and not direct and carry_over else [])
    repo.carried = None if carried is None else tuple(carried)
    paths = tuple(sorted({*(carried or ()), *repo.relative(apply(repo.path))}))
    tree = repo.stage(paths, state.base_sha)
    done = functools.partial(PushResult, branch=target, base=state.base, base_sha=state.base_sha, attempts=attempt,
                             paths=paths)
    if tree == state.base_tree:
        return done(NO_CHANGES, sha=state.base_sha)
    if state.branch_sha:
        remote = repo.read_commit(state.branch_sha)
        if remote.tree == tree and remote.parents == (state.base_sha,):
            repo.move_head(state.branch_sha)  # the index already holds exactly its tree
            return done(UP_TO_DATE, sha=state.branch_sha)
    sha = repo.commit(tree, state.base_sha, message, identity, signoff)
    lease = None if direct else (state.branch_sha or "")
    if not repo.push(sha, target, lease=lease):
        return None
    return done(PUSHED, sha=sha)


def _refuse_secrets(repo: Repo, message: str, identity: Identity, branch: str | None) -> None:
    """Commit metadata is public: refuse to write the token into it (a mistyped template)."""
    metadata = "\n".join([message, branch or "", *identity.env().values()])
    if repo.git.redact(metadata) != metadata:
        raise GitError("refusing to commit: the commit message, branch name or author contains the git "
                       "token or a URL password - check the templates")
