"""bump end to end: discover -> plan -> (per group) edit, commit, push -> pull request.

Steps that touch the outside world happen in a fixed order and each is
idempotent, so a failed or repeated run never leaves half-made state:

1. discovery and planning are pure and happen before any write;
2. each group's change is pushed by :func:`kubepush.gitops.publish`, which
   rebuilds it on the current base (the edit is "set image X to Y", re-applied by
   :func:`_apply`), force-pushes the bot's own branch with a lease, and reports
   "up to date" when the branch already has it;
3. only after a successful push is the pull request found-or-created
   (:meth:`PullRequests.ensure`), so a PR never points at a branch that was not
   pushed; a group whose change is already on the base closes its stale PR.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubepush import config as configuration
from kubepush import gitops
from kubepush.bump import plan as planner
from kubepush.bump import scope, templates
from kubepush.errors import UsageError
from kubepush.images import edit, kustomization
from kubepush.images.discover import discover_paths
from kubepush.images.reference import ImageRef
from kubepush.images.sites import ImageSite
from kubepush.model import Finding

GROUPINGS = ("all", "image", "target")


@dataclass(frozen=True)
class Options:
    """Everything bump needs, complete: flags merged with kubepush.yaml's ``bump:`` section by
    :func:`kubepush.cli.settings.bump` - bump never reads kubepush.yaml itself.

    kubepush.yaml is the one of the checkout (a ``--repo`` clone holds its own), so the options
    are completed once it exists: :func:`run` takes the flags, which say where the repository
    is, and a function that completes them from the checkout's root.
    """

    images: tuple[str, ...] = ()
    from_registry: bool = False
    targets: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    checkout: str = "."
    repo: str | None = None
    base: str | None = None
    dry_run: bool = False
    no_pr: bool = False
    direct: bool = False
    group: str = "all"
    branch: str = templates.DEFAULT_BRANCH
    commit_message: str = templates.DEFAULT_COMMIT
    title: str = templates.DEFAULT_TITLE
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool = False
    auto_merge: bool = False
    signoff: bool = False
    #: ``--author 'Name <email>'``, parsed when committing; else ``author_config`` (``bump.author``)
    author: str | None = None
    author_config: dict[str, str] | None = None
    forge: str | None = None
    forge_url: str | None = None
    git_username: str | None = None
    insecure_registries: tuple[str, ...] = ()
    #: ``bump.policies`` and ``bump.valuesPaths``
    policies: tuple[dict[str, Any], ...] = ()
    values_paths: tuple[dict[str, str], ...] = ()
    #: every target of kubepush.yaml, paths resolved; ``targets`` names the ones bumped
    config_targets: tuple[configuration.Target, ...] = ()
    registry_auth: tuple[str, ...] = ()
    pipeline_url: str = ""
    attempts: int = 3


@dataclass
class GroupResult:
    """One branch/pull request worth of updates and what happened to it."""

    key: str
    updates: list[planner.Update]
    branch: str = ""
    status: str = "planned"  # planned | pushed | up-to-date | no-changes | dry-run
    commit: str = ""
    pull_request: dict[str, Any] | None = None
    diff: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.key, "branch": self.branch, "status": self.status, "commit": self.commit,
                "pullRequest": self.pull_request, "updates": [u.to_dict() for u in self.updates]}


@dataclass
class BumpResult:
    groups: list[GroupResult] = field(default_factory=list)
    up_to_date: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(g.status in ("pushed", "dry-run") for g in self.groups)

    def to_dict(self) -> dict[str, Any]:
        prs = [g.pull_request for g in self.groups if g.pull_request]
        return {"changed": self.changed, "upToDate": self.up_to_date,
                "groups": [g.to_dict() for g in self.groups],
                "prNumber": prs[0]["number"] if len(prs) == 1 else None,
                "prUrl": prs[0]["url"] if len(prs) == 1 else None,
                "findings": [f.to_dict() for f in self.findings]}


class Planner:
    """Discovery + planning against a tree, re-runnable on a fresh tree after a rebase."""

    def __init__(self, options: Options, targets: list[configuration.Target]) -> None:
        if bool(options.images) == options.from_registry:
            raise UsageError("say what to bump: --image REF (from an application pipeline) "
                             "or --from-registry (newest tag allowed by each image's policy)")
        self.options = options
        self.targets = targets  # every target of kubepush.yaml; options.targets says which are bumped
        self.requested = planner.parse_requested(options.images)
        self.rules = planner.parse_policies(options.policies) if options.from_registry else []
        if options.from_registry and not self.rules:
            raise UsageError("--from-registry needs image policies: add bump.policies to kubepush.yaml "
                             "(e.g. - {image: ghcr.io/acme/shop, kind: semver, range: '^1'})")
        self._client: Any = None
        self._tags: dict[str, list[str] | Exception] = {}

    def paths(self, root: Path) -> list[str]:
        """Where to look: ``--path``s; else the chosen targets with the kustomize bases and
        components they build from (an overlay that does not override an image still
        deploys its base's); else the whole repository."""
        root = root.resolve()
        if self.options.paths:
            return [str(root / p) for p in self.options.paths]
        if not self.options.targets:
            return [str(root)]
        return scope.search_paths(self.where(root).chosen)

    def where(self, root: Path) -> scope.Scope:
        """The targets of kubepush.yaml as they are in ``root`` (a rebuilt tree may differ)."""
        chosen = () if self.options.paths else self.options.targets
        return scope.Scope(root, scope.target_files(root, ((t.name, t.path) for t in self.targets)), chosen)

    def mentions(self) -> list[str]:
        """Text every file holding a wanted image contains (its last path component).

        Empty when a policy governs by marker name only: then every file must be read.
        """
        if self.requested:
            return [r.repository.rsplit("/", 1)[-1] for r in self.requested]
        if all(rule.image is not None for rule in self.rules):
            return [rule.image.repository.rsplit("/", 1)[-1] for rule in self.rules if rule.image]
        return []

    def sites(self, root: Path, repo: gitops.Repo | None = None) -> tuple[list[ImageSite], list[Finding]]:
        mentions = self.mentions()
        paths = self.paths(root)
        if repo is not None and mentions:
            paths = _candidates(repo, root, paths, mentions)
        found = discover_paths(paths, extra_value_paths=self.options.values_paths, mentions=mentions)
        return found.sites, found.findings

    def plan(self, root: Path, repo: gitops.Repo | None = None) -> planner.Plan:
        sites, findings = self.sites(root, repo)
        where = self.where(root)
        if self.requested:
            result = planner.plan_requested(sites, self.requested, where.target_of)
        else:
            self._fetch_tags(planner.repositories(sites, self.rules))
            result = planner.plan_policies(sites, self.rules, self._tags, self._digest, where.target_of)
        if where.chosen:
            result = where.apply(result)
        result.findings[:0] = [f for f in findings if f.severity.value == "error"]
        return result

    def _registry(self) -> Any:
        if self._client is None:
            from kubepush.registry import Credentials, RegistryClient

            creds = dict(Credentials.from_flag(v) for v in self.options.registry_auth)
            insecure = self.options.insecure_registries
            self._client = RegistryClient(credentials=creds, insecure=insecure)
        return self._client

    def _fetch_tags(self, repos: list[ImageRef]) -> None:
        missing = [r for r in repos if r.name not in self._tags]
        if missing:
            self._tags.update(self._registry().list_tags_many(missing))

    def _digest(self, ref: ImageRef, tag: str) -> str:
        return self._registry().resolve_digest(ref, tag)


def _candidates(repo: gitops.Repo, root: Path, paths: list[str], mentions: list[str]) -> list[str]:
    """Tracked files under ``paths`` that mention an image (or carry a Flux marker), via ``git grep``.

    git answers from its index in milliseconds where reading 5,000 files in Python
    takes a large part of bump's one-second budget.
    """
    patterns = [arg for m in (*mentions, "$imagepolicy") for arg in ("-e", m)]
    root = root.resolve()
    out = repo.git.run("grep", "-l", "-F", "--no-color", *patterns, "--", *(os.path.relpath(p, root) for p in paths),
                       what="searching the repository for the images", ok=(0, 1))
    return [str(root / line) for line in out.stdout.splitlines() if line]


def group_updates(updates: Sequence[planner.Update], how: str) -> dict[str, list[planner.Update]]:
    """Updates per branch/PR: all together (default), per image, or per target."""
    if how not in GROUPINGS:
        raise UsageError(f"unknown grouping {how!r}: use one of {', '.join(GROUPINGS)}")
    groups: dict[str, list[planner.Update]] = {}
    for u in updates:
        key = "all" if how == "all" else u.repository if how == "image" else (u.target or "repo")
        groups.setdefault(key, []).append(u)
    return groups


def _same_group(how: str, key: str) -> Callable[[planner.Update], bool]:
    return lambda u: next(iter(group_updates([u], how))) == key


def _edits_for(updates: Sequence[planner.Update]) -> list[edit.FileEdit]:
    return kustomization.plan(u.edit() for u in updates)


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
    if flags.repo:
        with gitops.workspace(url=flags.repo, base=flags.base,
                              credentials=_git_credentials(flags.repo, flags)) as repo:
            return run_in(repo.path, repo)
    with gitops.workspace(flags.checkout) as repo:
        credentials = _git_credentials(repo.url, flags)
    with gitops.workspace(flags.checkout, credentials=credentials) as repo:
        return run_in(repo.path, repo)


def _run_in(root: Path, repo: gitops.Repo | None, options: Options, log: Callable[[str], None]) -> BumpResult:
    # repository-relative, so that a re-planned tree (a fresh clone after a moved base) finds them
    targets = [configuration.Target(t.name, os.path.relpath(os.path.abspath(t.path), root), t.kubernetes_version,
                                    t.raw) for t in options.config_targets]
    work = Planner(options, targets)
    planned_at = repo.head() if repo is not None else ""
    first = work.plan(root, repo)
    for finding in first.findings:  # repository-relative, not a temporary clone's path
        if finding.file and os.path.isabs(finding.file):
            finding.file = os.path.relpath(finding.file, root)
    result = BumpResult(up_to_date=len(first.up_to_date), findings=first.findings)
    how = options.group
    texts = templates.Texts(options.branch, options.commit_message, options.title)
    forge = None
    for key, updates in group_updates(first.updates, how).items():
        values = templates.fields(updates, key)
        group = GroupResult(key, _relative(updates, root), branch=gitops.branch_name(texts.branch, **values))
        result.groups.append(group)
        if options.dry_run or repo is None:
            group.status = "dry-run"
            group.diff = "".join(_display_diff(c, root) for c in _edits_for(updates) if c.modified)
            continue
        belongs = _same_group(how, key)

        applied = [updates]
        planned_bytes = {u.site.file: Path(u.site.file).read_bytes() for u in updates}

        def apply(tree: Path, applied: list[list[planner.Update]] = applied,
                  belongs: Callable[[planner.Update], bool] = belongs,
                  planned_bytes: dict[str, bytes] = planned_bytes) -> list[str]:
            # plan again on a tree that is not the one planned on: a moved base, or the bot
            # branch's earlier updates carried over into the files (edits go by position)
            if tree != root or repo.head() != planned_at or any(
                    Path(f).read_bytes() != data for f, data in planned_bytes.items()):
                applied[0] = [u for u in work.plan(tree, repo).updates if belongs(u)]
            return [c.file for c in _edits_for(applied[0]) if edit.write(c)]

        direct = options.direct
        pushed = gitops.publish(
            repo, apply, message=gitops.commit_message(texts.commit, **values),
            branch=None if direct else group.branch, base=options.base,
            direct=direct, identity=gitops.Identity.parse(options.author, options.author_config),
            signoff=options.signoff, attempts=options.attempts,
        )
        group.status, group.commit = pushed.status, pushed.sha
        group.updates = _relative(_from_base(applied[0], updates), root)  # what was committed
        log(pushed.message)
        if direct or options.no_pr:
            continue
        try:
            forge = forge or _open_forge(repo, options)
            group.pull_request = _pull_request(forge, group, pushed, texts, values, options, log)
        except UsageError as exc:  # the push happened: say so, so nothing is left half-made unreported
            raise UsageError(f"{exc}\n  branch {group.branch} is pushed at {pushed.sha[:12]} without its pull "
                             "request; re-running the same kubepush bump opens or updates it") from None
    return result


def _pull_request(forge: Any, group: GroupResult, pushed: gitops.PushResult, texts: templates.Texts,
                  values: dict[str, str], options: Options,
                  log: Callable[[str], None]) -> dict[str, Any] | None:
    """Find-or-create the PR after a push; close a stale one when the base already has the change."""
    title = gitops.commit_message(texts.title, **values).strip()
    pr, done = forge.follow_push(
        group.branch, pushed.base, title, templates.body(group.updates, options.pipeline_url),
        on_base=pushed.status == gitops.NO_CHANGES, draft=options.draft,
        labels=options.labels, reviewers=options.reviewers, assignees=options.assignees,
        auto_merge=options.auto_merge,
    )
    if pr is None:
        return None
    log(f"closed #{pr.number}: {pushed.base} already has these updates" if done == "closed"
        else f"{done} pull request #{pr.number}: {pr.url}")
    return {"number": pr.number, "url": pr.url, "state": pr.state, "created": done == "opened"}


def _from_base(done: Sequence[planner.Update], planned: Sequence[planner.Update]) -> list[planner.Update]:
    """``done`` with each "old" value as the base has it (carried-over updates in between
    would otherwise show as the old value in the pull request)."""
    from dataclasses import replace

    base_old = {(u.repository, os.path.relpath(u.site.file)): u.old for u in planned}
    return [replace(u, old=base_old.get((u.repository, os.path.relpath(u.site.file)), u.old)) for u in done]


def _relative(updates: Sequence[planner.Update], root: Path) -> list[planner.Update]:
    from dataclasses import replace

    return [replace(u, site=replace(u.site, file=os.path.relpath(u.site.file, root))) for u in updates]


def _display_diff(change: edit.FileEdit, root: Path) -> str:
    from dataclasses import replace

    return replace(change, file=os.path.relpath(change.file, root)).diff()


def _git_credentials(url: str, options: Options) -> gitops.Credentials | None:
    from kubepush.forges.factory import git_credentials

    return git_credentials(url, options.forge, options.git_username, api_url=options.forge_url)


def _open_forge(repo: gitops.Repo, options: Options) -> Any:
    from kubepush.forges.factory import open_forge

    return open_forge(repo.url, kind=options.forge, api_url=options.forge_url)


def pipeline_url(env: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The CI run that triggered the bump, for the PR body (GitHub, GitLab, Jenkins)."""
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return env.get("CI_PIPELINE_URL") or env.get("BUILD_URL") or ""
