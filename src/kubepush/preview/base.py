"""Which revision a change is previewed against, and what changed since it.

The base is where the change forked from the ref given (``git merge-base REF HEAD``), as a pull
request's own diff shows it: commits that reached the base branch meanwhile are not the change's.
The head is the working tree, uncommitted and untracked files included - what CI checked out,
or what someone is about to push. In CI without ``--base``, the pull request's base comes from
the environment (:mod:`kubepush.ci.context`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kubepush.gitops.errors import GitError
from kubepush.gitops.runner import Git

SHALLOW_FIX = ("fetch the history back to it (actions/checkout fetch-depth: 0, GitLab GIT_DEPTH: 0, "
               "Jenkins: clone without shallow)")


@dataclass(frozen=True)
class Base:
    """The repository, the ref as given, the commit the change forked from it at, and the changed files."""

    root: Path
    ref: str
    sha: str
    head: str
    changed: tuple[str, ...]
    #: the base's root tree: names all of its content (what a kept render of it is keyed by)
    tree: str = ""

    @property
    def short(self) -> str:
        return self.sha[:12]


def resolve(ref: str, where: Path | None = None) -> Base:
    """The fork point of HEAD from ``ref`` and the files changed since (relative to the root); GitError
    (exit 2) for a ref that does not exist, or history a shallow clone lacks, with the fix."""
    start = Git(where or Path.cwd())
    top = start.run("rev-parse", "--show-toplevel", what="finding the git checkout", ok=(0, 128))
    if top.status:
        raise GitError(f"--base {ref}: {where or Path.cwd()} is not in a git checkout: the preview compares two "
                       "revisions of one")
    root = Path(top.stdout.strip())
    git = Git(root)
    shallow = git.run("rev-parse", "--is-shallow-repository", what="git rev-parse").stdout.strip() == "true"
    found = git.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", what=f"resolving {ref}", ok=(0, 1))
    if found.status:
        why = f"the checkout is shallow and lacks it: {SHALLOW_FIX}" if shallow else (
            "no such branch, tag or commit here (fetch it first, e.g. git fetch origin "
            f"{ref.removeprefix('origin/')})")
        raise GitError(f"--base {ref}: {why}", kind="not_found")
    head = git.run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", what="resolving HEAD", ok=(0, 1))
    if head.status:
        raise GitError("the checkout has no commit yet: nothing to compare with")
    fork = git.run("merge-base", found.stdout.strip(), "HEAD", what=f"finding where HEAD forked from {ref}",
                   ok=(0, 1))
    if fork.status:
        why = f"the checkout is shallow: {SHALLOW_FIX}" if shallow else "they share no history"
        raise GitError(f"--base {ref}: cannot find where HEAD forked from it - {why}", kind="not_found")
    sha = fork.stdout.strip()
    tracked = git.run("diff", "--name-only", "-z", "--no-renames", sha, "--", what=f"listing files changed since {ref}")
    untracked = git.run("ls-files", "--others", "--exclude-standard", "-z", what="listing untracked files")
    changed = {*tracked.names(), *untracked.names()}
    tree = git.run("rev-parse", f"{sha}^{{tree}}", what=f"reading the tree of {sha}").stdout.strip()
    return Base(root, ref, sha, head.stdout.strip(), tuple(sorted(changed)), tree)
