"""What one bump is asked to do, complete: :class:`Options`, filled by the CLI before bump runs.

The CLI (:func:`kubepush.cli.settings.bump`) merges the flags with kubepush.yaml's ``bump:``
section; bump itself never reads kubepush.yaml, so an importable caller passes everything here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubepush import config as configuration
from kubepush.bump import templates


@dataclass(frozen=True)
class Options:
    """Everything bump needs, complete: flags merged with kubepush.yaml's ``bump:`` section by
    :func:`kubepush.cli.settings.bump` - bump never reads kubepush.yaml itself.

    kubepush.yaml is the one of the checkout (a ``--repo`` clone holds its own), so the options
    are completed once it exists: :func:`kubepush.bump.run.run` takes the flags, which say where the repository
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
    #: the CI run that triggered the bump, for the PR body (:func:`kubepush.provenance.run_url`)
    pipeline_url: str = ""
    attempts: int = 3

