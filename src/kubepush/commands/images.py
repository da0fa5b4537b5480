"""``kubepush images``: every image reference bump would see, and where it is written.

This is exactly bump's discovery, so it doubles as an audit ("what runs where")
and as the way to check that a chart's custom keys are recognised before
trusting bump with them.
"""

from __future__ import annotations

import argparse
import json
import sys

from kubepush import config as configuration
from kubepush.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (default: the targets in kubepush.yaml, else .)")
    parser.add_argument("-t", "--target", action="append", default=[], metavar="NAME",
                        help="only this target from kubepush.yaml (repeatable)")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text",
                        help="text (default): one line per image; json: every field, for scripts")


def run(args: argparse.Namespace) -> int:
    from kubepush.images.discover import discover_paths

    cfg = configuration.load(args.config)
    if args.paths and args.target:
        raise UsageError("give either paths or --target, not both")
    paths = args.paths or [t.path for t in cfg.select(args.target)] or ["."]
    settings = cfg.section("bump")
    found = discover_paths(paths, extra_value_paths=settings.get("valuesPaths", ()))
    if args.output == "json":
        json.dump({"images": [s.to_dict() for s in found.sites],
                   "findings": [f.to_dict() for f in found.findings],
                   "files": found.files}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for site in found.sites:
            policy = f"  policy {site.policy}" if site.policy else ""
            default = "  (tag: chart appVersion)" if site.default_tag else ""
            sys.stdout.write(f"{site.location}  {site.text}  [{site.kind.value}]{policy}{default}\n")
        for finding in found.findings:
            sys.stdout.write(f"{finding.file}:{finding.line}:{finding.column}: {finding.severity.value}: "
                             f"{finding.message} [{finding.rule}]\n")
        sys.stdout.write(f"{len(found.sites)} image references in {found.files} files\n")
    return 1 if any(f.severity.value == "error" for f in found.findings) else 0
