"""The one settings resolver: a flag given wins, else kubepush.yaml, else the default.

kubepush.yaml's sections are read into typed dataclasses (:class:`ValidateSection`,
:class:`ApplySection`, :class:`DriftSection`, :class:`BumpSection`): each field is the
camelCase key of the file's JSON Schema in snake_case, ``None`` (or empty) when the file
does not set it. The functions below turn parsed flags plus those sections into the
complete options objects the domain packages take, so no domain package sees argparse
or reads kubepush.yaml for itself. Defaults live here, once.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kubepush import config as configuration
from kubepush import provenance

if TYPE_CHECKING:
    from kubepush.bump.options import Options as BumpOptions
    from kubepush.revert.run import Options as RevertOptions

Section = TypeVar("Section")


@dataclass(frozen=True)
class ValidateSection:
    """``validate:`` of kubepush.yaml."""

    kubernetes_version: str | None = None
    strict: bool | None = None
    ignore_missing_schemas: bool | None = None
    crds: tuple[str, ...] = ()
    schema_locations: tuple[str, ...] = ()
    disabled_rules: tuple[str, ...] = ()
    render: bool | None = None


@dataclass(frozen=True)
class ApplySection:
    """``apply:`` of kubepush.yaml (``concurrency`` is drift's and diff's too)."""

    timeout: float | None = None
    wait: bool | None = None
    concurrency: int | None = None
    force_conflicts: bool | None = None


@dataclass(frozen=True)
class DriftSection:
    """``drift:`` of kubepush.yaml (``ignore`` is apply's and diff's too)."""

    fail_on_drift: bool | None = None
    ignore: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class BumpSection:
    """``bump:`` of kubepush.yaml (``base``, ``forge``, ``forgeUrl``, ``author`` and ``signoff``
    are revert's too)."""

    policies: tuple[dict[str, Any], ...] = ()
    values_paths: tuple[dict[str, str], ...] = ()
    branch: str | None = None
    commit_message: str | None = None
    title: str | None = None
    group: str | None = None
    base: str | None = None
    direct: bool | None = None
    forge: str | None = None
    forge_url: str | None = None
    labels: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    draft: bool | None = None
    auto_merge: bool | None = None
    signoff: bool | None = None
    author: dict[str, Any] | None = None
    insecure_registries: tuple[str, ...] = ()


_SECTIONS: dict[type, str] = {ValidateSection: "validate", ApplySection: "apply", DriftSection: "drift",
                              BumpSection: "bump"}


def section(cfg: configuration.Config, kind: type[Section]) -> Section:
    """kubepush.yaml's section as its dataclass (the schema has checked the types already)."""
    raw = cfg.section(_SECTIONS[kind])
    values: dict[str, Any] = {}
    for f in fields(kind):  # type: ignore[arg-type]
        key = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), f.name)
        if key in raw and raw[key] is not None:
            values[f.name] = tuple(raw[key]) if isinstance(raw[key], list) else raw[key]
    return kind(**values)


def pick(flag: Any, configured: Any, default: Any) -> Any:
    """Flag over kubepush.yaml over default: ``None`` (or empty) means "not given"."""
    if flag is not None and flag != () and flag != []:
        return flag
    return configured if configured is not None and configured != () else default


def validation(args: argparse.Namespace, cfg: configuration.Config, kubernetes_version: str | None = None) -> Any:
    """``kubepush validate``'s options for one target (also apply's, validating first).

    Called before anything runs (or any report is opened): a bad version is exit 2 at once.
    Flags apply does not take (``--schema-location``, ``--no-render``, ``-j``) read as not given.
    """
    from kubepush.validate import engine
    from kubepush.validate.schemas import resolve_version

    file = section(cfg, ValidateSection)
    return engine.Options(
        kubernetes_version=resolve_version(args.kubernetes_version or kubernetes_version or file.kubernetes_version),
        strict=bool(pick(args.strict, file.strict, True)),
        ignore_missing_schemas=bool(pick(args.ignore_missing_schemas, file.ignore_missing_schemas, False)),
        disabled_rules=disabled_rules(args, cfg),
        crd_paths=tuple(pick(args.crd, file.crds, ())),
        schema_locations=tuple(pick(getattr(args, "schema_location", None), file.schema_locations, ())),
        render=bool(pick(getattr(args, "render", None), file.render, True)),
        workers=max(0, getattr(args, "workers", 0)),
    )


def disabled_rules(args: argparse.Namespace, cfg: configuration.Config) -> frozenset[str]:
    """``--disable`` adds to ``validate.disabledRules``."""
    return frozenset(args.disable) | frozenset(section(cfg, ValidateSection).disabled_rules)


def ignore_rules(args: argparse.Namespace, cfg: configuration.Config) -> tuple[Any, ...]:
    """kubepush.yaml's ``drift.ignore`` plus ``--ignore-manager``: the fields apply, diff and heal leave alone."""
    from kubepush.cluster.compare.ignore import IgnoreRule

    rules = [IgnoreRule.from_config(r) for r in section(cfg, DriftSection).ignore]
    if args.ignore_manager:
        rules.append(IgnoreRule(managers=tuple(args.ignore_manager)))
    return tuple(rules)


def concurrency(args: argparse.Namespace, cfg: configuration.Config) -> int:
    """Concurrent API requests per target: ``--concurrency``, ``apply.concurrency``, 16."""
    return int(args.concurrency or pick(None, section(cfg, ApplySection).concurrency, 16))


def apply(args: argparse.Namespace, cfg: configuration.Config) -> Any:
    """``kubepush apply``'s options (the per-target revision is filled in per target)."""
    from kubepush.cluster.apply import ApplyOptions

    file = section(cfg, ApplySection)
    return ApplyOptions(
        force=bool(pick(args.force, file.force_conflicts, True)),
        wait=args.wait and bool(pick(None, file.wait, True)),  # --no-wait can only switch waiting off
        timeout=float(pick(args.timeout, file.timeout, 300)),
        concurrency=concurrency(args, cfg),
        request_timeout=args.request_timeout,
        rollback=args.rollback_on_failure,
        take_over=args.take_over,
        adopt_inventory=args.adopt_inventory,
        ignore=ignore_rules(args, cfg),
        run_url=provenance.run_url(),
        actor=provenance.actor(),
    )


def fail_on_drift(args: argparse.Namespace, cfg: configuration.Config, preview: bool = False) -> bool:
    """drift: flag > drift.failOnDrift > true. diff, a preview, only fails on changes when asked by its flag."""
    if preview:
        return bool(args.fail_on_drift)
    return bool(pick(args.fail_on_drift, section(cfg, DriftSection).fail_on_drift, True))


def config_of_checkout(explicit: str | None, root: Path) -> configuration.Config:
    """bump's and revert's kubepush.yaml: ``--config``, else the one at the checkout's root (a
    ``--repo`` clone holds its own, so this is read once the checkout exists)."""
    default = root / configuration.DEFAULT_NAME
    return configuration.load(explicit or (str(default) if default.is_file() else None))


def bump(args: argparse.Namespace, cfg: configuration.Config) -> BumpOptions:
    """``kubepush bump``'s complete options; ``cfg`` is the checkout's kubepush.yaml (an empty
    :class:`~kubepush.config.Config` for the flags alone, which say where the checkout is)."""
    import os

    from kubepush.bump import options as bumping
    from kubepush.bump import templates

    file = section(cfg, BumpSection)
    return bumping.Options(
        images=tuple(args.image), from_registry=args.from_registry, targets=tuple(args.target),
        paths=tuple(args.path), checkout=args.checkout, repo=args.repo, base=args.base or file.base,
        dry_run=args.dry_run, no_pr=args.no_pr, direct=args.direct or bool(file.direct),
        group=args.group or file.group or "all", branch=args.branch or file.branch or templates.DEFAULT_BRANCH,
        commit_message=args.commit_message or file.commit_message or templates.DEFAULT_COMMIT,
        title=args.title or file.title or templates.DEFAULT_TITLE,
        **_commit(args, file), labels=tuple(pick(args.label, file.labels, ())),
        reviewers=tuple(pick(args.reviewer, file.reviewers, ())),
        assignees=tuple(pick(args.assignee, file.assignees, ())), draft=bool(pick(args.draft, file.draft, False)),
        auto_merge=bool(pick(args.auto_merge, file.auto_merge, False)),
        insecure_registries=(*args.insecure_registry, *file.insecure_registries),
        policies=file.policies, values_paths=file.values_paths, config_targets=cfg.targets,
        registry_auth=(*args.registry_auth, *os.environ.get("KUBEPUSH_REGISTRY_AUTH", "").split()),
        pipeline_url=provenance.run_url(),
    )


def revert(args: argparse.Namespace, cfg: configuration.Config, commit: str, reason: str) -> RevertOptions:
    """``kubepush revert``'s complete options (kubepush.yaml's ``bump:`` supplies what both share)."""
    from kubepush.revert import run as reverting

    file = section(cfg, BumpSection)
    return reverting.Options(
        commit=commit, reason=reason, checkout=args.checkout, repo=args.repo, base=args.base or file.base,
        no_pr=args.no_pr, **_commit(args, file), labels=tuple(args.label), reviewers=tuple(args.reviewer),
        assignees=tuple(args.assignee), draft=bool(args.draft), auto_merge=bool(args.auto_merge),
        config_targets=cfg.targets, config_path=cfg.path, pipeline_url=provenance.run_url())


def _commit(args: argparse.Namespace, file: BumpSection) -> dict[str, Any]:
    """What bump and revert resolve alike: the commit's identity, the forge and its API."""
    return {"author": args.author, "author_config": file.author,
            "signoff": bool(pick(args.signoff, file.signoff, False)), "forge": args.forge or file.forge,
            "forge_url": args.forge_url or file.forge_url, "git_username": args.git_username}
