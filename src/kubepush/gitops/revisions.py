"""Which Git revision a target's manifests are at, and the manifests as another revision has them.

apply records on the inventory what it applied (``kubepush.dev/revision``) and, once that
proved healthy, ``kubepush.dev/healthy-revision`` - the one ``--rollback-on-failure`` and
``kubepush revert --last-applied`` go back to. A working tree with uncommitted changes is
not any commit: it is recorded as ``<HEAD>-dirty`` (``git describe --dirty``'s convention),
so nothing can later check it out as if it were HEAD, and it never becomes healthy.

What counts as uncommitted, for one target: a change to any tracked file of the repository
(a kustomize base outside the target's directory is as much a part of it as its own
files), and an untracked file inside the target's paths (it is applied too). Untracked
files elsewhere - a report a CI job writes into its workspace - do not count.

:func:`worktree` renders another revision exactly like the current tree (kustomizations
and charts included, which ``git show REV:path`` of single files could not do): a
detached ``git worktree`` of it, removed again afterwards, whose paths map both ways.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kubepush.gitops.errors import GitError
from kubepush.gitops.origin import checkout_of
from kubepush.gitops.runner import Git

DIRTY_SUFFIX = "-dirty"
#: how many uncommitted paths a warning names before "and N more"
SHOWN_PATHS = 3


def is_dirty(revision: str) -> bool:
    """Whether a recorded revision is a working tree with uncommitted changes (never a commit)."""
    return revision.endswith(DIRTY_SUFFIX)


@dataclass(frozen=True)
class Revision:
    """HEAD of the repository holding a target's paths, and what differs from it there.

    ``sha`` is empty outside a Git checkout (or in one without commits); ``dirty`` lists
    the uncommitted paths, relative to the current directory like the paths given.
    """

    sha: str = ""
    dirty: tuple[str, ...] = ()

    @property
    def recorded(self) -> str:
        """What the inventory records: the sha, or ``<sha>-dirty``."""
        return f"{self.sha}{DIRTY_SUFFIX}" if self.sha and self.dirty else self.sha

    def warning(self) -> str:
        """The line to print when the tree is dirty ("" when it is not)."""
        if not (self.sha and self.dirty):
            return ""
        shown = ", ".join(self.dirty[:SHOWN_PATHS])
        more = f" and {len(self.dirty) - SHOWN_PATHS} more" if len(self.dirty) > SHOWN_PATHS else ""
        return (f"warning: {shown}{more} {'has' if len(self.dirty) == 1 else 'have'} uncommitted changes: "
                f"applying the working tree, recorded as revision {self.recorded} (never as the healthy "
                "revision a rollback returns to); commit and push to apply a revision")


def _repository(paths: Sequence[str]) -> Path | None:
    """The top of the Git checkout holding the first path, ``None`` outside one."""
    found = checkout_of(paths[0] if paths and paths[0] != "-" else ".")
    return found.root if found else None


def of_paths(paths: Sequence[str]) -> Revision:
    """The revision the manifests at ``paths`` are at (see the module docstring for "dirty")."""
    root = _repository(paths)
    if root is None:
        return Revision()
    git = Git(root)
    head = git.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", what="resolving HEAD", ok=(0, 1))
    if head.status:
        return Revision()
    inside = [os.path.relpath(Path(p).resolve(), root) for p in paths if p != "-"]
    status = git.run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames",
                     what="looking for uncommitted changes").stdout
    dirty = []
    for entry in status.split("\0"):
        code, path = entry[:2], entry[3:]
        if not path:
            continue
        if code == "??" and not any(p == "." or path == p or path.startswith(p.rstrip("/") + "/") for p in inside):
            continue
        dirty.append(os.path.relpath(root / path))
    return Revision(head.stdout.strip(), tuple(sorted(dirty)))


@dataclass(frozen=True)
class Worktree:
    """A temporary checkout of ``revision`` of the repository at ``root``."""

    root: Path
    tree: Path
    revision: str

    def there(self, path: str) -> str:
        """A path of the current checkout as the same path in the worktree."""
        relative = os.path.relpath(Path(path).resolve(), self.root)
        if relative.startswith(".."):
            raise GitError(f"{path} is outside the Git repository {self.root}: cannot read it at {self.revision}")
        return str(self.tree / relative)

    def here(self, path: str) -> str:
        """A path in the worktree as the repository's own (how findings must name it): relative to
        the current directory when inside it, like the paths given on the command line."""
        relative = os.path.relpath(Path(path).resolve(), self.tree.resolve())
        if relative.startswith(".."):
            return path
        full = self.root / relative
        shown = os.path.relpath(full)
        return shown if not shown.startswith("..") else str(full)


@contextmanager
def worktree(revision: str, paths: Sequence[str]) -> Iterator[Worktree]:
    """A detached worktree of ``revision`` in the repository holding ``paths``, always removed."""
    if is_dirty(revision):
        raise GitError(f"revision {revision} is a working tree with uncommitted changes, not a commit: "
                       "it cannot be checked out")
    root = _repository(paths)
    if root is None:
        raise GitError(f"{paths[0] if paths else '.'} is not in a Git checkout: cannot read revision {revision}")
    git = Git(root)
    parent = Path(tempfile.mkdtemp(prefix="kubepush-rollback-"))
    tree = parent / "tree"
    try:
        git.run("worktree", "add", "--detach", "--quiet", str(tree), f"{revision}^{{commit}}",
                what=f"checking out revision {revision}")
        yield Worktree(root, tree, revision)
    finally:
        git.run("worktree", "remove", "--force", str(tree), what="removing the worktree", ok=range(256))
        git.run("worktree", "prune", what="pruning worktrees", ok=range(256))
        shutil.rmtree(parent, ignore_errors=True)
