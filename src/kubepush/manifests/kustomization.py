"""What a kustomization is built from: its local file and directory references, with positions.

Every field of a Kustomization that names a file or directory (``resources``, ``components``,
``patches[].path``, generator ``files``, ... - the fields of kustomize's ``types.Kustomization``,
kubernetes-sigs/kustomize api/types/kustomization.go) is listed with the JSON path of the entry, so
a problem with the referenced path can be reported at the line of the kustomization that names
it. Remote references (URLs, ``github.com/org/repo//dir?ref=v1``) have no local file and are left
out, as are inline patches.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubepush.manifests.documents import Document, parse_text
from kubepush.model import Finding

FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

#: fields whose entries are paths: a list of paths, or a list of objects with these path keys
_PATH_LISTS = ("resources", "bases", "components", "crds", "configurations", "generators", "transformers",
               "validators", "patchesStrategicMerge")
_PATH_OBJECTS = {"patches": ("path",), "patchesJson6902": ("path",), "replacements": ("path",),
                 "configMapGenerator": ("files", "envs", "env"), "secretGenerator": ("files", "envs", "env")}
#: fields whose entries may be kustomization directories, followed by :func:`walk`
NESTING = ("resources", "bases", "components")


@dataclass(frozen=True, slots=True)
class Reference:
    """One path a kustomization names: where it is written and what it resolves to."""

    kustomization: Document
    field: tuple[str | int, ...]  # JSON path of the entry, e.g. ("resources", 1)
    value: str  # the path as written
    target: Path  # absolute, normalised (symlinks not resolved: kustomize reports the written path)

    def locate(self) -> tuple[int, int]:
        return self.kustomization.locate(self.field)


def find(directory: Path) -> Path | None:
    """The kustomization file of ``directory``, if it has one."""
    return next((directory / name for name in FILES if (directory / name).is_file()), None)


def is_local(reference: str) -> bool:
    """Not a URL or a go-getter style remote (``github.com/org/repo//dir?ref=v1``)."""
    return "://" not in reference and not reference.startswith("git@") and "?ref=" not in reference


def read(file: Path) -> Document | Finding | None:
    """The kustomization as a document, a YAML error finding, or None when it cannot be read."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for item in parse_text(text, os.path.relpath(file)):
        return item
    return None


def references(doc: Document) -> list[Reference]:
    """Every local path ``doc`` (a parsed kustomization) names, in field order."""
    data = doc.obj if isinstance(doc.obj, dict) else {}
    directory = Path(os.path.abspath(doc.file)).parent
    found: list[Reference] = []

    def add(field: tuple[str | int, ...], value: Any) -> None:
        if isinstance(value, str) and value and "\n" not in value and is_local(value):
            path = value.split("=", 1)[1] if str(field[0]).endswith("Generator") and "=" in value else value
            found.append(Reference(doc, field, value, Path(os.path.normpath(directory / path))))

    for key in _PATH_LISTS:
        for i, entry in _entries(data.get(key)):
            add((key, i), entry)
    for key, subkeys in _PATH_OBJECTS.items():
        for i, entry in _entries(data.get(key)):
            for sub in subkeys if isinstance(entry, dict) else ():
                value = entry.get(sub)
                if isinstance(value, list):
                    for j, item in enumerate(value):
                        add((key, i, sub, j), item)
                else:
                    add((key, i, sub), value)
    openapi = data.get("openapi")
    if isinstance(openapi, dict):
        add(("openapi", "path"), openapi.get("path"))
    return found


def _entries(value: Any) -> Iterator[tuple[int, Any]]:
    return enumerate(value) if isinstance(value, list) else iter(())


def walk(directory: Path) -> Iterator[Document | Finding]:
    """The kustomizations ``directory`` builds from (itself first), once each, as documents or YAML errors.

    Only what can be followed is followed: a missing or unreadable kustomization ends that branch
    (the caller reports it through the reference that names it).
    """
    seen: set[Path] = set()
    pending = [Path(os.path.abspath(directory))]
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        file = find(current)
        item = read(file) if file else None
        if item is None:
            continue
        yield item
        if isinstance(item, Document):
            pending += [r.target for r in references(item) if r.field[0] in NESTING and r.target.is_dir()]

