"""Which updates share a branch and pull request: all together (default), per image, or per target."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kubepush.bump.plan import Update
from kubepush.errors import UsageError

GROUPINGS = ("all", "image", "target")


def group_updates(updates: Sequence[Update], how: str) -> dict[str, list[Update]]:
    """Updates per branch/PR: all together (default), per image, or per target."""
    if how not in GROUPINGS:
        raise UsageError(f"unknown grouping {how!r}: use one of {', '.join(GROUPINGS)}")
    groups: dict[str, list[Update]] = {}
    for u in updates:
        key = "all" if how == "all" else u.repository if how == "image" else (u.target or "repo")
        groups.setdefault(key, []).append(u)
    return groups


def same_group(how: str, key: str) -> Callable[[Update], bool]:
    """Whether an update (of a re-planned tree) belongs to group ``key``."""
    return lambda u: next(iter(group_updates([u], how))) == key
