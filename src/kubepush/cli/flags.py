"""Flag groups several commands share, defined once so a flag means the same everywhere.

The flag names are a contract: the CI wrappers (GitHub Action, GitLab templates, Jenkins
step) pass them. What a flag's absence means (kubepush.yaml, then the default) is decided
by :mod:`kubepush.cli.settings`, not here: flags that kubepush.yaml can set default to
``None`` so the resolver can tell "not given" from "given".
"""

from __future__ import annotations

import argparse
from typing import Any

#: an argparse parser or argument group: both have add_argument
Adder = Any


def add_common(parser: argparse.ArgumentParser) -> None:
    """Flags every subcommand accepts, so they can go after the command name too."""
    parser.add_argument("-q", "--quiet", action="count", default=0, help="print less (repeat for errors only)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="print more (repeat for debug)")
    parser.add_argument(
        "--config", metavar="FILE", help="kubepush.yaml to read (default: ./kubepush.yaml when present)"
    )


def add_reports(parser: argparse.ArgumentParser) -> None:
    """``--output``, ``--report``, ``--summary-md`` (opened by :func:`kubepush.cli.output.open_output`)."""
    from kubepush.report import FORMATS

    group = parser.add_argument_group("reports")
    group.add_argument("-o", "--output", default="text", metavar="FORMAT",
                       help=f"report on stdout: {', '.join(FORMATS)} (default: text)")
    group.add_argument("--report", action="append", default=[], metavar="FORMAT=PATH",
                       help="also write a report file, e.g. sarif=kubepush.sarif (repeatable)")
    group.add_argument("--summary-md", metavar="PATH",
                       help="write a Markdown summary, e.g. to $GITHUB_STEP_SUMMARY or for an MR comment")


def add_cluster(parser: argparse.ArgumentParser) -> None:
    """What apply, diff and drift work on: manifests or targets, and how to reach the cluster."""
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="manifests: files, directories, kustomizations, charts (default: the targets in "
                             "kubepush.yaml)")
    parser.add_argument("-t", "--target", action="append", default=[], metavar="NAME",
                        help="only this target from kubepush.yaml (repeatable; default: all, in parallel)")
    parser.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG, "
                        "~/.kube/config, or the in-cluster service account)")
    parser.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the target's context, "
                        "else the current context)")
    parser.add_argument("-n", "--namespace", metavar="NS",
                        help="namespace for namespaced objects without one (with PATH arguments)")
    parser.add_argument("--concurrency", type=int, default=0, metavar="N",
                        help="concurrent API requests per target (default 16)")
    add_request_timeout(parser)


def add_request_timeout(parser: Adder) -> None:
    parser.add_argument("--request-timeout", type=float, default=30.0, metavar="SECONDS",
                        help="timeout of one API request (default 30)")


def add_ignore_manager(parser: argparse.ArgumentParser) -> None:
    """``--ignore-manager``: apply, diff and drift take it alike, so the preview is what the apply does."""
    parser.add_argument("--ignore-manager", action="append", default=[], metavar="NAME",
                        help="leave alone fields whose live value this field manager owns, e.g. an HPA's "
                             "replicas (repeatable; added to drift.ignore in kubepush.yaml)")


def add_validation(parser: Adder, before_apply: bool = False) -> None:
    """The validation flags of ``kubepush validate``, which apply takes too when it validates first."""
    version = "the target's" if before_apply else "newest bundled"
    parser.add_argument("-k", "--kubernetes-version", metavar="X.Y",
                        help=f"Kubernetes version to validate against (default: {version})")
    parser.add_argument("--strict", dest="strict", action="store_true", default=None,
                        help="reject unknown fields (default)")
    parser.add_argument("--no-strict", dest="strict", action="store_false", help="accept unknown fields")
    parser.add_argument("--ignore-missing-schemas", action="store_true", default=None,
                        help="warn instead of fail on kinds without a schema")
    parser.add_argument("--crd", action="append", default=[], metavar="PATH",
                        help="CustomResourceDefinitions to validate custom resources with (repeatable)")
    parser.add_argument("--disable", action="append", default=[], metavar="RULE",
                        help="switch off a validation rule (repeatable; see kubepush validate --list-rules)"
                        if before_apply else "switch off a rule, e.g. deprecated-api (repeatable; see --list-rules)")


def add_validate_before_apply(parser: argparse.ArgumentParser) -> None:
    """``--no-validate`` and the validation flags that matter when apply validates first."""
    group = parser.add_argument_group("validation before applying")
    group.add_argument("--no-validate", dest="validate", action="store_false", default=True,
                       help="skip the offline validation that runs before anything is applied")
    add_validation(group, before_apply=True)


def add_repository(where: Adder) -> None:
    """Where the config repository is and how commits are made (bump and revert)."""
    where.add_argument("--repo", metavar="URL", help="clone this repository into a temporary directory "
                                                      "(default: work in the current checkout)")
    where.add_argument("--checkout", default=".", metavar="DIR", help="the checkout to work in (default: .)")
    where.add_argument("--base", metavar="BRANCH", help="base branch (default: the remote's default branch)")
    where.add_argument("--no-pr", action="store_true", help="push the branch but open no pull request")
    where.add_argument("--author", metavar="'NAME <EMAIL>'", help="commit author and committer")
    where.add_argument("--signoff", action="store_true", default=None, help="add a Signed-off-by trailer")
    where.add_argument("--git-username", metavar="USER", help="HTTPS user for the token (default per forge)")


def add_forge(where: Adder) -> None:
    """Which forge and its API (bump, revert, comment)."""
    where.add_argument("--forge", choices=("github", "gitlab", "gitea"), help="when the URL does not say")
    where.add_argument("--forge-url", metavar="URL",
                       help="API base URL (GitHub Enterprise, self-managed GitLab, Gitea)")


def add_pull_request(pr: Adder) -> None:
    """The forge and the pull request's labels and people (bump and revert)."""
    add_forge(pr)
    pr.add_argument("--label", action="append", default=[], metavar="LABEL")
    pr.add_argument("--reviewer", action="append", default=[], metavar="USER")
    pr.add_argument("--assignee", action="append", default=[], metavar="USER")
    pr.add_argument("--draft", action="store_true", default=None)
    pr.add_argument("--auto-merge", action="store_true", default=None,
                    help="merge when checks pass (GitHub auto-merge, GitLab merge when pipeline succeeds)")
