"""``marker`` sites: Flux image-automation setter markers, ``# {"$imagepolicy": "ns:policy[:field]"}``.

Teams migrating from Flux keep their repositories as they are, so a marker means
here exactly what it means to Flux's image-automation-controller (Setters
strategy, kyaml ``fieldmeta``): the line comment of a scalar, whose text after
the ``#`` is a JSON object with a ``$imagepolicy`` string, names the
``ImagePolicy`` whose latest image the scalar must hold. The value is
``<namespace>:<policy>`` for the whole reference (``name:tag``, or
``name:tag@digest`` when the policy reflects digests), or with a suffix for one
part of it:

- ``:tag`` - the tag only,
- ``:name`` - the image name (registry/repository) only,
- ``:digest`` - the digest only (``sha256:...``).

A comment that is not a JSON object, or has no ``$imagepolicy`` key, is an
ordinary comment (Flux ignores it too). A ``$imagepolicy`` whose value Flux
would never match (no namespace, unknown suffix) raises :class:`InvalidMarker`
so discovery can report it: Flux silently ignores those, which is how a typo
leaves an image un-updated for months.

A marker on a site another detector recognised sets that site's ``policy``
(and a warning where Flux would write another part than the site holds there);
scalars carrying a marker that nothing else recognised are grouped, per
mapping and policy, into ``marker`` sites of their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubepush.images.detect.collect import Collector, assemble
from kubepush.images.sites import Field, ImageSite, Path_, Scalar, SiteKind, value_of
from kubepush.model import Severity

#: Flux screens files for this exact token (with the quotes) before parsing them.
TOKEN = '"$imagepolicy"'
SHORTHAND = "$imagepolicy"
#: marker suffix -> the part of the reference the marked scalar holds
FIELDS = {"": "ref", "tag": "tag", "name": "name", "digest": "digest"}


class InvalidMarker(ValueError):
    """An ``$imagepolicy`` comment Flux would ignore; the message says why."""


@dataclass(frozen=True, slots=True)
class Marker:
    """One parsed marker: ``ns:policy`` plus the part of the image it sets."""

    namespace: str
    name: str
    suffix: str = ""  # "", "tag", "name" or "digest"

    @property
    def policy(self) -> str:
        """``namespace:name`` - how Flux names the setter and how we report it."""
        return f"{self.namespace}:{self.name}"

    @property
    def role(self) -> str:
        """Which part of the reference the marked scalar holds: ref, tag, name, digest."""
        return FIELDS[self.suffix]

    def __str__(self) -> str:
        return self.policy + (f":{self.suffix}" if self.suffix else "")


def parse_comment(comment: str) -> Marker | None:
    """The marker in one comment's text (with or without the ``#``), or None.

    Like kyaml, leading ``#`` are stripped and the rest must be a JSON object;
    anything else is an ordinary comment.
    """
    body = comment.lstrip("#").strip()
    if not body.startswith("{") or SHORTHAND not in body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or SHORTHAND not in data:
        return None
    value = data[SHORTHAND]
    if not isinstance(value, str):
        raise InvalidMarker(f"{SHORTHAND} must be a string like \"namespace:policy\", got {value!r}")
    return parse_value(value)


def parse_value(value: str) -> Marker:
    """Parse ``namespace:policy[:tag|:name|:digest]``; raise InvalidMarker otherwise."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise InvalidMarker(
            f"{SHORTHAND} {value!r} must be \"<namespace>:<policy>\" with an optional "
            "\":tag\", \":name\" or \":digest\" suffix"
        )
    suffix = parts[2] if len(parts) == 3 else ""
    if suffix not in FIELDS or (len(parts) == 3 and not suffix):
        raise InvalidMarker(
            f"{SHORTHAND} {value!r} has an unknown suffix {suffix!r}: use \":tag\", \":name\" or \":digest\""
        )
    return Marker(parts[0], parts[1], suffix)


def line_comment(text: str, end: int) -> str | None:
    """The comment that follows position ``end`` on the same line, if only blanks come between.

    ``end`` is where a scalar's token ends; this is the comment kyaml attaches to
    that scalar as its line comment.
    """
    i = end
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    if i >= n or text[i] != "#" or (i == end and end > 0):
        # YAML needs a blank before '#' for it to start a comment.
        return None
    stop = i
    while stop < n and text[stop] not in "\r\n":
        stop += 1
    return text[i:stop]


def locate(text: str) -> list[tuple[int, int]]:
    """Where markers are: (start of their line, their position) in ``text``."""
    out = []
    pos = text.find(TOKEN)
    while pos >= 0:
        out.append((max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1, pos))
        pos = text.find(TOKEN, pos + 1)
    return out


# ------------------------------------------------------------------ detection

_ROLE_NAMES = {"ref": "whole reference", "match": "name to replace", "name": "name"}
_SUFFIX_FOR = {"ref": "", "name": ":name", "tag": ":tag", "digest": ":digest"}


def detect(doc: Collector) -> None:
    """Attach markers to the sites they are on; group the rest into marker sites.

    A marker right after a scalar some rule already recognised is found by
    that scalar's end offset; only the others need a walk of the tree.
    """
    text, base = doc.ctx.text, doc.ctx.base
    by_end = {f.scalar.end: (i, f) for i, site in enumerate(doc.sites) for f in site.fields}
    pending = []
    for line_start, pos in doc.ctx.marker_lines:
        end = text.rfind("#", line_start + base, pos + base)
        while end > line_start + base and text[end - 1] in " \t":
            end -= 1
        if end in by_end:
            i, f = by_end[end]
            marker = _marker(doc, f.scalar, end)
            if marker is not None:
                _attach(doc, i, f, marker)
        else:
            pending.append((line_start, pos))
    loose: dict[tuple[int, str], list[tuple[Marker, ScalarNode, Path_]]] = {}
    for node, parent, path in _scalars_before(doc.root, pending):
        scalar = doc.scalar(node, path)
        marker = _marker(doc, scalar, scalar.end)
        if marker is not None and scalar.start not in doc.claimed:
            loose.setdefault((id(parent), marker.policy), []).append((marker, node, path))
    for group in loose.values():
        _marker_site(doc, group)


def _marker(doc: Collector, scalar: Scalar, end: int) -> Marker | None:
    """The marker in the line comment after ``end``, reporting a malformed one."""
    comment = line_comment(doc.ctx.text, end)
    if comment is None or SHORTHAND not in comment:
        return None
    try:
        return parse_comment(comment)
    except InvalidMarker as exc:
        doc.finding("invalid-image-marker", Severity.WARNING, scalar, str(exc),
                    hint='write it like # {"$imagepolicy": "flux-system:podinfo:tag"}')
        return None


def _attach(doc: Collector, index: int, f: Field, marker: Marker) -> None:
    """Set the policy of a recognised site; warn where Flux would write something else."""
    site = doc.sites[index]
    if site.policy and site.policy != marker.policy:
        doc.finding("image-marker-conflict", Severity.WARNING, f.scalar,
                    f"markers name two policies for one image: {site.policy} and {marker.policy}")
        return
    if marker.role != f.role:
        doc.finding(
            "image-marker-mismatch", Severity.WARNING, f.scalar,
            f"marker {marker} makes Flux write the image's {marker.role} here, but this field holds its "
            f"{_ROLE_NAMES.get(f.role, f.role)}",
            hint=f"use {marker.policy}{_SUFFIX_FOR.get(f.role, '')} for this field",
        )
    doc.sites[index] = replace(site, policy=marker.policy)


def _marker_site(doc: Collector, group: list[tuple[Marker, ScalarNode, Path_]]) -> None:
    fields = [Field(m.role, doc.scalar(node, path)) for m, node, path in group]
    roles = [f.role for f in fields]
    marker, node, _ = group[0]
    if len(set(roles)) != len(roles) or ("ref" in roles and len(roles) > 1):
        doc.finding("image-marker-conflict", Severity.WARNING, fields[0].scalar,
                    f"policy {marker.policy} marks {', '.join(roles)} in one mapping; cannot tell which image")
        return
    by_role = {f.role: f.scalar for f in fields}
    primary = by_role.get("ref") or by_role.get("name") or by_role.get("tag") or by_role["digest"]
    ppath = primary.path
    tag, digest = value_of(by_role.get("tag")), value_of(by_role.get("digest"))
    if "ref" in by_role or "name" in by_role:
        text = by_role["ref"].value if "ref" in by_role else assemble(None, None, by_role["name"].value, tag, digest)
        doc.site(SiteKind.MARKER, ppath, node, fields, text, definite=True, policy=marker.policy)
        return
    # Only a tag and/or digest: the repository is the ImagePolicy's, not in the file.
    text = (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    doc.record(ImageSite(
        file=doc.ctx.file, document=doc.index, kind=SiteKind.MARKER, path=ppath,
        line=primary.line, column=primary.column, reference=None, text=text,
        fields=tuple(fields), object=doc.object, policy=marker.policy,
    ))


def _scalars_before(
    node: Node, lines: list[tuple[int, int]]
) -> Iterator[tuple[ScalarNode, Node | None, Path_]]:
    """Value scalars ending on a line before a marker, with their parent collection.

    ``lines`` holds (line start, marker position) pairs in the composed text;
    collections that cannot contain such a scalar are not walked. Each node is
    visited once, so an alias is not a second site.
    """
    seen: set[int] = set()
    stack: list[tuple[Node, Node | None, Path_]] = [(node, None, ())]
    while stack:
        current, parent, cpath = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        start, end = current.start_mark.index, current.end_mark.index
        if isinstance(current, ScalarNode):
            if any(line <= end <= marker for line, marker in lines):
                yield current, parent, cpath
        elif not any(start < marker and line <= end for line, marker in lines):
            continue
        elif isinstance(current, MappingNode):
            for k, v in reversed(current.value):
                key = k.value if isinstance(k, ScalarNode) else "?"
                stack.append((v, current, cpath + (key,)))
        elif isinstance(current, SequenceNode):
            for i in range(len(current.value) - 1, -1, -1):
                stack.append((current.value[i], current, cpath + (i,)))
