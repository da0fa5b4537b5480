"""The ``kubepush`` command line: argument wiring and exit codes only.

Each subcommand lives in ``kubepush.cli.<name>`` with two functions,
``add_arguments(parser)`` and ``run(args) -> int``; the flags several commands share are in
:mod:`kubepush.cli.flags`, and :mod:`kubepush.cli.settings` merges flags with kubepush.yaml
into the options objects the domain packages take. Only the chosen command's
module is imported, so ``kubepush --help`` stays instant and a broken optional
dependency of one stage never breaks the others.

Exit codes: 0 ok, 1 findings/changes/drift, 2 usage or environment error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kubepush import __version__
from kubepush.cli.flags import add_common
from kubepush.errors import EXIT_OK, EXIT_USAGE, UsageError

#: name -> (module, one-line help). Order is the order ``--help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("kubepush.cli.validate", "validate manifests against offline schemas and API-server rules"),
    "apply": ("kubepush.cli.apply", "server-side apply manifests to clusters in stages, prune, wait for health"),
    "diff": ("kubepush.cli.diff", "preview what apply would change in each cluster (server-side dry run)"),
    "drift": ("kubepush.cli.drift", "compare clusters with Git: drifted fields and who changed them; --heal"),
    "status": ("kubepush.cli.status", "per target: the revision applied, when and by whom, health, sync, last applies"),
    "bump": ("kubepush.cli.bump", "update image tags in the config repo and open or update a pull request"),
    "revert": ("kubepush.cli.revert", "open a pull request that reverts a commit, or a target's last applied revision"),
    "images": ("kubepush.cli.images", "list every image reference (what bump sees), with file and line"),
    "targets": ("kubepush.cli.targets", "list the targets a change affects, as a CI matrix (GitHub, GitLab, json)"),
    "comment": ("kubepush.cli.comment", "post or update one sticky pull-request comment per target from a report"),
}


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage, which is our contract too; only the wording is ours."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"kubepush: error: {message}\n")
        sys.exit(EXIT_USAGE)


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """Top-level parser; only ``command``'s module is imported to add its flags."""
    parser = _Parser(
        prog="kubepush",
        description="Push-mode GitOps: validate, bump, apply and drift-check Kubernetes manifests from CI.",
        epilog="Exit codes: 0 ok, 1 findings or drift, 2 usage or environment error.",
    )
    parser.add_argument("--version", action="version", version=f"kubepush {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, summary) in COMMANDS.items():
        sp = sub.add_parser(name, help=summary, description=summary)
        if name == command:
            add_common(sp)
            importlib.import_module(module).add_arguments(sp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns (and exits with) the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(args_list)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args))
    except UsageError as exc:
        sys.stderr.write(f"kubepush {args.command}: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("kubepush: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
