"""``kubepush bump``: move image tags in the config repo and open or update a pull request.

From an application pipeline: ``kubepush bump --image ghcr.io/acme/shop:1.4.2``.
By registry policy: ``kubepush bump --from-registry`` (policies in kubepush.yaml).
Exit codes: 0 done (changed or already up to date), 1 findings (an image not
found, a registry that could not be read, a target-scoped bump refused because
the file is shared with other targets), 2 usage or environment error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kubepush import config as configuration
from kubepush.cli import flags, output, settings
from kubepush.errors import EXIT_FINDINGS, EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_argument_group("what to bump")
    what.add_argument("--image", action="append", default=[], metavar="REF",
                      help="new reference, e.g. ghcr.io/acme/shop:1.4.2 or ...@sha256:... (repeatable)")
    what.add_argument("--from-registry", action="store_true",
                      help="move each image to the newest tag its policy (bump.policies) allows")
    what.add_argument("-t", "--target", action="append", default=[], metavar="NAME",
                      help="change only what this target renders: a base other targets share gets the tag "
                           "in this target's own kustomization images: (repeatable; default: the whole "
                           "repository)")
    what.add_argument("--path", action="append", default=[], metavar="PATH",
                      help="only files under this path of the repository (repeatable)")
    where = parser.add_argument_group("repository")
    flags.add_repository(where)
    where.add_argument("--dry-run", action="store_true", help="print the diff; change nothing")
    where.add_argument("--direct", action="store_true", help="commit straight to the base branch")
    where.add_argument("--group", choices=("all", "image", "target"), default=None,
                       help="one pull request for all updates (default), per image or per target")
    where.add_argument("--branch", metavar="TEMPLATE", help="branch template (default kubepush/{target}/{image})")
    where.add_argument("--commit-message", metavar="TEMPLATE", help="commit message template")
    where.add_argument("--title", metavar="TEMPLATE", help="pull request title template")
    flags.add_pull_request(parser.add_argument_group("pull request"))
    reg = parser.add_argument_group("registries")
    reg.add_argument("--registry-auth", action="append", default=[], metavar="HOST=USER:PASSWORD",
                     help="credentials for a registry (else ~/.docker/config.json / $DOCKER_CONFIG); "
                          "prefer $KUBEPUSH_REGISTRY_AUTH (one HOST=USER:PASSWORD per line): a flag "
                          "shows in the process list")
    reg.add_argument("--insecure-registry", action="append", default=[], metavar="HOST[:PORT]",
                     help="reach this registry over plain HTTP (repeatable)")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text",
                        help="json: what changed, branches, pull request numbers/URLs, for the next step")


def run(args: argparse.Namespace) -> int:
    from kubepush.bump import run as bump
    from kubepush.bump.options import Options

    def complete(root: Path) -> Options:  # kubepush.yaml is the checkout's: read once it exists
        cfg = settings.config_of_checkout(args.config, root)
        cfg.select(list(args.target))  # an unknown -t name is a usage error before anything else
        return settings.bump(args, cfg)

    flags_only = settings.bump(args, configuration.Config())
    result = bump.run(flags_only, complete,
                      log=lambda message: output.log(args, 0, message) if not args.quiet else None)
    if args.output == "json":
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _text(result)
    return EXIT_FINDINGS if any(f.severity.value == "error" for f in result.findings) else EXIT_OK


def _text(result: object) -> None:
    from kubepush.bump.result import BumpResult

    assert isinstance(result, BumpResult)
    out = sys.stdout
    for finding in result.findings:
        where = f"{finding.file}:{finding.line}: " if finding.file else ""
        out.write(f"{where}{finding.severity.value}: {finding.message} [{finding.rule}]\n")
        if finding.hint:
            out.write(f"  hint: {finding.hint}\n")
    for group in result.groups:
        for u in group.updates:
            out.write(f"{u.site.file}:{u.site.line}: {u.repository} {u.old} -> {u.new} ({u.reason})\n")
        if group.diff:
            out.write(group.diff)
        pr = group.pull_request
        where = f", pull request #{pr['number']} {pr['url']}" if pr else ""
        out.write(f"{group.branch}: {group.status}{where}\n")
    if not result.groups and not result.findings:
        out.write(f"up to date: {result.up_to_date} image references already current\n")
