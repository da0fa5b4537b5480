"""Turn command-line paths into sources of documents.

A source is one file, standard input, a kustomization directory or a Helm chart.
Directories are walked recursively for ``*.yaml``/``*.yml``/``*.json``; a
directory holding a kustomization or a ``Chart.yaml`` is rendered as one unit
instead of being walked (its files are inputs to the renderer, not manifests).

Each source has a *scope*: duplicate resources are only an error inside one
scope (one path argument, or one rendered unit), because a base and its
overlays legitimately define the same objects.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubepush import lazy_re
from kubepush.config import DEFAULT_NAME
from kubepush.errors import UsageError
from kubepush.manifests import render, render_errors, walk
from kubepush.manifests.documents import Document, parse_text, yaml_error_finding
from kubepush.manifests.encoding import manifest_text
from kubepush.manifests.errors import YAMLError
from kubepush.manifests.kustomization import FILES as KUSTOMIZATION_FILES
from kubepush.manifests.sops_format import mentions_sops
from kubepush.model import Finding

if TYPE_CHECKING:
    from kubepush.manifests.sops_decrypt import Decryptor

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class Source:
    """One unit of input; picklable so worker processes can read it themselves."""

    kind: str  # "file" | "stdin" | "kustomize" | "helm"
    path: str
    scope: str
    data: bytes | None = None  # stdin is read once, by the parent, as bytes (decoded like a file)
    #: a part of a large file: byte range and the line it starts at (see split_large)
    start: int = 0
    end: int = -1
    line_base: int = 0

    @property
    def is_part(self) -> bool:
        return self.start > 0 or self.end >= 0


def discover(paths: list[str], *, render_dirs: bool = True) -> Iterator[Source]:
    """Sources for ``paths`` in a stable order; raises UsageError for a bad path.

    ``render_dirs=False`` walks kustomize/Helm directories as plain files
    (what kubeconform does), used to compare verdicts file by file.
    """
    for arg in paths:
        if arg == "-":
            yield Source("stdin", "<stdin>", "<stdin>", sys.stdin.buffer.read())
            continue
        path = Path(arg)
        if not path.exists():
            raise UsageError(f"{arg}: no such file or directory")
        if path.is_file():
            if render_dirs and path.name in KUSTOMIZATION_FILES:
                yield Source("kustomize", str(path.parent), arg)
            else:
                yield Source("file", arg, arg)
            continue
        found = False
        for source in _walk(path, arg, render_dirs):
            found = True
            yield source
        if not found:
            raise UsageError(
                f"{arg}: no manifests found (looked for {', '.join('*' + s for s in MANIFEST_SUFFIXES)}, "
                "kustomizations and Helm charts)"
            )


_MARKER_BYTES = lazy_re.compile(rb"^---(?=[ \t\r\n]|$)", re.M)


def split_large(source: Source, part_size: int) -> list[Source]:
    """A large plain file as parts of about ``part_size`` bytes, cut at ``---`` lines.

    Lets several workers share one big file (a rendered chart, a ``kubectl get -o
    yaml`` dump). Each part knows the line it starts at, so positions stay exact;
    document indexes are made file-wide by the caller, which sees parts in order.
    """
    try:
        size = os.path.getsize(source.path)
    except OSError:
        return [source]
    if source.kind != "file" or source.is_part or size <= part_size:
        return [source]
    with open(source.path, "rb") as fh:
        data = fh.read()
    cuts = [0]
    for match in _MARKER_BYTES.finditer(data, part_size):
        if match.start() >= cuts[-1] + part_size:
            cuts.append(match.start())
    if len(cuts) == 1:
        return [source]
    bounds = [*cuts, len(data)]
    lines = [0]
    for a, b in zip(bounds, bounds[1:-1]):
        lines.append(lines[-1] + data.count(b"\n", a, b))
    return [Source("file", source.path, source.scope, start=a, end=b, line_base=line)
            for a, b, line in zip(bounds, bounds[1:], lines)]


def _walk(root: Path, scope: str, render_dirs: bool) -> Iterator[Source]:
    """A directory's sources, by the walk every command shares (:mod:`.walk`)."""
    for path, unit in walk.walk(str(root), _is_manifest, _unit if render_dirs else None):
        yield Source(unit, path, path) if unit else Source("file", path, scope)


#: files a walk finds that are kubepush's or kustomize's configuration, not resources: kubepush.yaml
#: (``validate .`` in a config repository) and, walked as plain files (``--no-render``),
#: kustomizations. A path given on the command line is still read as given.
NOT_MANIFESTS = frozenset({DEFAULT_NAME, *KUSTOMIZATION_FILES})


def _is_manifest(name: str) -> bool:
    return name.endswith(MANIFEST_SUFFIXES) and name not in NOT_MANIFESTS


def _unit(path: str) -> str | None:
    """"kustomize" or "helm" for a directory rendered as one unit, else None."""
    directory = Path(path)
    if render.is_kustomization_dir(directory):
        return "kustomize"
    return "helm" if render.is_chart_dir(directory) else None


def read_text(path: str, start: int = 0, end: int = -1, line_base: int = 0) -> str:
    """Read a manifest file (or the byte range of a part) as UTF-8.

    Raises :class:`YAMLError` (a finding, not exit 2) for binary files and
    invalid UTF-8, with the line and column of the first bad byte.
    """
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            data = fh.read() if end < 0 else fh.read(end - start)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    return manifest_text(data, offset=start, line_base=line_base)


def load(source: Source, decryptor: Decryptor | None = None) -> Iterator[Document | Finding]:
    """All documents (and per-document YAML errors) of one source.

    SOPS documents are decrypted by ``decryptor``, or marked as encrypted (``Document.sealed``)
    when there is none (:mod:`.sops`); text that cannot hold one is streamed as it parses.
    """
    if source.kind == "stdin":
        try:
            text = manifest_text(source.data or b"")
        except YAMLError as exc:
            yield yaml_error_finding(exc, "<stdin>", 0)
            return
        yield from _opened(parse_text(text, "<stdin>"), text, decryptor, stdin=text)
        return
    if source.kind == "file":
        try:
            text = read_text(source.path, source.start, source.end, source.line_base)
        except YAMLError as exc:
            yield yaml_error_finding(exc, source.path, 0)
            return
        yield from _opened(parse_text(text, source.path, line_base=source.line_base), text, decryptor)
        return
    directory = Path(source.path)
    try:
        if source.kind == "kustomize":
            text, wrapper = render.kustomize(directory)
        else:
            text = render.helm_template(directory)
    except render.RenderFailed as exc:  # the unit does not render: a finding, the other sources go on
        explain = render_errors.kustomize_failure if source.kind == "kustomize" else render_errors.helm_failure
        yield from explain(directory, exc.stderr)
        return
    if source.kind == "kustomize":
        items = kustomize_output(source.path, text, wrapper)
    else:
        items = parse_text(text, f"{source.path} (helm template)")
    yield from _opened(items, text, decryptor, rendered=True)


def _opened(items: Iterator[Document | Finding], text: str, decryptor: Decryptor | None, rendered: bool = False,
            stdin: str | None = None) -> Iterator[Document | Finding]:
    """``items``, their SOPS documents opened (:func:`.sops.open_documents`) when ``text`` can hold one;
    streamed as they parse otherwise, without importing the SOPS modules."""
    if not mentions_sops(text):
        return items
    from kubepush.manifests.sops import open_documents

    return open_documents(items, decryptor, rendered=rendered, stdin=stdin)


def kustomize_output(path: str, text: str, wrapper: Path) -> Iterator[Document | Finding]:
    """The documents of kustomize's output for the kustomization at ``path``, each pointing back at
    the file it was written in (``wrapper``: the build's wrapper directory, see :func:`render.kustomize`)."""
    return _with_origins(parse_text(text, f"{path} (kustomize)"), wrapper)


def load_kustomizations(paths: list[str], decryptor: Decryptor | None = None
                        ) -> dict[str, list[Document | Finding]] | None:
    """The documents of several kustomizations from one joint build (:func:`render.kustomize_many`),
    per path, SOPS documents opened as :func:`load` opens them; None when the joint build fails -
    build them one by one (:func:`load`) then."""
    try:
        text, wrapper = render.kustomize_many([Path(p) for p in paths])
    except render.RenderFailed:
        return None
    joint = f"{len(paths)} kustomizations (kustomize)"
    out: dict[str, list[Document | Finding]] = {p: [] for p in paths}
    parts: dict[int, int | None] = {}

    def marked() -> Iterator[Document | Finding]:  # the mark goes before decryption: it is not in the MAC
        for item in _with_origins(parse_text(text, joint), wrapper):
            if isinstance(item, Document):
                parts[id(item)] = _take_part(item.obj)
            yield item

    for item in _opened(marked(), text, decryptor, rendered=True):
        part = parts.get(id(item)) if isinstance(item, Document) else None
        if part is None or not 0 <= part < len(paths):
            return None  # not one of ours (an object without the mark): do not guess whose it is
        if item.file == joint:  # not traced to a source file: the build output of its own directory
            item.file = f"{paths[part]} (kustomize)"
        out[paths[part]].append(item)
    return out


def _take_part(obj: Any) -> int | None:
    """The joint build's part mark of ``obj``, removed wherever kustomize put it (metadata and pod
    templates), with the annotation maps it alone made; None when ``obj`` has none."""
    found: list[str] = []

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            annotations = node.get("annotations")
            if isinstance(annotations, dict) and render.PART_ANNOTATION in annotations:
                found.append(str(annotations.pop(render.PART_ANNOTATION)))
                if not annotations:
                    del node["annotations"]
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(obj)
    return int(found[0]) if found and found[0].isdigit() else None


def _with_origins(items: Iterator[Document | Finding], wrapper: Path) -> Iterator[Document | Finding]:
    """Point each rendered document back at the file it was written in.

    The origin annotation is removed (it was only asked for by us). Findings are
    then located in the source file's matching document when one is found, so
    ``file:line`` is where the user edits; otherwise in the rendered output.
    """
    cache: dict[str, dict[str, list[tuple[Document, str]]]] = {}
    for item in items:
        if isinstance(item, Document) and isinstance(item.obj, dict):
            meta = item.obj.get("metadata")
            annotations = meta.get("annotations") if isinstance(meta, dict) else None
            origin = annotations.pop(render.ORIGIN_ANNOTATION, None) if isinstance(annotations, dict) else None
            if isinstance(meta, dict) and isinstance(annotations, dict) and not annotations:
                del meta["annotations"]
            source_file = render.origin_file(origin, wrapper) if isinstance(origin, str) else ""
            if source_file:
                item.origin = source_file
                match = _source_document(item, cache)
                if match is not None:
                    item.file, item.raw, item.index, item.prefix = match.file, match.raw, match.index, match.prefix
        yield item


def _source_document(rendered: Document, cache: dict[str, dict[str, list[tuple[Document, str]]]]
                     ) -> Document | None:
    """The document in ``rendered.origin`` that became ``rendered`` (same kind, name contained).

    Each origin file is read once per build, its documents grouped by kind: twenty overlays of one
    base point a thousand rendered objects at the same few files."""
    if rendered.origin not in cache:
        try:
            text = read_text(rendered.origin)
        except (UsageError, YAMLError):
            text = ""
        by_kind: dict[str, list[tuple[Document, str]]] = {}
        for d in parse_text(text, rendered.origin):
            if isinstance(d, Document):
                ref = d.ref
                by_kind.setdefault(ref.kind, []).append((d, ref.name))
        cache[rendered.origin] = by_kind
    ref = rendered.ref
    candidates = cache[rendered.origin].get(ref.kind, [])
    named = [d for d, name in candidates if name and name in ref.name]
    pick = named or [d for d, _ in candidates]
    return pick[0] if len(pick) == 1 or named else None
