"""Add an ``images:`` entry to a kustomization, changing nothing else in the file.

A bump scoped to one target sets the tag in that target's own kustomization
rather than in a base other targets share: kustomize's images transformer in
the overlay overrides the base's tag for this target only. That is what
``kustomize edit set image`` writes, what Kargo's ``kustomize-set-image`` step
does (akuity/kargo internal/promotion/runner/builtin/kustomize_image_setter.go:
it merges by ``name`` into the kustomization's ``images``) and what Argo CD
Image Updater's ``kustomization`` write-back target does (argoproj-labs/
argocd-image-updater docs/basics/update-methods.md, "Git Write-Back Target").
Both of those re-marshal the whole file; here only characters are added, so
comments, key order and layout stay:

- a new item after the last item of an existing ``images:`` list, with the
  list's own indentation (block) or inside its brackets (flow);
- or a new ``images:`` key after the last line of the document, its list
  indented like the file's other lists.

An entry that already names the image is changed in place by
:mod:`kubepush.images.edit` instead. The new text is parsed again (Kubernetes'
YAML semantics) and must read back as the old document plus exactly the new
entries, all strings; otherwise :class:`~kubepush.images.edit.EditError` is
raised and nothing is written.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubepush.images import edit
from kubepush.images.edit import Edit, EditError, FileEdit
from kubepush.manifests import yaml11


@dataclass(frozen=True, slots=True)
class NewEntry:
    """``- name: <name>`` with ``newTag``/``digest`` to add to the kustomization ``file``.

    ``name`` is the image name as kustomize sees it when it reaches this
    kustomization (as written in the base, after any ``newName`` on the way):
    kustomize matches entries by that name, without normalising it.
    """

    file: str
    name: str
    tag: str | None
    digest: str | None

    def keys(self) -> list[tuple[str, str]]:
        return [("name", self.name)] + [(k, v) for k, v in (("newTag", self.tag), ("digest", self.digest)) if v]


def plan(edits: Iterable[Edit | NewEntry]) -> list[FileEdit]:
    """:func:`kubepush.images.edit.plan` for site edits, then the new entries added on top (nothing written)."""
    edits = list(edits)
    changes = {c.file: c for c in edit.plan(e for e in edits if isinstance(e, Edit))}
    entries: dict[str, list[NewEntry]] = {}
    for e in edits:
        if isinstance(e, NewEntry):
            entries.setdefault(e.file, []).append(e)
    for file, group in entries.items():
        change = changes.get(file)
        if change is None:
            try:
                data = Path(file).read_bytes()
            except OSError as exc:
                raise EditError(f"{file}: cannot read: {exc.strerror}") from None
            change = changes[file] = FileEdit(file=file, old=data, new=data)
        change.new = add_entries(change.new, group, file=file)
    return list(changes.values())


def add_entries(data: bytes, entries: Sequence[NewEntry], *, file: str = "") -> bytes:
    """``data`` with ``entries`` appended to its ``images:`` (created when missing); verified."""
    file = file or (entries[0].file if entries else "<text>")
    if not entries:
        return data
    text, bom = _decode(data, file)
    body = text[bom:]
    old = _parse(body, file)
    at, insert = _insertion(body, old, entries, file)
    new_body = body[:at] + insert + body[at:]
    _verify(old.value, _parse(new_body, file).value, entries, file)
    return (text[:bom] + new_body).encode("utf-8")


def entry_line(data: bytes, entry: NewEntry) -> int:
    """The line :func:`add_entries` would write ``entry``'s ``- name:`` on (for reports)."""
    text, bom = _decode(data, entry.file)
    body = text[bom:]
    at, insert = _insertion(body, _parse(body, entry.file), [entry], entry.file)
    head = insert[:insert.index("name:")]
    return body.count("\n", 0, at) + head.count("\n") + 1


def _decode(data: bytes, file: str) -> tuple[str, int]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EditError(f"{file}: not UTF-8, refusing to edit") from None
    return text, 1 if text.startswith("\ufeff") else 0


def _insertion(body: str, old: yaml11.ParsedDocument, entries: Sequence[NewEntry], file: str) -> tuple[int, str]:
    """Where the new entries go and the text to insert there."""
    root = old.node
    if not isinstance(root, MappingNode) or root.flow_style or not isinstance(old.value, dict):
        raise EditError(f"{file}: not a block-style kustomization mapping; add the images: entry by hand")
    newline = "\r\n" if "\r\n" in body else "\n"
    images = next((v for k, v in root.value if isinstance(k, ScalarNode) and k.value == "images"), None)
    if images is None:
        return _new_key(body, root, entries, newline)
    if isinstance(images, SequenceNode) and images.flow_style:
        return _flow_items(body, images, entries, file)
    if isinstance(images, SequenceNode) and images.value:
        return _block_items(body, images, entries, newline)
    raise EditError(f"{file}: images: is {'empty' if isinstance(images, ScalarNode) else 'not a list'}; "
                    "make it a list of entries or add the entry by hand")


def _parse(text: str, file: str) -> yaml11.ParsedDocument:
    try:
        return yaml11.parse_document(text)
    except yaml11.YAMLError as exc:
        raise EditError(f"{file}:{exc.line}:{exc.column}: {exc.message}; nothing written") from None


def _new_key(text: str, root: MappingNode, entries: Sequence[NewEntry], newline: str) -> tuple[int, str]:
    """``images:`` as the last key: same column as the other keys, lists indented like the file's."""
    column = root.value[0][0].start_mark.column
    offset = next((v.start_mark.column - k.start_mark.column for k, v in root.value
                   if isinstance(v, SequenceNode) and not v.flow_style and v.value), 2)
    lines = [" " * column + "images:"] + _item_lines(entries, column + offset)
    return _after_line(text, _last_end(root), lines, newline)


def _block_items(text: str, images: SequenceNode, entries: Sequence[NewEntry], newline: str) -> tuple[int, str]:
    dash = images.start_mark.column
    return _after_line(text, _last_end(images), _item_lines(entries, dash), newline)


def _flow_items(text: str, images: SequenceNode, entries: Sequence[NewEntry], file: str) -> tuple[int, str]:
    items = ", ".join("{" + ", ".join(f"{k}: {edit.render_scalar(v)}" for k, v in e.keys()) + "}" for e in entries)
    if images.value:
        return images.value[-1].end_mark.index, ", " + items
    close = images.end_mark.index - 1
    if text[close:close + 1] != "]":
        raise EditError(f"{file}: images: [] is not closed where expected; add the entry by hand")
    return close, items


def _item_lines(entries: Sequence[NewEntry], dash: int) -> list[str]:
    lines = []
    for e in entries:
        for i, (key, value) in enumerate(e.keys()):
            lines.append(" " * dash + ("- " if i == 0 else "  ") + f"{key}: {edit.render_scalar(value)}")
    return lines


def _last_end(node: Node) -> int:
    """Where the last scalar written inside ``node`` ends (a collection's own end mark
    can lie after comments and blank lines that follow it)."""
    end = node.end_mark.index
    while isinstance(node, MappingNode | SequenceNode) and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
        end = node.end_mark.index
    return end


def _after_line(text: str, pos: int, lines: list[str], newline: str) -> tuple[int, str]:
    """Insert ``lines`` after the line holding ``pos``; the file's final newline (or its absence) stays."""
    if pos > 0 and text[pos - 1] == "\n":  # a block scalar ends at the start of the next line
        return pos, newline.join(lines) + newline
    end = pos
    while end < len(text) and text[end] not in "\r\n":
        end += 1
    return end, "".join(newline + line for line in lines)


def _verify(old: dict[str, Any], new: object, entries: Sequence[NewEntry], file: str) -> None:
    """The new document must be the old one plus exactly these entries (all strings)."""
    expected = copy.deepcopy(old)
    expected["images"] = [*(expected.get("images") or []), *(dict(e.keys()) for e in entries)]
    if new != expected:
        raise EditError(f"{file}: safety check failed, adding the images: entry would change other values "
                        "or not read back as written; nothing written")
