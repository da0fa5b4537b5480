"""Apply image edits to a file with byte-minimal diffs, and refuse any unsafe one.

A bump pull request must show a reviewer one thing: the tag that changed. So an
edit replaces only the characters that differ inside the tag (or digest, or
name) of the scalars :mod:`.discover` located, and nothing else moves:
comments, quoting style, indentation, key order, blank lines, ``---``, CRLF,
a BOM and a missing final newline all stay as they were. Characters are only
added to insert a digest (``tag`` -> ``tag@sha256:...``), a tag where none was
written, a missing kustomize ``newTag``/``digest`` key, or quotes around a tag
that YAML would otherwise read as a number (``tag: 1.10`` is the float 1.1 to
Helm, so a new tag ``1.10`` is written ``"1.10"``: the rendered image must be
exactly the tag, whatever the old value's type was).

Every edited text is parsed again and compared, node by node, with the
original: the documents must be identical except for the edited values (and
the inserted keys). If they are not, :class:`EditError` is raised and nothing
is written - a broken manifest is worse than no bump. Files are written
atomically (temporary file + rename, mode kept).
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubepush.atomic import write_atomic
from kubepush.errors import UsageError
from kubepush.images.nodes import STR_TAG, reads_as_string
from kubepush.images.reference import ImageRef, InvalidReference, parse_reference
from kubepush.images.sites import ImageSite, Scalar, SiteKind, ref_layout

#: Characters that may not start a plain scalar, and sequences that may not appear in one.
_PLAIN_BAD_FIRST = set("-?:,[]{}#&*!|>'\"%@`")
_PLAIN_BAD = (": ", " #", "\t#", ",", "[", "]", "{", "}", "\n", "\r", "\t")


class EditError(UsageError):
    """An edit that cannot be made safely; the message names the file, line and reason."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Change one site to a new tag and/or digest, or to a whole new reference.

    ``digest=""`` removes a digest. Changing the tag of a digest-pinned image
    needs the new digest too (or ``digest=""``): keeping the old one would keep
    running the old image, dropping it silently would unpin it.
    """

    site: ImageSite
    tag: str | None = None
    digest: str | None = None
    reference: str | None = None


@dataclass(slots=True)
class FileEdit:
    """The result for one file: old and new bytes and which edits changed anything."""

    file: str
    old: bytes
    new: bytes
    changed: list[Edit] = field(default_factory=list)
    up_to_date: list[Edit] = field(default_factory=list)

    @property
    def modified(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        """Unified diff, for logs and pull-request bodies."""
        old = self.old.decode("utf-8").splitlines(keepends=True)
        new = self.new.decode("utf-8").splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"a/{self.file}", f"b/{self.file}"))


@dataclass(frozen=True, slots=True)
class _Splice:
    start: int
    end: int
    text: str
    where: str  # file:line for messages


# ------------------------------------------------------------------- API


def plan(edits: Iterable[Edit]) -> list[FileEdit]:
    """Read each file the edits touch and compute its new bytes (nothing is written)."""
    by_file: dict[str, list[Edit]] = {}
    for edit in edits:
        by_file.setdefault(edit.site.file, []).append(edit)
    results = []
    for file, group in by_file.items():
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise EditError(f"{file}: cannot read: {exc.strerror}") from None
        results.append(apply(data, group, file=file))
    return results


def apply(data: bytes, edits: Sequence[Edit], *, file: str = "") -> FileEdit:
    """New bytes for ``data`` with ``edits`` applied; raises EditError if any is unsafe."""
    file = file or (edits[0].site.file if edits else "<text>")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise EditError(f"{file}: not UTF-8, refusing to edit") from None
    splices: list[_Splice] = []
    expected: dict[int, str] = {}
    inserted: dict[int, dict[str, str]] = {}
    result = FileEdit(file=file, old=data, new=data)
    seen: dict[tuple[int, ...], Edit] = {}
    for edit in edits:
        site = edit.site
        key = tuple(f.scalar.start for f in site.fields)
        if key in seen and seen[key] != edit:
            raise EditError(f"{site.location}: two different edits for the same image {site.text!r}")
        seen[key] = edit
        planned = _plan_site(text, edit)
        if not planned.splices:
            result.up_to_date.append(edit)
            continue
        result.changed.append(edit)
        splices += planned.splices
        expected.update(planned.expected)
        for start, keys in planned.inserted.items():
            inserted.setdefault(start, {}).update(keys)
    if not splices:
        return result
    new_text = _splice(text, splices)
    _verify(text, new_text, expected, inserted, file)
    result.new = new_text.encode("utf-8")
    return result


def write(change: FileEdit) -> bool:
    """Write a changed file atomically; returns whether anything was written."""
    if not change.modified:
        return False
    write_atomic(change.file, change.new)
    return True


# ----------------------------------------------------------- one site


@dataclass(slots=True)
class _Planned:
    splices: list[_Splice] = field(default_factory=list)
    expected: dict[int, str] = field(default_factory=dict)  # scalar start -> new value
    inserted: dict[int, dict[str, str]] = field(default_factory=dict)  # mapping start -> {key: value}


def _plan_site(text: str, edit: Edit) -> _Planned:
    site = edit.site
    where = site.location
    for f in site.fields:
        _check_unchanged(text, f.scalar, where)
    tag, digest, name = _targets(edit)
    values: dict[str, str | None] = {}
    if site.field("ref") is not None:
        values["ref"] = _whole_text(site.field("ref").value, tag, digest, name)  # type: ignore[union-attr]
    else:
        values["tag"] = tag
        values["digest"] = digest
        if name is not None:
            values.update(_split_name(site, name))
    planned = _Planned()
    for role, value in values.items():
        scalar = site.field(role)
        current = _current(site, role)
        if value == current or (value is None and current is None):
            continue
        if scalar is None:
            _insert(text, site, role, value or "", planned)
            continue
        _check_editable(scalar, where)
        new_value = value or ""
        planned.expected[scalar.start] = new_value
        planned.splices += _replace(text, scalar, new_value, site.location)
    planned.splices = _merge_insertions(planned.splices)
    return planned


def _merge_insertions(splices: list[_Splice]) -> list[_Splice]:
    """Keys added at the same place (newTag and digest after name) become one insertion, in order."""
    out: list[_Splice] = []
    for s in splices:
        if out and s.start == s.end == out[-1].start == out[-1].end:
            out[-1] = _Splice(s.start, s.end, out[-1].text + s.text, s.where)
        else:
            out.append(s)
    return out


def _targets(edit: Edit) -> tuple[str | None, str | None, ImageRef | None]:
    """The tag, digest and (if it changes) repository the site must end up with."""
    site = edit.site
    where = site.location
    if edit.reference is not None:
        if edit.tag is not None or edit.digest is not None:
            raise EditError(f"{where}: give either a whole reference or a tag/digest, not both")
        try:
            new = parse_reference(edit.reference)
        except InvalidReference as exc:
            raise EditError(f"{where}: {exc}") from None
        same = site.reference is None or site.reference.same_repository(new)
        return new.tag, new.digest, None if same else new
    current_tag, current_digest = site.tag, site.digest
    tag = current_tag if edit.tag is None else edit.tag
    digest = current_digest if edit.digest is None else (edit.digest or None)
    if edit.tag is not None:
        _check(f"x:{edit.tag}", where, "tag", edit.tag)
        if current_digest and edit.digest is None and edit.tag != current_tag:
            raise EditError(
                f"{where}: {site.text!r} is pinned to a digest; give the new tag's digest too "
                "(or digest='' to unpin it) - keeping the old digest would keep the old image"
            )
    if edit.digest:
        _check(f"x@{edit.digest}", where, "digest", edit.digest)
    return tag, digest, None


def _check(probe: str, where: str, what: str, value: str) -> None:
    """Validate a tag or digest with the real reference grammar."""
    try:
        parsed = parse_reference(probe)
    except InvalidReference as exc:
        raise EditError(f"{where}: invalid {what} {value!r}: {exc.reason}") from None
    if (parsed.tag if what == "tag" else parsed.digest) != value:
        raise EditError(f"{where}: invalid {what} {value!r}")


def _current(site: ImageSite, role: str) -> str | None:
    scalar = site.field(role)
    if role == "tag":
        return site.tag
    if role == "digest":
        return site.digest
    return scalar.value if scalar else None


def _whole_text(current: str, tag: str | None, digest: str | None, name: ImageRef | None) -> str:
    """A one-scalar reference with the name as written (or the new name) and the new tag/digest."""
    written = name.original if name is not None else current
    text = written[: ref_layout(written)[0]]
    if tag:
        text += ":" + tag
    if digest:
        text += "@" + digest
    return text


def _split_name(site: ImageSite, new: ImageRef) -> dict[str, str | None]:
    """New values for the name scalars of a split image moving to another repository."""
    where = site.location
    if site.field("name") is None:
        hint = " add newName: to the images entry" if site.kind is SiteKind.KUSTOMIZE else ""
        raise EditError(f"{where}: {site.text!r} has no name field to point at {new.name};{hint} by hand")
    if site.field("namespace") is not None:
        raise EditError(f"{where}: {site.text!r} splits its name over registry/namespace/repository keys; "
                        f"moving it to {new.name} is ambiguous - change it by hand")
    written = new.original[: ref_layout(new.original)[0]]
    if site.field("registry") is not None:
        return {"registry": new.registry, "name": new.repository}
    return {"name": written}


def _check_unchanged(text: str, scalar: Scalar, where: str) -> None:
    """The text still holds what discovery saw (else the offsets mean nothing)."""
    if scalar.content is not None and text[scalar.content[0]:scalar.content[1]] != scalar.value:
        raise EditError(f"{where}: the file changed since it was read; run the discovery again")


def _check_editable(scalar: Scalar, where: str) -> None:
    if scalar.content is None:
        raise EditError(
            f"{where}: {scalar.value!r} is written with escapes or across lines "
            f"({_style_name(scalar.style)}); cannot change only its characters - edit it by hand"
        )


# -------------------------------------------------------------- rendering


def _replace(text: str, scalar: Scalar, value: str, where: str) -> list[_Splice]:
    """Splices turning the scalar's value into ``value`` with the fewest characters changed."""
    assert scalar.content is not None
    a, b = scalar.content
    style = scalar.style
    if style == "":
        if not scalar.value and a == b:
            # an empty (null) value: `tag:` needs a blank before the new text
            return [_Splice(a, b, (" " if text[a - 1:a] == ":" else "") + render_scalar(value), where)]
        if _plain_ok(value):
            return [_minimal(text, a, b, value, where)]
        return [_Splice(a, b, _double(value), where)]  # quoting keeps it a string
    if style in ("|", ">"):
        if not value or value != value.strip() or not value.isprintable():
            raise EditError(f"{where}: cannot write {value!r} into a {_style_name(style)} scalar")
        return [_minimal(text, a, b, value, where)]
    written = _double(value)[1:-1] if style == '"' else value.replace("'", "''")
    return [_minimal(text, a, b, written, where)]


def _minimal(text: str, a: int, b: int, new: str, where: str) -> _Splice:
    """Replace text[a:b] by ``new`` touching only the differing middle."""
    old = text[a:b]
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return _Splice(a + prefix, b - suffix, new[prefix:len(new) - suffix], where)


def _plain_ok(value: str) -> bool:
    """Whether ``value`` can be written unquoted and still read back as that string."""
    return (
        bool(value)
        and value[0] not in _PLAIN_BAD_FIRST
        and value == value.strip()
        and not value.endswith(":")
        and not any(bad in value for bad in _PLAIN_BAD)
        and value.isprintable()
        and reads_as_string(value)
    )


def render_scalar(value: str) -> str:
    """A new scalar's text: plain when that reads back as the same string, else double-quoted."""
    return value if _plain_ok(value) else _double(value)


def _double(value: str) -> str:
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _style_name(style: str) -> str:
    return {"": "plain", "'": "single-quoted", '"': "double-quoted", "|": "literal block",
            ">": "folded block"}[style]


# -------------------------------------------------------------- insertion

_KEY_FOR = {"tag": "newTag", "digest": "digest"}
_ANCHORS = {"tag": ("name", "match"), "digest": ("tag", "name", "match")}


def _insert(text: str, site: ImageSite, role: str, value: str, planned: _Planned) -> None:
    """Add a missing key; only kustomize entries have a defined place for one."""
    where = site.location
    if not value:
        return
    if site.field("ref") is not None or site.kind is not SiteKind.KUSTOMIZE or site.entry is None:
        what = {"tag": "tag", "digest": "digest", "name": "name", "registry": "registry"}.get(role, role)
        extra = " (the chart's appVersion is used now; pinning it is a decision for a person)" \
            if role == "tag" and site.default_tag else ""
        raise EditError(f"{where}: {site.text!r} has no {what} key to change{extra}; add it by hand")
    key = _KEY_FOR[role]
    anchor = next((s for s in (site.field(r) for r in _ANCHORS[role]) if s is not None), None)
    assert anchor is not None  # a kustomize site always has name or newName
    rendered = render_scalar(value)
    if site.entry.flow:
        planned.splices.append(_Splice(anchor.end, anchor.end, f", {key}: {rendered}", where))
    else:
        if "\n" in text[anchor.start:anchor.end] or "\r" in text[anchor.start:anchor.end]:
            raise EditError(f"{where}: cannot place {key}: after a multi-line value; add it by hand")
        line_end = anchor.end
        while line_end < len(text) and text[line_end] not in "\r\n":
            line_end += 1
        rest = text[anchor.end:line_end].strip()
        if rest and not rest.startswith("#"):
            raise EditError(f"{where}: unexpected text after {anchor.value!r}; add {key}: by hand")
        newline = "\r\n" if text.startswith("\r\n", line_end) or (line_end == len(text) and "\r\n" in text) else "\n"
        planned.splices.append(
            _Splice(line_end, line_end, f"{newline}{' ' * site.entry.indent}{key}: {rendered}", where)
        )
    planned.inserted.setdefault(site.entry.start, {})[key] = value


# ------------------------------------------------------------ splice + verify


def _splice(text: str, splices: list[_Splice]) -> str:
    ordered = sorted(set(splices), key=lambda s: (s.start, s.end))
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end or (after.start == before.end == after.end == before.start):
            raise EditError(f"{after.where}: edits overlap at the same characters; refusing an ambiguous edit")
    out = []
    pos = 0
    for s in ordered:
        out.append(text[pos:s.start])
        out.append(s.text)
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def _verify(old: str, new: str, expected: dict[int, str], inserted: dict[int, dict[str, str]], file: str) -> None:
    """Both texts must hold the same documents except the expected values; else refuse."""
    base = 1 if old.startswith("\ufeff") else 0
    try:
        old_docs = list(yaml.compose_all(old[base:], Loader=yaml.CSafeLoader))
        new_docs = list(yaml.compose_all(new[base:], Loader=yaml.CSafeLoader))
    except yaml.YAMLError as exc:
        raise EditError(f"{file}: the edited file would not parse ({exc}); nothing written") from None
    if len(old_docs) != len(new_docs):
        raise EditError(f"{file}: the edit would change the number of documents; nothing written")
    seen: set[tuple[int, int]] = set()
    for a, b in zip(old_docs, new_docs, strict=True):
        try:
            problem = _compare(a, b, base, expected, inserted, seen)
        except RecursionError:
            problem = "the documents are nested too deeply to compare"
        if problem:
            raise EditError(f"{file}: safety check failed, {problem}; nothing written")


def _compare(a: Node | None, b: Node | None, base: int, expected: dict[int, str],
             inserted: dict[int, dict[str, str]], seen: set[tuple[int, int]]) -> str:
    if a is None or b is None:
        return "" if a is b else "a document would become empty"
    if (id(a), id(b)) in seen:
        return ""
    seen.add((id(a), id(b)))
    where = f"line {a.start_mark.line + 1}"
    if type(a) is not type(b):
        return f"the node at {where} would change kind"
    if isinstance(a, ScalarNode) and isinstance(b, ScalarNode):  # one type: checked above
        want = expected.get(a.start_mark.index + base)
        if want is None:
            if (a.value, a.tag) != (b.value, b.tag):
                return f"{a.value!r} at {where} would become {b.value!r}"
            return ""
        if b.value != want:
            return f"{a.value!r} at {where} would read back as {b.value!r}, not {want!r}"
        if b.tag != STR_TAG or not (b.style or reads_as_string(b.value)):
            return f"{want!r} at {where} would not read back as a string"
        return ""
    if isinstance(a, SequenceNode):
        if len(a.value) != len(b.value):
            return f"the list at {where} would change length"
        for x, y in zip(a.value, b.value):
            if problem := _compare(x, y, base, expected, inserted, seen):
                return problem
        return ""
    assert isinstance(a, MappingNode) and isinstance(b, MappingNode)
    extra = dict(inserted.get(a.start_mark.index + base, {}))
    old_keys = {k.value for k, _ in a.value if isinstance(k, ScalarNode)}
    pairs = []
    for k, v in b.value:
        if isinstance(k, ScalarNode) and k.value in extra and k.value not in old_keys:
            want = extra.pop(k.value)
            if not isinstance(v, ScalarNode) or v.value != want or v.tag != STR_TAG:
                return f"the inserted {k.value} at {where} would not read back as {want!r}"
            continue
        pairs.append((k, v))
    if extra:
        return f"the inserted {', '.join(extra)} at {where} would not be part of the mapping"
    if len(pairs) != len(a.value):
        return f"the mapping at {where} would change its keys"
    for (ka, va), (kb, vb) in zip(a.value, pairs):
        if problem := _compare(ka, kb, base, expected, inserted, seen) or _compare(va, vb, base, expected,
                                                                                      inserted, seen):
            return problem
    return ""


