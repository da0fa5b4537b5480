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
import os
import sys

from kubepush.commands import output
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
    add_repository_arguments(where)
    where.add_argument("--dry-run", action="store_true", help="print the diff; change nothing")
    where.add_argument("--direct", action="store_true", help="commit straight to the base branch")
    where.add_argument("--group", choices=("all", "image", "target"), default=None,
                       help="one pull request for all updates (default), per image or per target")
    where.add_argument("--branch", metavar="TEMPLATE", help="branch template (default kubepush/{target}/{image})")
    where.add_argument("--commit-message", metavar="TEMPLATE", help="commit message template")
    where.add_argument("--title", metavar="TEMPLATE", help="pull request title template")
    add_pull_request_arguments(parser.add_argument_group("pull request"))
    reg = parser.add_argument_group("registries")
    reg.add_argument("--registry-auth", action="append", default=[], metavar="HOST=USER:PASSWORD",
                     help="credentials for a registry (else ~/.docker/config.json / $DOCKER_CONFIG); "
                          "prefer $KUBEPUSH_REGISTRY_AUTH (one HOST=USER:PASSWORD per line): a flag "
                          "shows in the process list")
    reg.add_argument("--insecure-registry", action="append", default=[], metavar="HOST[:PORT]",
                     help="reach this registry over plain HTTP (repeatable)")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text",
                        help="json: what changed, branches, pull request numbers/URLs, for the next step")


def add_repository_arguments(where: argparse._ArgumentGroup) -> None:
    """Where the config repository is and how commits are made (shared with ``kubepush revert``)."""
    where.add_argument("--repo", metavar="URL", help="clone this repository into a temporary directory "
                                                      "(default: work in the current checkout)")
    where.add_argument("--checkout", default=".", metavar="DIR", help="the checkout to work in (default: .)")
    where.add_argument("--base", metavar="BRANCH", help="base branch (default: the remote's default branch)")
    where.add_argument("--no-pr", action="store_true", help="push the branch but open no pull request")
    where.add_argument("--author", metavar="'NAME <EMAIL>'", help="commit author and committer")
    where.add_argument("--signoff", action="store_true", default=None, help="add a Signed-off-by trailer")
    where.add_argument("--git-username", metavar="USER", help="HTTPS user for the token (default per forge)")


def add_pull_request_arguments(pr: argparse._ArgumentGroup) -> None:
    """The forge and the pull request's labels and people (shared with ``kubepush revert``)."""
    pr.add_argument("--forge", choices=("github", "gitlab", "gitea"), help="when the URL does not say")
    pr.add_argument("--forge-url", metavar="URL", help="API base URL (GitHub Enterprise, self-managed GitLab, Gitea)")
    pr.add_argument("--label", action="append", default=[], metavar="LABEL")
    pr.add_argument("--reviewer", action="append", default=[], metavar="USER")
    pr.add_argument("--assignee", action="append", default=[], metavar="USER")
    pr.add_argument("--draft", action="store_true", default=None)
    pr.add_argument("--auto-merge", action="store_true", default=None,
                    help="merge when checks pass (GitHub auto-merge, GitLab merge when pipeline succeeds)")


def run(args: argparse.Namespace) -> int:
    from kubepush.bump import run as bump

    options = bump.Options(
        images=tuple(args.image), from_registry=args.from_registry, targets=tuple(args.target),
        paths=tuple(args.path), checkout=args.checkout, repo=args.repo, base=args.base, config=args.config,
        dry_run=args.dry_run, no_pr=args.no_pr, direct=args.direct, group=args.group or "",
        branch=args.branch, commit_message=args.commit_message, title=args.title, labels=tuple(args.label),
        reviewers=tuple(args.reviewer), assignees=tuple(args.assignee), draft=args.draft,
        auto_merge=args.auto_merge, signoff=args.signoff, author=args.author, forge=args.forge,
        forge_url=args.forge_url, git_username=args.git_username,
        insecure_registries=tuple(args.insecure_registry),
        registry_auth=(*args.registry_auth, *os.environ.get("KUBEPUSH_REGISTRY_AUTH", "").split()),
        pipeline_url=bump.pipeline_url(),
    )
    result = bump.run(options, log=lambda message: output.log(args, 0, message) if not args.quiet else None)
    if args.output == "json":
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _text(result)
    return EXIT_FINDINGS if any(f.severity.value == "error" for f in result.findings) else EXIT_OK


def _text(result: object) -> None:
    from kubepush.bump.run import BumpResult

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
