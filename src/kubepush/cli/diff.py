"""``kubepush diff``: preview what an apply would change (for pull requests) - the drift
comparison (server-side apply dry run, managedFields attribution, masked Secrets)."""

from __future__ import annotations

import argparse

from kubepush.cli import drift


def add_arguments(parser: argparse.ArgumentParser) -> None:
    drift.add_arguments(parser, heal=False)


def run(args: argparse.Namespace) -> int:
    return drift.run(args, preview=True)
