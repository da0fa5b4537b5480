"""Revert one commit on a base branch, as the change :func:`~kubepush.gitops.publish` pushes.

:func:`find` resolves the commit in a :class:`~kubepush.gitops.Repo` synced to the base
(fetching the base's history first when the clone or CI checkout is shallow: the commit
and its parents must be there, and a shallow boundary would make git revert a commit
against an empty tree) and checks that the base contains it. :func:`reverter` is the
``apply`` callback for ``publish``: on each attempt's fresh base it runs
``git revert --no-commit`` (``-m 1`` for a merge commit: the change relative to the
branch it was merged into) and returns the paths it changed, so a moved base gets the
revert rebuilt, a re-run finds the branch up to date, and a base that already reverted
it has "no changes". ``--no-commit`` because publish commits (with the bot identity and
a lease-guarded push); the message is git's own (:attr:`Commit.revert_message`). A
revert that does not apply cleanly raises :class:`Conflict` naming the files, after
``git revert --abort`` put the tree back: nothing is committed or pushed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kubepush.gitops import errors as E
from kubepush.gitops.errors import GitError
from kubepush.gitops.push import Apply
from kubepush.gitops.repo import Repo


class Conflict(GitError):
    """The revert does not apply to the base: ``files`` conflict (repository-relative)."""

    def __init__(self, message: str, files: Sequence[str]) -> None:
        super().__init__(message, kind=E.CONFLICT)
        self.files = tuple(files)


@dataclass(frozen=True)
class Commit:
    """The commit to revert, as the base branch has it."""

    sha: str
    subject: str
    parents: tuple[str, ...]
    files: tuple[str, ...]  # what it changed (against its first parent), repository-relative

    @property
    def short(self) -> str:
        return self.sha[:12]

    @property
    def merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def revert_message(self) -> str:
        """The message ``git revert --no-edit`` writes (git's sequencer.c, do_pick_commit)."""
        reversing = f", reversing\nchanges made to {self.parents[0]}" if self.merge else ""
        return f'Revert "{self.subject}"\n\nThis reverts commit {self.sha}{reversing}.\n'


def find(repo: Repo, commit: str, base: str) -> Commit:
    """``commit`` resolved on the synced ``base`` (see the module docstring); GitError when it is not there."""
    if repo.shallow:
        repo.git.run("fetch", "--quiet", "--no-tags", "--unshallow", repo.url,
                     f"+refs/heads/{base}:refs/remotes/origin/{base}", what=f"fetching the history of {base}",
                     network=True)
        repo.shallow = False  # later syncs fetch on top of the full history instead of cutting it again
    sha = ""
    for name in (commit, f"refs/remotes/origin/{commit}"):  # a sha, or a branch as the remote has it
        try:
            sha = repo.rev_parse(f"{name}^{{commit}}")
            break
        except GitError:
            continue
    if not sha:
        raise GitError(f"commit {commit!r} is not in {repo.git.redact(repo.url)} (branch {base} and its history): "
                       "check the sha", kind=E.NOT_FOUND) from None
    on_base = repo.git.run("merge-base", "--is-ancestor", sha, f"refs/remotes/origin/{base}",
                           what=f"checking that {base} contains {sha[:12]}", ok=(0, 1))
    if on_base.status:
        raise GitError(f"commit {sha[:12]} is not on {base}: only a commit the base branch contains can be "
                       "reverted there (pass --base BRANCH)", kind=E.NOT_FOUND)
    parents = repo.read_commit(sha).parents
    subject = repo.git.run("log", "-1", "--format=%s", sha, what=f"reading {sha[:12]}").stdout.strip()
    changed = repo.git.run("diff-tree", "--no-commit-id", "--name-only", "-r", "-z", "--root", "-m",
                           "--first-parent", sha, what=f"listing the files {sha[:12]} changed").names()
    return Commit(sha, subject, parents, tuple(sorted(set(changed))))


def reverter(repo: Repo, commit: Commit) -> Apply:
    """The ``apply`` callback that reverts ``commit`` on whatever base publish checked out."""
    if not commit.parents:
        raise GitError(f"commit {commit.short} is the repository's first commit: reverting it would delete "
                       "everything", kind=E.CONFLICT)

    def apply(tree: Path) -> list[str]:
        mainline = ["-m", "1"] if commit.merge else []
        done = repo.git.run("revert", "--no-commit", *mainline, commit.sha, what=f"reverting {commit.short}",
                            ok=(0, 1))
        if done.status:
            files = sorted(set(repo.git.run("diff", "--name-only", "-z", "--diff-filter=U",
                                            what="listing the conflicting files").names()))
            repo.git.run("revert", "--abort", what="undoing the revert that conflicted", ok=range(256))
            if not files:  # not a content conflict: git's own reason (e.g. local changes in the way)
                raise repo.git.error(f"reverting {commit.short}", ["git", "revert", commit.sha], done.status,
                                     done.stderr)
            raise Conflict(f"reverting {commit.short} ({commit.subject}) conflicts with the base in "
                           f"{', '.join(files)}: nothing was pushed; revert it by hand, or revert the later "
                           "commits that changed these files first", files)
        repo.git.run("revert", "--quit", what="finishing the revert")  # keep the index, drop REVERT_HEAD
        return repo.git.run("diff", "--cached", "--name-only", "-z", "--no-renames", "HEAD",
                            what="listing the reverted files").names()

    return apply
