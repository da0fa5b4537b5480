"""revert end to end: workspace -> find the commit -> publish the revert -> pull request.

The same steps and guarantees as bump (:mod:`kubepush.bump.run`), through the same code:
the CI checkout or a temporary clone (:func:`kubepush.bump.workspace.config_repository`), the
token only in git's environment, the revert rebuilt on the current base and force-pushed with a lease to
``kubepush/revert-<short sha>`` (:func:`kubepush.gitops.publish`), then one pull request,
found or created (:class:`kubepush.bump.pull_request.PullRequestStep`) - so a re-run finds the branch up to
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
from kubepush.bump.pull_request import PullRequestStep
from kubepush.bump.workspace import config_repository
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
    with config_repository(flags) as repo:
        return _run_in(repo, complete(repo.path) if complete else flags, log)


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
    result.pull_request = PullRequestStep(repo, options, "revert", log).follow(
        pushed, result.branch, state.base, lambda: (commit.revert_message.split("\n", 1)[0], body(result, options)),
        already=f"already reverts {commit.short}")
    return result


def _affected(options: Options, commit: reverting.Commit, root: Path) -> list[str]:
    """The targets whose manifests the reverted commit changed (what the revert will change again)."""
    from kubepush.manifests.affected import affected

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
