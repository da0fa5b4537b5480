"""Branch names and commit messages from templates.

Templates use ``str.format`` fields (``{target}``, ``{image}``, ``{tag}``, ...),
the same syntax for branch and message, so kubepush.yaml needs one explanation.
A branch name is then made valid for git (``git check-ref-format --branch``):
an image name such as ``ghcr.io/org/app:1.2`` or a target called ``prod eu``
must still give a stable branch, because re-runs find their pull request by it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

from kubepush.gitops.errors import GitError

DEFAULT_BRANCH = "kubepush/{target}/{image}"
DEFAULT_MESSAGE = "chore(deps): update {image} to {tag}"
MAX_BRANCH = 200  # git allows more, but forges and filesystems get unhappy far beyond this

_BAD_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]+")


def render(template: str, fields: Mapping[str, object], what: str) -> str:
    """``template`` with ``fields`` filled in; an unknown field names the ones available."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    missing = sorted(n for n in names if n.split(".")[0].split("[")[0] not in fields)
    if missing:
        raise GitError(f"{what} template {template!r} uses unknown field(s) {', '.join(missing)}: "
                       f"available are {', '.join(sorted(fields)) or 'none'}")
    try:
        return template.format_map(fields)
    except (ValueError, IndexError, AttributeError, KeyError) as exc:
        raise GitError(f"{what} template {template!r} is invalid: {exc}") from None


def _component(part: str) -> str:
    """One path component made valid; repeated because each fix can expose another."""
    previous = None
    while part != previous:
        previous = part
        part = _BAD_CHARS.sub("-", part).replace("@{", "-{")
        part = re.sub(r"\.{2,}", ".", part).strip(".-")
        part = part.removesuffix(".lock")
    return part


def sanitize_branch(name: str) -> str:
    """``name`` turned into a valid branch name: bad characters become ``-``.

    Rules of ``git check-ref-format --branch``: no control characters, space,
    ``~ ^ : ? * [ \\``, no ``..`` or ``@{``, no component starting with ``.`` or
    ending in ``.lock``, no empty component, no trailing ``.``, not ``@`` alone,
    not starting with ``-``. Components also lose leading/trailing ``.`` and ``-``.
    """
    parts = [p for p in (_component(p) for p in name.split("/")) if p]
    result = "/".join(parts)
    while len(result) > MAX_BRANCH:
        parts = [p for p in (_component(p) for p in result[:MAX_BRANCH].split("/")) if p]
        result = "/".join(parts)
    if not result or result in ("@", "HEAD"):
        raise GitError(f"branch name {name!r} has nothing usable left after removing characters git "
                       "does not allow: set a different branch template")
    return result


def check_branch(name: str, what: str = "branch") -> None:
    """Refuse a branch name git would not accept (it would also break the refspecs built from it)."""
    try:
        ok = sanitize_branch(name) == name
    except GitError:
        ok = False
    if not ok:
        raise GitError(f"invalid {what} branch name {name!r}: git does not allow it "
                       "(see git check-ref-format)")


def branch_name(template: str = DEFAULT_BRANCH, **fields: object) -> str:
    """A valid branch name from ``template``; an image's tag/digest is not part of ``{image}``."""
    return sanitize_branch(render(template, fields, "branch"))


def commit_message(template: str = DEFAULT_MESSAGE, **fields: object) -> str:
    """The commit message from ``template``."""
    message = render(template, fields, "commit message").strip()
    if not message:
        raise GitError(f"commit message template {template!r} gives an empty message")
    return message + "\n"
