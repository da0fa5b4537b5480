"""What a bump did, per branch/pull request and in all: the summary the CLI prints or emits as JSON."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kubepush.bump import plan as planner
from kubepush.model import Finding


@dataclass
class GroupResult:
    """One branch/pull request worth of updates and what happened to it."""

    key: str
    updates: list[planner.Update]
    branch: str = ""
    status: str = "planned"  # planned | pushed | up-to-date | no-changes | dry-run
    commit: str = ""
    pull_request: dict[str, Any] | None = None
    diff: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.key, "branch": self.branch, "status": self.status, "commit": self.commit,
                "pullRequest": self.pull_request, "updates": [u.to_dict() for u in self.updates]}


@dataclass
class BumpResult:
    groups: list[GroupResult] = field(default_factory=list)
    up_to_date: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(g.status in ("pushed", "dry-run") for g in self.groups)

    def to_dict(self) -> dict[str, Any]:
        prs = [g.pull_request for g in self.groups if g.pull_request]
        return {"changed": self.changed, "upToDate": self.up_to_date,
                "groups": [g.to_dict() for g in self.groups],
                "prNumber": prs[0]["number"] if len(prs) == 1 else None,
                "prUrl": prs[0]["url"] if len(prs) == 1 else None,
                "findings": [f.to_dict() for f in self.findings]}


def relative(updates: Sequence[planner.Update], root: Path) -> list[planner.Update]:
    """``updates`` with their files relative to ``root``: what the summary shows, not a clone's path."""
    return [replace(u, site=replace(u.site, file=os.path.relpath(u.site.file, root))) for u in updates]
