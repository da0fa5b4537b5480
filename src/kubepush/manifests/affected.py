"""Which targets a change touches, so a CI system fans out over those only.

A target is affected when a changed file lies under its path, under a kustomize
base or component its kustomization references (``resources``, ``components``,
``bases``, followed recursively, local paths only), or when kubepush.yaml itself
changed - a changed setting may concern every target. Remote references (URLs,
``github.com/...?ref=``) are not followed: their content is not in this repository.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kubepush.manifests import kustomization


@dataclass
class Affected:
    """One target and why it is in the list (first few reasons, for the log)."""

    name: str
    path: str
    reasons: list[str] = field(default_factory=list)


def dependencies(path: Path) -> set[Path]:
    """``path`` itself and every local file or directory its kustomization pulls in, resolved.

    Cycles (a base that refers back) and unreadable kustomizations end the walk
    there instead of failing: deciding *whether* to run a target must not be
    stricter than running it, which reports such problems properly.
    """
    seen: set[Path] = set()
    pending = [path.resolve()]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if current.is_dir():
            pending.extend(_references(current))
    return seen


def _references(directory: Path) -> list[Path]:
    from kubepush.manifests import yaml11

    file = kustomization.find(directory)
    if file is None:
        return []
    try:
        data = yaml11.parse_document(file.read_text(encoding="utf-8")).value
    except (OSError, UnicodeDecodeError, yaml11.YAMLError):
        return []
    if not isinstance(data, dict):
        return []
    found = []
    for key in kustomization.NESTING:
        for entry in data.get(key) or ():
            if isinstance(entry, str) and kustomization.is_local(entry):
                candidate = (directory / entry).resolve()
                if candidate.exists():
                    found.append(candidate)
    return found


def affected(targets: Iterable[tuple[str, str]], changed: Iterable[str], root: Path,
             config_file: Path | None) -> list[Affected]:
    """The ``(name, path)`` targets that ``changed`` files (relative to ``root``) touch, in order."""
    files = [(root / c).resolve() for c in changed]
    config_changed = config_file is not None and config_file.resolve() in files
    result = []
    for name, path in targets:
        deps = dependencies(Path(path))
        reasons = [f"{_show(config_file, root)} changed"] if config_changed else []
        for file in files:
            owner = next((d for d in deps if file == d or d in file.parents), None)
            if owner is not None:
                reasons.append(f"{_show(file, root)} changed")
        if reasons:
            result.append(Affected(name, path, reasons))
    return result


def _show(path: Path | None, root: Path) -> str:
    assert path is not None
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
