"""``kubepush comment``: one sticky comment per target on the pull/merge request, edited in place.

The body is a Markdown report written by ``--summary-md`` of validate, diff, apply, drift or
bump. In CI everything but ``--target`` and ``--from`` comes from the environment (see
:mod:`kubepush.ci.context`); the token from the forge's variables, like ``kubepush bump``.
Exit codes: 0 posted (or unchanged), 2 usage or environment error (no pull request, no
token, forge refused).
"""

from __future__ import annotations

import argparse
import json
import sys

from kubepush.cli import flags
from kubepush.errors import EXIT_OK, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pr", type=int, metavar="N", help="pull/merge request number (default: from CI: "
                        "GITHUB_EVENT_PATH, CI_MERGE_REQUEST_IID or CHANGE_ID)")
    parser.add_argument("-t", "--target", required=True, metavar="NAME",
                        help="the target the report is about: one comment per target")
    parser.add_argument("--from", dest="source", required=True, metavar="FILE.md",
                        help="Markdown report (from --summary-md), or - for stdin")
    parser.add_argument("--section", default="report", metavar="NAME",
                        help="the part of the comment this report replaces, e.g. validate, diff, bump "
                             "(default report); other sections are kept")
    parser.add_argument("--link", metavar="URL", help="where the full report is (default: the CI run)")
    parser.add_argument("--repo", metavar="URL", help="repository of the pull request (default: from CI, "
                        "else origin of the current checkout)")
    flags.add_forge(parser)
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text",
                        help="json: number, comment id and URL, and whether it was created or updated")


def run(args: argparse.Namespace) -> int:
    from kubepush.ci import context, sticky
    from kubepush.forges.factory import open_forge

    if not sticky.SECTION_NAME.match(args.section):
        raise UsageError(f"--section {args.section!r}: invalid section name: use lowercase letters, digits and -")
    ci = context.detect()
    number = args.pr if args.pr is not None else ci.pr
    if number is None:
        raise UsageError("no pull request to comment on: pass --pr N (in CI it is read from GITHUB_EVENT_PATH, "
                         "CI_MERGE_REQUEST_IID or CHANGE_ID, which this run does not have)")
    text = _redact_tokens(_read(args.source))
    repo_url = args.repo or ci.repo_url or _origin()
    forge = open_forge(repo_url, kind=args.forge or ci.forge, api_url=args.forge_url or ci.api_url or None)
    existing = forge.find_comment(number, sticky.marker(args.target))
    body = sticky.compose(args.target, existing.body if existing else "", args.section, text,
                          forge.max_body_chars, link=args.link or ci.run_url,
                          footer=f"Updated by kubepush on every run{_run(args.link or ci.run_url)}.")
    comment = forge.save_comment(number, sticky.marker(args.target), body, existing)
    action = "created" if existing is None else "unchanged" if existing.body == comment.body else "updated"
    if args.output == "json":
        json.dump({"number": number, "commentId": comment.id, "url": comment.url, "action": action},
                  sys.stdout)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(f"{action} comment for target {args.target} on #{number}{': ' + comment.url if comment.url else ''}")
    return EXIT_OK


def _run(link: str) -> str:
    return f" · [CI run]({link})" if link else ""


def _redact_tokens(text: str) -> str:
    """A report never holds a token, but a comment is public: the forge tokens of this run are
    replaced should one have slipped into the text (an echoed variable, a URL with credentials)."""
    import os

    from kubepush.forges.factory import TOKEN_ENV
    from kubepush.redact import redact

    values = (os.environ.get(name, "") for names in TOKEN_ENV.values() for name in names)
    return redact(text, [value for value in values if len(value) >= 8])


def _read(source: str) -> str:
    try:
        if source == "-":
            return sys.stdin.read()
        with open(source, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--from {source}: cannot read the report: {exc}") from None


def _origin() -> str:
    from kubepush.gitops.origin import origin_url

    url = origin_url()
    if not url:
        raise UsageError("no repository: pass --repo URL (not in CI, and the current directory has no "
                         "git remote 'origin')")
    return url
