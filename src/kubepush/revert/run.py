"""revert end to end: workspace -> find the commit -> publish the revert -> pull request.

The same steps and guarantees as bump (:mod:`kubepush.bump.run`), through the same code:
the CI checkout or a temporary clone (:func:`kubepush.gitops.workspace`), the token only in
git's environment, the revert rebuilt on the current base and force-pushed with a lease to
``kubepush/revert-<short sha>`` (:func:`kubepush.gitops.publish`), then one pull request,
found or created (:meth:`PullRequests.follow_push`) - so a re-run finds the branch up to
date and the same pull request, and a base that already reverted the commit closes it.
A revert that conflicts is a finding per conflicting file (exit 1); nothing is pushed.

kubepush.yaml's ``bump`` section supplies what both commands share: ``base``, ``forge``,
``forgeUrl``, ``author``, ``signoff`` - merged into :class:`Options` by
:func:`kubepush.cli.settings.revert` once the checkout (with its kubepush.yaml) exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubepush import config as configuration
from kubepush import gitops
from kubepush.errors import UsageError
from kubepush.gitops import revert as reverting
from kubepush.model import Finding, ObjectRef, Severity

BRANCH = "kubepush/revert-{short}"


@dataclass(frozen=True)
class Options:
    """Everything revert needs, complete (flags merged with the checkout's kubepush.yaml)."""

    commit: str
    #: why, for the pull request (``--last-applied`` says which target applied it)
    reason: str = ""
    checkout: str = "."
    repo: str | None = None
    base: str | None = None
    no_pr: bool = False
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    auto_merge: bool = False
    #: ``--author 'Name <email>'``, parsed when committing; else ``author_config`` (``bump.author``)
    author: str | None = None
    author_config: dict[str, str] | None = None
    signoff: bool = False
    forge: str | None = None
    forge_url: str | None = None
    git_username: str | None = None
    pipeline_url: str = ""
    attempts: int = 3
    #: kubepush.yaml's targets (paths resolved) and where it is: which targets the revert changes
    config_targets: tuple[configuration.Target, ...] = ()
    config_path: str | None = None


@dataclass
class RevertResult:
    commit: str = ""
    subject: str = ""
    branch: str = ""
    status: str = ""  # pushed | up-to-date | no-changes | conflict
    sha: str = ""
    base: str = ""
    targets: list[str] = field(default_factory=list)
    pull_request: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        pr = self.pull_request
        return {"commit": self.commit, "subject": self.subject, "branch": self.branch, "status": self.status,
                "sha": self.sha, "base": self.base, "targets": self.targets, "pullRequest": pr,
                "prNumber": pr["number"] if pr else None, "prUrl": pr["url"] if pr else None,
                "changed": self.status == gitops.PUSHED, "findings": [f.to_dict() for f in self.findings]}


def run(flags: Options, complete: Callable[[Path], Options] | None = None,
        log: Callable[[str], None] = lambda m: None) -> RevertResult:
    """Open (or find) the pull request that reverts ``flags.commit``.

    ``flags`` says where the repository is; ``complete(root)`` gives the complete options once
    its checkout exists (default: ``flags`` are complete).
    """
    from kubepush.forges.factory import git_credentials

    def run_in(repo: gitops.Repo) -> RevertResult:
        return _run_in(repo, complete(repo.path) if complete else flags, log)

    if flags.repo:
        credentials = git_credentials(flags.repo, flags.forge, flags.git_username, api_url=flags.forge_url)
        with gitops.workspace(url=flags.repo, base=flags.base, credentials=credentials) as repo:
            return run_in(repo)
    with gitops.workspace(flags.checkout) as repo:
        credentials = git_credentials(repo.url, flags.forge, flags.git_username, api_url=flags.forge_url)
    with gitops.workspace(flags.checkout, credentials=credentials) as repo:
        return run_in(repo)


def _run_in(repo: gitops.Repo, options: Options, log: Callable[[str], None]) -> RevertResult:
    root = repo.path
    state = repo.sync(options.base)
    commit = reverting.find(repo, options.commit, state.base)
    result = RevertResult(commit.sha, commit.subject, gitops.branch_name(BRANCH, short=commit.short),
                          base=state.base, targets=_affected(options, commit, root))
    try:
        pushed = gitops.publish(
            repo, reverting.reverter(repo, commit), message=commit.revert_message, branch=result.branch,
            base=state.base, identity=gitops.Identity.parse(options.author, options.author_config),
            signoff=options.signoff,
            attempts=options.attempts, carry_over=False)
    except reverting.Conflict as exc:
        result.status = "conflict"
        result.findings = [Finding(rule="revert-conflict", message=str(exc), severity=Severity.ERROR, file=f,
                                   object=ObjectRef()) for f in exc.files]
        return result
    result.status, result.sha = pushed.status, pushed.sha
    log(pushed.message)
    if options.no_pr:
        return result
    from kubepush.forges.factory import open_forge

    try:
        forge = open_forge(repo.url, kind=options.forge, api_url=options.forge_url)
        pr, done = forge.follow_push(result.branch, state.base, commit.revert_message.split("\n", 1)[0],
                                     body(result, options), on_base=pushed.status == gitops.NO_CHANGES,
                                     draft=options.draft, labels=options.labels, reviewers=options.reviewers,
                                     assignees=options.assignees, auto_merge=options.auto_merge)
    except UsageError as exc:  # the push happened: say so, so nothing is left half-made unreported
        raise UsageError(f"{exc}\n  branch {result.branch} is pushed at {pushed.sha[:12]} without its pull "
                         "request; re-running the same kubepush revert opens or updates it") from None
    if pr is not None:
        log(f"closed #{pr.number}: {state.base} already reverts {commit.short}" if done == "closed"
            else f"{done} pull request #{pr.number}: {pr.url}")
        result.pull_request = {"number": pr.number, "url": pr.url, "state": pr.state, "created": done == "opened"}
    return result


def _affected(options: Options, commit: reverting.Commit, root: Path) -> list[str]:
    """The targets whose manifests the reverted commit changed (what the revert will change again)."""
    from kubepush.ci.affected import affected

    pairs = [(t.name, t.path if os.path.isabs(t.path) else str(root / t.path)) for t in options.config_targets]
    config = Path(options.config_path) if options.config_path else None
    return [a.name for a in affected(pairs, commit.files, root, config)]


def body(result: RevertResult, options: Options) -> str:
    """Markdown: what is reverted, why, the targets it changes, who ran it."""
    lines = [f"Reverts {result.commit} (\"{result.subject}\") on `{result.base}`.", ""]
    if options.reason:
        lines += [f"Why: {options.reason}", ""]
    if result.targets:
        lines += ["Targets it changes: " + ", ".join(f"`{t}`" for t in result.targets), ""]
    if options.pipeline_url:
        lines += [f"Opened by kubepush revert from {options.pipeline_url}.", ""]
    else:
        lines += ["Opened by kubepush revert.", ""]
    return "\n".join(lines)
