"""Discovery and planning against a tree: which image references a bump changes, and to what.

Pure but for reading the tree and, for ``--from-registry``, asking the registries (once per
repository, cached): no write happens here. :class:`Planner` is re-run on a rebuilt tree (a
moved base, or the bot branch's earlier updates) so the edit always matches what is there.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from kubepush import config as configuration
from kubepush import gitops
from kubepush.bump import plan as planner
from kubepush.bump import scope
from kubepush.bump.options import Options
from kubepush.errors import UsageError
from kubepush.images.discover import discover_paths
from kubepush.images.reference import ImageRef
from kubepush.images.sites import ImageSite
from kubepush.model import Finding

if TYPE_CHECKING:
    from kubepush.registry import RegistryClient


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
        self._client: RegistryClient | None = None
        self._tags: dict[str, list[str] | Exception] = {}
        self._digests: dict[tuple[str, str], str] = {}  # (repository, tag): asked once per run, like the tags
        #: the first search, of the tree planned on: (its root, the paths searched, the files that matched)
        self._planned: tuple[Path, list[str], list[str]] | None = None

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

    def sites(self, root: Path, repo: gitops.Repo | None = None, changed: Collection[str] | None = None,
              ) -> tuple[list[ImageSite], list[Finding]]:
        mentions = self.mentions()
        paths = self.paths(root)
        if repo is not None and mentions:
            # only the tracked files that mention an image (or carry a Flux marker): git answers
            # from its index where reading 5,000 files takes a large part of bump's one-second budget
            paths = self._files_containing(root, repo, paths, [*mentions, "$imagepolicy"], changed)
        found = discover_paths(paths, extra_value_paths=self.options.values_paths, mentions=mentions)
        return found.sites, found.findings

    def _files_containing(self, root: Path, repo: gitops.Repo, paths: list[str], texts: list[str],
                          changed: Collection[str] | None) -> list[str]:
        """The files under ``paths`` that mention ``texts``; on a tree that differs from the one
        planned on only in the repository-relative ``changed`` paths, only those are searched again."""
        planned = self._planned
        if changed is not None and planned is not None and planned[:2] == (root, paths) and len(changed) <= 1000:
            again = {str(root.resolve() / c) for c in changed}  # as files_containing names them
            inside = [f for f in again if any(f == p or f.startswith(p.rstrip("/") + "/") for p in paths)
                      and os.path.lexists(f)]
            found = repo.files_containing(root, inside, texts) if inside else []
            return sorted({*(f for f in planned[2] if f not in again), *found})
        matched = repo.files_containing(root, paths, texts)
        if planned is None:
            self._planned = (root, paths, matched)
        return matched

    def plan(self, root: Path, repo: gitops.Repo | None = None, changed: Collection[str] | None = None,
             ) -> planner.Plan:
        """The updates for the tree at ``root``; ``changed``: the only paths that differ from the tree
        this planner planned on first (``None``: unknown, the whole tree is searched)."""
        sites, findings = self.sites(root, repo, changed)
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

    def _registry(self) -> RegistryClient:
        if self._client is None:  # imported here: an --image bump never talks to a registry
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
        """The digest ``tag`` points to: one manifest request per image and tag, however many sites
        pin it and however often the tree is re-planned (the run plans on the tags it listed once)."""
        key = (ref.name, tag)
        if key not in self._digests:
            self._digests[key] = self._registry().resolve_digest(ref, tag)
        return self._digests[key]
