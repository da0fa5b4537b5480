"""One group's branch: its edits previewed (dry run) or committed and pushed.

The edit is "set image X to Y", so it is re-applied, not replayed: :func:`kubepush.gitops.publish`
rebuilds the change on the current base, force-pushes the bot's own branch with a lease, and
reports "up to date" when the branch already has it. When the tree it is applied to is not the
one planned on (a moved base, or the bot branch's earlier updates carried over into the files),
the group is planned again there first, since edits go by position.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from kubepush import gitops
from kubepush.bump.options import Options
from kubepush.bump.plan import Update
from kubepush.bump.planning import Planner
from kubepush.images import edit, kustomization


def preview(updates: Sequence[Update], root: Path) -> str:
    """The diff the updates make, paths relative to ``root`` (a dry run changes nothing)."""
    return "".join(replace(c, file=os.path.relpath(c.file, root)).diff() for c in _edits_for(updates) if c.modified)


@dataclass
class Pushed:
    """What :func:`push` did, and the updates it committed (re-planned ones if the tree moved)."""

    result: gitops.PushResult
    updates: list[Update]


def push(repo: gitops.Repo, work: Planner, root: Path, planned_at: str, updates: list[Update],
         belongs: Callable[[Update], bool], *, branch: str | None, message: str, options: Options) -> Pushed:
    """Commit ``updates`` (planned on ``root`` at ``planned_at``) to ``branch`` (``None``: the base
    itself, ``--direct``) and push; ``belongs`` picks this group's updates from a re-plan."""
    applied = [updates]
    planned_bytes = {u.site.file: Path(u.site.file).read_bytes() for u in updates}

    def apply(tree: Path) -> list[str]:
        if tree != root or repo.at() != planned_at or any(
                Path(f).read_bytes() != data for f, data in planned_bytes.items()):
            # what differs from the tree planned on: the base's changes since and the carry-over
            changed = None if tree != root or repo.carried is None else \
                {*repo.files_differing(planned_at, repo.at()), *repo.carried}
            applied[0] = [u for u in work.plan(tree, repo, changed).updates if belongs(u)]
        return [c.file for c in _edits_for(applied[0]) if edit.write(c)]

    result = gitops.publish(
        repo, apply, message=message, branch=branch, base=options.base, direct=branch is None,
        identity=gitops.Identity.parse(options.author, options.author_config),
        signoff=options.signoff, attempts=options.attempts,
    )
    return Pushed(result, _from_base(applied[0], updates))


def _edits_for(updates: Sequence[Update]) -> list[edit.FileEdit]:
    return kustomization.plan(u.edit() for u in updates)


def _from_base(done: Sequence[Update], planned: Sequence[Update]) -> list[Update]:
    """``done`` with each "old" value as the base has it (carried-over updates in between
    would otherwise show as the old value in the pull request)."""
    base_old = {(u.repository, os.path.relpath(u.site.file)): u.old for u in planned}
    return [replace(u, old=base_old.get((u.repository, os.path.relpath(u.site.file)), u.old)) for u in done]
