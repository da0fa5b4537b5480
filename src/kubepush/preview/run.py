"""The order of effects of a preview: resolve the base, pick the targets the change touches, render
them at both revisions (concurrently: the base in a worktree, the head in the working tree),
compare, and find the risky changes. No kubeconfig is read and nothing talks to a network.

A target is rendered only when a file it renders from changed (:func:`kubepush.manifests.affected.affected`,
what ``kubepush targets --changed-since`` lists), or when it exists at one revision only; the others
are listed as not affected. A target that fails to render at either revision is not compared - its
render errors are its findings - and the other targets still are.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kubepush import config as configuration
from kubepush.cluster.spec import TargetSpec
from kubepush.errors import UsageError
from kubepush.gitops import revisions
from kubepush.manifests.affected import affected
from kubepush.model import COMPARED, NOT_RENDERED, UNAFFECTED, Finding, Severity, TargetDiff
from kubepush.preview import base as bases
from kubepush.preview import cache, risks
from kubepush.preview.compare import Placed, Pruning, compare
from kubepush.preview.load import Rendered, render


@dataclass(frozen=True)
class Target:
    """A target as one revision's kubepush.yaml (or the PATH arguments) has it."""

    name: str
    paths: tuple[str, ...]
    pruning: Pruning = Pruning()
    recreate: bool = False


@dataclass
class Outcome:
    """What the preview found: per target its diff, and the findings (risks, render errors)."""

    base: bases.Base
    previews: list[TargetDiff] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: int = 0


def targets_of(cfg: configuration.Config, names: list[str] | None) -> dict[str, Target]:
    """The selected targets of a config, by name."""
    out = {}
    for t in cfg.select(names or None):
        spec = TargetSpec.from_config(t.raw, t.path, None, None)
        out[t.name] = Target(t.name, (t.path,), Pruning(spec.prune, spec.prune_namespaces, spec.prune_crds),
                             spec.recreate)
    return out


def preview(ref: str, head_targets: dict[str, Target], config_file: str | None, names: list[str] | None,
            progress: Callable[[str], None] = lambda _: None) -> Outcome:
    """Compare the head's targets (and those the base's kubepush.yaml had) with ``ref``'s."""
    base = bases.resolve(ref)
    outcome = Outcome(base)
    pairs = [(t.name, t.paths[0]) for t in head_targets.values()]
    touched = {a.name: a.reasons for a in affected(pairs, base.changed, base.root,
                                                   Path(config_file) if config_file else None)}
    with revisions.worktree(base.sha, [str(base.root)]) as tree:
        base_targets = _base_targets(tree, config_file, names, head_targets, outcome)
        if config_file is None:
            touched = {n: ["paths given"] for n in head_targets}
        touched.update({n: ["only in the base"] for n in base_targets if n not in head_targets})
        touched.update({n: ["new in this change"] for n in head_targets if n not in base_targets})
        wanted = [n for n in [*head_targets, *base_targets] if n in touched]
        wanted = list(dict.fromkeys(wanted))
        progress(f"comparing {len(wanted)} of {len(set(head_targets) | set(base_targets))} targets with "
                 f"{ref} ({base.short})")
        at_head = {n: list(head_targets[n].paths) for n in wanted if n in head_targets}
        at_base = {n: list(base_targets[n].paths) for n in wanted if n in base_targets}
        kept, keys = _kept(tree, base, at_base)
        with ThreadPoolExecutor(max_workers=2) as pool:
            rendering_base = pool.submit(render, {n: p for n, p in at_base.items() if n not in kept}, tree.here)
            head = render(at_head)
            old = {**kept, **rendering_base.result()}
        store = cache.directory()
        for name, rendered in old.items():
            if store is not None and name not in kept and name in keys:
                cache.save(store, keys[name], rendered, base.root)
    uses: dict[tuple[str, str], list[Placed]] = {}
    for rendered in head.values():
        for placed in rendered.objects.values():
            group = placed.ref.api_version.rpartition("/")[0]
            uses.setdefault((group, placed.ref.kind), []).append(placed)
    for name in dict.fromkeys([*head_targets, *base_targets]):
        if name not in touched:
            outcome.previews.append(TargetDiff(name, base.sha, "working tree", UNAFFECTED,
                                               note="no file it renders from changed"))
            continue
        target = head_targets.get(name) or base_targets[name]
        outcome.previews.append(_one(target, old.get(name), head.get(name), base, outcome, uses))
    return outcome


def _kept(tree: revisions.Worktree, base: bases.Base, at_base: dict[str, list[str]]
          ) -> tuple[dict[str, Rendered], dict[str, str]]:
    """The base renders the cache has (:mod:`.cache`), and every base target's cache key."""
    store = cache.directory()
    if store is None or not base.tree:
        return {}, {}
    keys = {n: cache.key(base.tree, [os.path.relpath(p, tree.tree) for p in paths]) for n, paths in at_base.items()}
    kept = {n: r for n, k in keys.items() if (r := cache.load(store, k, base.root)) is not None}
    return kept, keys


def _base_targets(tree: revisions.Worktree, config_file: str | None, names: list[str] | None,
                  head_targets: dict[str, Target], outcome: Outcome) -> dict[str, Target]:
    """The targets as the base's kubepush.yaml has them (paths in the worktree); with PATH arguments,
    the same paths there."""
    if config_file is None:
        return {n: Target(n, tuple(tree.there(p) for p in t.paths), t.pruning, t.recreate)
                for n, t in head_targets.items()}
    there = Path(tree.there(config_file))
    if not there.is_file():
        return {}
    try:
        cfg = configuration.load(str(there))
        known = {t.name for t in cfg.targets}
        return targets_of(cfg, [n for n in names if n in known] if names else None) if known else {}
    except UsageError as exc:
        outcome.findings.append(Finding(rule="render-error", severity=Severity.WARNING, file=config_file,
                                        message=f"at the base {tree.revision[:12]}: {exc}; every target is "
                                                "compared with nothing"))
        return {}


def _one(target: Target, old: Rendered | None, new: Rendered | None, base: bases.Base, outcome: Outcome,
         uses: dict[tuple[str, str], list[Placed]]) -> TargetDiff:
    diff = TargetDiff(target.name, base.sha, "working tree")
    failed = False
    for side, rendered in (("base", old), ("head", new)):
        if rendered is None:
            continue
        outcome.files += rendered.files
        for finding in rendered.findings:
            where = f"at the base {base.short}" if side == "base" else "at the head"
            finding.message = f"[{target.name}] {where}: {finding.message}"
            outcome.findings.append(finding)
        failed = failed or rendered.failed
    if failed:
        diff.status = NOT_RENDERED
        diff.note = "not compared: it does not render at " + " and ".join(
            side for side, r in (("the base", old), ("the head", new)) if r is not None and r.failed)
        return diff
    if old is None:
        diff.note = "new in this change: every object is created"
    pruning = target.pruning
    if new is None:  # nothing applies it any more, so nothing prunes what it had
        diff.note = "removed from kubepush.yaml in this change: no apply manages its objects any more"
        pruning = Pruning()
    diff.objects, diff.unchanged = compare(target.name, old.objects if old else {}, new.objects if new else {},
                                           pruning)
    diff.status = COMPARED
    outcome.findings += risks.find(diff.objects, old.objects if old else {}, new.objects if new else {},
                                   pruning, target.recreate, uses)
    return diff
