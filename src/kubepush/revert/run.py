"""revert end to end: workspace -> find the commit -> publish the revert -> pull request.

The same steps and guarantees as bump (:mod:`kubepush.bump.run`), through the same code:
the CI checkout or a temporary clone (:func:`kubepush.gitops.workspace`), the token only in
git's environment, the revert rebuilt on the current base and force-pushed with a lease to
``kubepush/revert-<short sha>`` (:func:`kubepush.gitops.publish`), then one pull request,
found or created (:meth:`PullRequests.follow_push`) - so a re-run finds the branch up to
date and the same pull request, and a base that already reverted the commit closes it.
A revert that conflicts is a finding per conflicting file (exit 1); nothing is pushed.

kubepush.yaml's ``bump`` section supplies what both commands share: ``base``, ``forge``,
``forgeUrl``, ``author``, ``signoff``.
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
    commit: str
    #: why, for the pull request (``--last-applied`` says which target applied it)
    reason: str = ""
    checkout: str = "."
    repo: str | None = None
    base: str | None = None
    config: str | None = None
    no_pr: bool = False
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    auto_merge: bool = False
    author: str | None = None
    signoff: bool | None = None
    forge: str | None = None
    forge_url: str | None = None
    git_username: str | None = None
    pipeline_url: str = ""
    attempts: int = 3


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


def run(options: Options, log: Callable[[str], None] = lambda m: None) -> RevertResult:
    """Open (or find) the pull request that reverts ``options.commit``."""
    from kubepush.forges.factory import git_credentials

    if options.repo:
        credentials = git_credentials(options.repo, options.forge, options.git_username, api_url=options.forge_url)
        with gitops.workspace(url=options.repo, base=options.base, credentials=credentials) as repo:
            return _run_in(repo, options, log)
    with gitops.workspace(options.checkout) as repo:
        credentials = git_credentials(repo.url, options.forge, options.git_username, api_url=options.forge_url)
    with gitops.workspace(options.checkout, credentials=credentials) as repo:
        return _run_in(repo, options, log)


def _run_in(repo: gitops.Repo, options: Options, log: Callable[[str], None]) -> RevertResult:
    root = repo.path
    cfg = configuration.load(options.config or (str(root / configuration.DEFAULT_NAME)
                                                if (root / configuration.DEFAULT_NAME).is_file() else None))
    settings = cfg.section("bump")
    state = repo.sync(options.base or settings.get("base"))
    commit = reverting.find(repo, options.commit, state.base)
    result = RevertResult(commit.sha, commit.subject, gitops.branch_name(BRANCH, short=commit.short),
                          base=state.base, targets=_affected(cfg, commit, root))
    try:
        pushed = gitops.publish(
            repo, reverting.reverter(repo, commit), message=commit.revert_message, branch=result.branch,
            base=state.base, identity=gitops.Identity.parse(options.author, settings.get("author")),
            signoff=bool(options.signoff if options.signoff is not None else settings.get("signoff", False)),
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
        forge = open_forge(repo.url, kind=options.forge or settings.get("forge"),
                           api_url=options.forge_url or settings.get("forgeUrl"))
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


def _affected(cfg: configuration.Config, commit: reverting.Commit, root: Path) -> list[str]:
    """The targets whose manifests the reverted commit changed (what the revert will change again)."""
    from kubepush.ci.affected import affected

    pairs = [(t.name, t.path if os.path.isabs(t.path) else str(root / t.path)) for t in cfg.targets]
    return [a.name for a in affected(pairs, commit.files, root, Path(cfg.path) if cfg.path else None)]


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
