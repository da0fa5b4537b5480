"""The name an image has when it reaches a target's own kustomization.

An ``images:`` entry in an overlay applies to what the overlay's build holds at
that point, and kustomize matches it by the image *name as it is then*
(``image.IsImageMatched``, kubernetes-sigs/kustomize api/image/image.go: the
name as written, not normalised, followed by an optional tag/digest). A base
may already have renamed the image (``newName``), so the overlay entry must use
that name, or it silently matches nothing.

kustomize builds a kustomization by accumulating its ``resources`` (each built
on its own first), then its ``components`` in order, each transforming what was
accumulated before it, then running its own transformers - ``images`` among
them (sigs.k8s.io/kustomize api/internal/target/kusttarget.go,
``AccumulateTarget``). :class:`Build` follows the same order for names only.
Local references only: a remote base is not in the repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubepush.manifests import kustomization
from kubepush.manifests.documents import Document

#: how deep a base chain may go before it is taken for a cycle
MAX_DEPTH = 64


@dataclass(frozen=True)
class _Node:
    """One kustomization in the build: what it renames and what it is built from."""

    images: tuple[dict[str, Any], ...]
    resources: tuple[Path, ...]
    components: tuple[Path, ...]


@dataclass
class Build:
    """The kustomize build rooted at ``top`` (a directory holding a kustomization)."""

    top: Path
    nodes: dict[Path, _Node] = field(default_factory=dict)
    parents: dict[Path, list[Path]] = field(default_factory=dict)  # dir or file -> kustomizations listing it

    @classmethod
    def load(cls, top: Path) -> Build:
        build = cls(top.resolve())
        pending = [build.top]
        while pending:
            directory = pending.pop()
            if directory in build.nodes:
                continue
            file = kustomization.find(directory)
            doc = kustomization.read(file) if file else None
            if not isinstance(doc, Document) or not isinstance(doc.obj, dict):
                continue  # a broken kustomization fails its render, which reports it
            refs = [r for r in kustomization.references(doc) if r.target.exists()]
            node = _Node(tuple(e for e in doc.obj.get("images") or () if isinstance(e, dict)),
                         tuple(r.target.resolve() for r in refs if r.field[0] in ("resources", "bases")),
                         tuple(r.target.resolve() for r in refs if r.field[0] == "components"))
            build.nodes[directory] = node
            for child in (*node.resources, *node.components):
                build.parents.setdefault(child, []).append(directory)
                if child.is_dir():
                    pending.append(child)
        return build

    @property
    def file(self) -> Path | None:
        """The top kustomization file (where a target's own ``images:`` entries live)."""
        return kustomization.find(self.top)

    def names_at_top(self, file: Path, name: str, *, own_entry: bool = False) -> set[str]:
        """The names an image written as ``name`` in ``file`` has when the top's ``images:`` run.

        ``own_entry``: ``file`` is a kustomization and ``name`` the output of one of its own
        ``images:`` entries (so that kustomization's transformers have already run).
        Empty when ``file`` is not part of the build. Several names only when the file is
        reached along paths that rename it differently.
        """
        file = file.resolve()
        if own_entry:
            return self._up(file.parent, name, 0)
        listing = self.parents.get(file) or [d for d in [self._holder(file)] if d is not None]
        names: set[str] = set()
        for directory in listing:
            names |= self._arrive(directory, None, name, 0)
        return names

    def _holder(self, file: Path) -> Path | None:
        """The innermost kustomization directory of the build that ``file`` lies in."""
        return next((d for d in file.parents if d in self.nodes), None)

    def _arrive(self, directory: Path, child: Path | None, name: str, depth: int) -> set[str]:
        """``name`` entering ``directory``'s build from ``child`` (None: one of its own files)."""
        node = self.nodes[directory]
        components = node.components
        if child in components:  # a component transforms only what was accumulated before it
            components = components[components.index(child) + 1:]
        for component in components:
            name = self._whole(component, name, depth + 1)
        if directory == self.top:
            return {name}
        return self._up(directory, _rename(node.images, name), depth)

    def _up(self, directory: Path, name: str, depth: int) -> set[str]:
        """``name`` leaving ``directory``'s finished build, into each kustomization listing it."""
        if directory == self.top:
            return {name}
        if depth > MAX_DEPTH:
            return set()
        names: set[str] = set()
        for parent in self.parents.get(directory, ()):
            names |= self._arrive(parent, directory, name, depth + 1)
        return names

    def _whole(self, directory: Path, name: str, depth: int) -> str:
        """``name`` after every transformer of the component ``directory`` (its components first)."""
        node = self.nodes.get(directory)
        if node is None or depth > MAX_DEPTH:
            return name
        for component in node.components:
            name = self._whole(component, name, depth + 1)
        return _rename(node.images, name)


def _rename(images: tuple[dict[str, Any], ...], name: str) -> str:
    """One kustomization's ``images:`` applied to a name, entry after entry (as kustomize runs them)."""
    for entry in images:
        if entry.get("name") == name and isinstance(entry.get("newName"), str) and entry["newName"]:
            name = entry["newName"]
    return name
