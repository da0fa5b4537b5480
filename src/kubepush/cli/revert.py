"""``kubepush revert``: open a pull request that reverts a commit, so a rollback stays in Git.

``kubepush revert COMMIT`` or ``kubepush revert --last-applied -t TARGET`` (the commit the
target's inventory records as applied). The repository, forge and pull-request flags are
bump's. Exit codes: 0 done (pushed, or already up to date), 1 the revert conflicts with the
base (each conflicting file is a finding; nothing pushed), 2 usage or environment error
(an unknown commit, no applied revision, a rejected token, an unreachable cluster).
"""

from __future__ import annotations

import argparse
import json
import sys

from kubepush import config as configuration
from kubepush.cli import flags, output, settings
from kubepush.errors import EXIT_FINDINGS, EXIT_OK, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_argument_group("what to revert")
    what.add_argument("commit", nargs="?", metavar="COMMIT",
                      help="the commit to revert (a sha, or a branch of the remote: its tip)")
    what.add_argument("--last-applied", action="store_true",
                      help="the revision the target's inventory records as last applied (kubepush.dev/revision)")
    what.add_argument("-t", "--target", action="append", default=[], metavar="NAME",
                      help="the target of --last-applied (from kubepush.yaml)")
    what.add_argument("--reason", metavar="TEXT", help="why, for the pull request")
    cluster = parser.add_argument_group("cluster (with --last-applied)")
    cluster.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: the target's, "
                         "$KUBECONFIG or ~/.kube/config)")
    cluster.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the target's)")
    flags.add_request_timeout(cluster)
    flags.add_repository(parser.add_argument_group("repository"))
    flags.add_pull_request(parser.add_argument_group("pull request"))
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text",
                        help="json: the commit, branch, status and pull request, for the next step")
    parser.set_defaults(paths=[], namespace=None)  # the target comes from kubepush.yaml, as apply reads it


def run(args: argparse.Namespace) -> int:
    from kubepush.revert import run as revert

    commit, reason = _what(args)
    flags_only = settings.revert(args, configuration.Config(), commit, reason)
    result = revert.run(flags_only, lambda root: settings.revert(args, settings.config_of_checkout(args.config, root),
                                                                 commit, reason),
                        log=lambda message: output.log(args, 0, message) if not args.quiet else None)
    if args.output == "json":
        json.dump(result.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for finding in result.findings:
            sys.stdout.write(f"{finding.file}: error: {finding.message} [{finding.rule}]\n")
        pr = result.pull_request
        where = f", pull request #{pr['number']} {pr['url']} ({pr['state']})" if pr else ""
        sys.stdout.write(f"revert {result.commit[:12]} ({result.subject}): {result.branch} {result.status}{where}\n")
    return EXIT_FINDINGS if result.findings else EXIT_OK


def _what(args: argparse.Namespace) -> tuple[str, str]:
    """The commit to revert and why: COMMIT, or the target's last applied revision."""
    if bool(args.commit) == args.last_applied:
        raise UsageError("say what to revert: a COMMIT, or --last-applied -t TARGET")
    if not args.last_applied:
        if args.target:
            raise UsageError("-t/--target goes with --last-applied")
        return args.commit, args.reason or ""
    if len(args.target) != 1:
        raise UsageError("--last-applied needs the one target whose inventory records it: -t TARGET")
    from kubepush.cli import cluster
    from kubepush.cluster.last_applied import last_applied
    from kubepush.gitops.revisions import DIRTY_SUFFIX, is_dirty

    name = args.target[0]
    revision = last_applied(cluster.targets(args, configuration.load(args.config))[0], args.request_timeout)
    if is_dirty(revision):
        raise UsageError(f"target {name} last applied {revision}: a working tree with uncommitted changes "
                         f"on top of {revision.removesuffix(DIRTY_SUFFIX)}, not a commit, so there is nothing to "
                         "revert; give the COMMIT (or apply a commit first)")
    why = f"it is the revision last applied to target `{name}` (`kubepush.dev/revision`)"
    return revision, f"{args.reason}; {why}" if args.reason else why
