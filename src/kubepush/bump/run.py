"""bump end to end: discover -> plan -> (per group) edit, commit, push -> pull request.

Steps that touch the outside world happen in a fixed order and each is
idempotent, so a failed or repeated run never leaves half-made state:

1. discovery and planning (:mod:`.planning`) are pure and happen before any write;
2. each group's change (:mod:`.groups`) is pushed by :func:`.publish.push`, rebuilt on the
   current base and force-pushed with a lease to the bot's own branch;
3. only after a successful push is the pull request found-or-created
   (:mod:`.pull_request`), so a PR never points at a branch that was not
   pushed; a group whose change is already on the base closes its stale PR.

What happened is a :class:`~.result.BumpResult`; the options are complete when they get here
(:class:`~.options.Options`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

from kubepush import config as configuration
from kubepush import gitops
from kubepush.bump import publish, templates
from kubepush.bump.groups import group_updates, same_group
from kubepush.bump.options import Options
from kubepush.bump.plan import Update
from kubepush.bump.planning import Planner
from kubepush.bump.pull_request import PullRequestStep
from kubepush.bump.result import BumpResult, GroupResult, relative
from kubepush.bump.workspace import config_repository
from kubepush.errors import UsageError


def run(flags: Options, complete: Callable[[Path], Options] | None = None,
        log: Callable[[str], None] = lambda m: None) -> BumpResult:
    """Bump images in the config repository; see the module docstring for the order of effects.

    ``flags`` says where the repository is; ``complete(root)`` gives the complete options once
    its checkout exists (default: ``flags`` are complete).
    """
    def run_in(root: Path, repo: gitops.Repo | None) -> BumpResult:
        return _run_in(root, repo, complete(root) if complete else flags, log)

    if flags.direct and flags.no_pr:
        raise UsageError("--direct already skips the pull request; drop --no-pr")
    if flags.dry_run and not flags.repo:
        return run_in(Path(flags.checkout).resolve(), None)
    with config_repository(flags) as repo:
        return run_in(repo.path, repo)


def _run_in(root: Path, repo: gitops.Repo | None, options: Options, log: Callable[[str], None]) -> BumpResult:
    # repository-relative, so that a re-planned tree (a fresh clone after a moved base) finds them
    targets = [configuration.Target(t.name, os.path.relpath(os.path.abspath(t.path), root), t.kubernetes_version,
                                    t.raw) for t in options.config_targets]
    work = Planner(options, targets)
    planned_at = repo.at() if repo is not None else ""
    first = work.plan(root, repo)
    for finding in first.findings:  # repository-relative, not a temporary clone's path
        if finding.file and os.path.isabs(finding.file):
            finding.file = os.path.relpath(finding.file, root)
    result = BumpResult(up_to_date=len(first.up_to_date), findings=first.findings)
    texts = templates.Texts(options.branch, options.commit_message, options.title)
    pull_requests = PullRequestStep(repo, options, "bump", log) if repo is not None else None
    for key, updates in group_updates(first.updates, options.group).items():
        values = templates.fields(updates, key)
        group = GroupResult(key, relative(updates, root), branch=gitops.branch_name(texts.branch, **values))
        result.groups.append(group)
        if options.dry_run or repo is None or pull_requests is None:
            group.status = "dry-run"
            group.diff = publish.preview(updates, root)
            continue
        pushed = publish.push(repo, work, root, planned_at, updates, same_group(options.group, key),
                              branch=None if options.direct else group.branch,
                              message=gitops.commit_message(texts.commit, **values), options=options)
        group.status, group.commit = pushed.result.status, pushed.result.sha
        group.updates = relative(pushed.updates, root)  # what was committed
        log(pushed.result.message)
        if options.direct or options.no_pr:
            continue
        group.pull_request = pull_requests.follow(
            pushed.result, group.branch, pushed.result.base,
            partial(_pull_request_text, texts, values, group.updates, options), already="already has these updates")
    return result


def _pull_request_text(texts: templates.Texts, values: dict[str, str], updates: list[Update],
                       options: Options) -> tuple[str, str]:
    """A group's pull request title and body."""
    return gitops.commit_message(texts.title, **values).strip(), templates.body(updates, options.pipeline_url)
