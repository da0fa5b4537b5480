"""Branch names, commit messages and pull-request text for a set of updates.

Templates use ``str.format`` fields - ``{target}``, ``{image}`` (last path
component of the repository), ``{repository}``, ``{tag}`` (new tag when one image
moves), ``{count}``, ``{summary}`` - so teams can match their conventions from
kubepush.yaml; rendering and branch-name sanitising are :mod:`kubepush.gitops`'s.
A branch name is derived from the updates alone, so re-running the same bump
finds the same branch and the same pull request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubepush.bump.plan import Update

DEFAULT_BRANCH = "kubepush/{target}/{image}"
DEFAULT_COMMIT = "chore(deps): {summary}"
DEFAULT_TITLE = "chore(deps): {summary}"
BODY_MARKER = "<!-- kubepush:bump -->"


@dataclass(frozen=True)
class Texts:
    """Templates from flags/config (defaults above)."""

    branch: str = DEFAULT_BRANCH
    commit: str = DEFAULT_COMMIT
    title: str = DEFAULT_TITLE


def fields(updates: Sequence[Update], group_key: str) -> dict[str, str]:
    """Template fields for one group of updates (a group is one branch/PR)."""
    images = sorted({u.repository for u in updates})
    targets = sorted({u.target for u in updates if u.target})
    tags = sorted({u.new for u in updates})
    one = len(images) == 1
    image = images[0].rsplit("/", 1)[-1] if one else "images"
    summary = (f"bump {images[0].rsplit('/', 1)[-1]} to {tags[0]}" if one and len(tags) == 1
               else f"update {len(images)} images" if not one else f"bump {image}")
    return {
        "target": targets[0] if len(targets) == 1 else ("all" if targets else "repo"),
        "image": image,
        "repository": images[0] if one else "",
        "tag": tags[0] if len(tags) == 1 else "",
        "count": str(len(updates)),
        "summary": summary,
        "group": group_key,
    }


def body(updates: Sequence[Update], pipeline_url: str = "") -> str:
    """Markdown: a table of file, image, old -> new, policy; and who triggered it."""
    lines = [BODY_MARKER, "", "| file | image | old | new | why |", "|---|---|---|---|---|"]
    for u in sorted(updates, key=lambda u: (u.site.file, u.site.line)):
        lines.append(f"| `{u.site.file}:{u.site.line}` | `{u.repository}` | `{u.old}` | `{u.new}` | "
                     f"{_cell(u.reason)} |")
    lines.append("")
    if pipeline_url:
        lines.append(f"Triggered by {pipeline_url}")
        lines.append("")
    lines.append("_Opened by kubepush bump; re-running it updates this pull request instead of opening another._")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
