"""The targets of one revision, rendered: each target's objects by identity, and what kept it from rendering.

It is the loader validate and apply use (:mod:`kubepush.manifests.sources`), so kustomize, Helm,
plain YAML and SOPS-encrypted documents render here exactly as they are applied: decrypted where
a key is at hand (the comparison masks the values, and says which keys changed), else compared as
written - a re-encrypted Secret is then "changed", without a key or a value shown. Starting
kustomize costs more than most builds, so the targets that are one kustomization each are built
in one process per core (:func:`~kubepush.manifests.sources.load_kustomizations`); when a joint
build fails - one of them does not build, or two yield the same object - each is built on its own,
concurrently, which also tells which one failed. The base revision's files live in a worktree:
``here`` names them as the repository does, so both sides read the same file names.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kubepush.cluster.items import item_of
from kubepush.errors import UsageError
from kubepush.manifests import sources
from kubepush.manifests.documents import Document
from kubepush.manifests.sops_decrypt import Decryptor
from kubepush.model import Finding, Severity
from kubepush.preview.compare import Key, Placed

_RENDERED = (" (kustomize)", " (helm template)")


@dataclass
class Rendered:
    """One target at one revision: its objects in file order, and the findings that stop or mark it."""

    objects: dict[Key, Placed] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    files: int = 0

    @property
    def failed(self) -> bool:
        """It did not render (or not all of it): comparing it would report objects that only failed to load."""
        return any(f.severity is Severity.ERROR for f in self.findings)


def render(targets: dict[str, list[str]], here: Callable[[str], str] = lambda p: p) -> dict[str, Rendered]:
    """Each target (name -> paths) rendered; a render failure is a finding of its target, never an exception
    (a missing renderer is: it is the environment's, exit 2)."""
    found: dict[str, list[sources.Source]] = {}
    out: dict[str, Rendered] = {}
    for name, paths in targets.items():
        try:
            found[name] = list(sources.discover(paths))
        except UsageError as exc:  # the target's path is not there (at this revision)
            out[name] = Rendered(findings=[Finding(rule="render-error", message=str(exc), file=here(paths[0]))])
    decryptor = Decryptor(enabled=True, required=False)  # a fork's pull request has no key: not an error
    decryptor.prefetch(s.path for found_ in found.values() for s in found_ if s.kind == "file")
    joint = [n for n, s in found.items() if len(s) == 1 and s[0].kind == "kustomize"]
    cores = os.cpu_count() or 2
    loaded: dict[str, list[Document | Finding]] = {}
    if len(joint) > 1:  # one joint build per core: kustomize's own work grows faster than its object count
        count = min(cores, len(joint) // 2)
        groups = [joint[i::count] for i in range(count)]

        def together(group: list[str]) -> dict[str, list[Document | Finding]]:
            built = sources.load_kustomizations([found[n][0].path for n in group], decryptor)
            return {} if built is None else {n: built[found[n][0].path] for n in group}

        with ThreadPoolExecutor(max_workers=len(groups)) as pool:
            for built in pool.map(together, groups):
                loaded.update(built)
    rest = [n for n in found if n not in loaded]
    with ThreadPoolExecutor(max_workers=max(1, min(len(rest), cores))) as pool:
        for name, docs in zip(rest, pool.map(lambda n: _load_all(found[n], decryptor), rest), strict=True):
            loaded[name] = docs
    for name in found:
        out[name] = _placed(loaded[name], len(found[name]), here)
    return {name: out[name] for name in targets}


def _load_all(found: Iterable[sources.Source], decryptor: Decryptor) -> list[Document | Finding]:
    return [doc for source in found for doc in sources.load(source, decryptor)]


def _placed(docs: list[Document | Finding], files: int, here: Callable[[str], str]) -> Rendered:
    result = Rendered(files=files)
    for doc in docs:
        entry: Any = item_of(doc)
        if isinstance(entry, Finding):
            entry.file = _name(entry.file, here)
            result.findings.append(entry)
            continue
        assert isinstance(doc, Document)
        doc.file = _name(doc.file, here)
        placed = Placed(entry.obj, doc.file, entry.line, entry.document, doc)
        key = _identity(placed)
        if key in result.objects:
            first = result.objects[key]
            result.findings.append(Finding(
                rule="declared-twice", severity=Severity.WARNING, file=doc.file, line=entry.line,
                document=entry.document, object=entry.ref,
                message=f"{entry.ref} is declared twice in this target (first at {first.file}:{first.line}); "
                        "the preview compares the first", hint="keep one of them"))
            continue
        result.objects[key] = placed
    return result


def _identity(placed: Placed) -> Key:
    """(group, kind, namespace, name) - a hook's generateName standing for its name."""
    ref = placed.ref
    return (ref.api_version.rpartition("/")[0], ref.kind, ref.namespace, ref.name)


def _name(file: str, here: Callable[[str], str]) -> str:
    """A file of the revision as the repository names it (a rendered unit keeps its suffix)."""
    for suffix in _RENDERED:
        if file.endswith(suffix):
            return here(file.removesuffix(suffix)) + suffix
    return here(file) if file else file
