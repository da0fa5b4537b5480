"""``kubepush images``: every image reference bump would see, and where it is written.

This is exactly bump's discovery, so it doubles as an audit ("what runs where")
and as the way to check that a chart's custom keys are recognised before
trusting bump with them. With ``-t`` it lists what the target renders (its
kustomize bases too) and, for a file another target renders as well, where a
bump for this target writes instead (its overlay's ``images:``) or that it
would refuse.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kubepush import config as configuration
from kubepush.bump.scope import How, Placement, Scope, search_paths, target_files
from kubepush.cli import settings
from kubepush.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from kubepush.model import plural


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (default: the targets in kubepush.yaml with their "
                             "kustomize bases, else .)")
    parser.add_argument("-t", "--target", action="append", default=[], metavar="NAME",
                        help="only this target from kubepush.yaml (repeatable)")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text",
                        help="text (default): one line per image; json: every field, for scripts")


def run(args: argparse.Namespace) -> int:
    from kubepush.images.discover import discover_paths

    cfg = configuration.load(args.config)
    if args.paths and args.target:
        raise UsageError("give either paths or --target, not both")
    where = _scope(cfg, args.target) if args.target else None
    if args.paths:
        paths = args.paths
    else:  # the targets with the kustomize bases and components they build from
        root = Path.cwd()
        chosen = where.chosen if where else target_files(root, ((t.name, t.path) for t in cfg.targets))
        paths = _shown(root, search_paths(chosen)) or ["."]
    found = discover_paths(paths, extra_value_paths=settings.section(cfg, settings.BumpSection).values_paths)
    placed = {id(s): where.placements(s) for s in found.sites} if where else {}
    findings = [*found.findings, *(where.refusals(found.sites) if where else ())]
    if args.output == "json":
        json.dump({"images": [{**s.to_dict(), **({"bump": [p.to_dict(where.root) for p in placed[id(s)]]}
                                                if where else {})} for s in found.sites],
                   "findings": [f.to_dict() for f in findings],
                   "files": found.files}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for site in found.sites:
            policy = f"  policy {site.policy}" if site.policy else ""
            default = "  (tag: chart appVersion)" if site.default_tag else ""
            writes = "".join(_writes(p, where.root) for p in placed.get(id(site), ())) if where else ""
            locked = f"  (not editable: {site.locked})" if site.locked else ""
            sys.stdout.write(f"{site.location}  {site.text}  [{site.kind.value}]{policy}{default}{writes}{locked}\n")
        for finding in findings:
            sys.stdout.write(f"{finding.file}:{finding.line}:{finding.column}: {finding.severity.value}: "
                             f"{finding.message} [{finding.rule}]\n")
        sys.stdout.write(f"{plural(len(found.sites), 'image reference')} in {plural(found.files, 'file')}\n")
    return EXIT_FINDINGS if any(f.severity.value == "error" for f in findings) else EXIT_OK


def _scope(cfg: configuration.Config, names: list[str]) -> Scope:
    """The chosen targets and everything they render, as a bump with ``-t`` sees them."""
    cfg.select(names)  # unknown names are a usage error
    root = Path.cwd()
    return Scope(root, target_files(root, ((t.name, t.path) for t in cfg.targets)), names)


def _shown(root: Path, paths: list[str]) -> list[str]:
    """Paths relative to ``root`` where below it, so the listing reads like the repository."""
    return [os.path.relpath(p, root) if Path(p) == root or root in Path(p).parents else p for p in paths]


def _writes(p: Placement, root: Path) -> str:
    """Where a bump of this site for the target writes, when not where the site is."""
    if p.how is How.IN_PLACE:
        return ""
    shared = f"shared with {', '.join(p.shared_with)}"
    if p.how is How.REFUSED:
        return f"  -> not bumped for {p.target} alone ({shared}; see the warning)"
    what = "its images: entry" if p.how is How.OVERLAY_ENTRY else "a new images: entry"
    return f"  -> for {p.target}: {os.path.relpath(p.file, root)}:{p.line}, {what} for {p.name} ({shared})"
