"""The site model: one image reference in a file, with the characters that hold each part.

Discovery (:mod:`.discover`) produces :class:`ImageSite` values, the editor
(:mod:`.edit`) and bump consume them. A site carries the parsed reference *and*
where its parts are written - the character span of the tag, of the digest, or
of the whole scalar - so an edit changes only those characters.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from kubepush.images.reference import ImageRef
from kubepush.manifests import yaml11
from kubepush.model import Finding, ObjectRef, format_path

Path_ = tuple[str | int, ...]


class SiteKind(str, enum.Enum):
    """Where an image reference was found; decides how it may be edited."""

    CONTAINER = "container"
    KUSTOMIZE = "kustomize"
    HELM_VALUES = "helm-values"
    MARKER = "marker"


@dataclass(frozen=True, slots=True)
class Scalar:
    """One YAML scalar and where it is written.

    Offsets are character offsets into the file's decoded text (a BOM, when
    present, is character 0). ``start``/``end`` delimit the whole token,
    including an anchor, tag, quotes or block indicator; ``content`` is where
    ``value`` is written verbatim on one line, or None when it is not (escape
    sequences, line folding), which makes the scalar non-editable in place.
    """

    path: Path_
    value: str
    style: str  # "" plain, "'" single, '"' double, "|" literal, ">" folded
    start: int
    end: int
    content: tuple[int, int] | None
    line: int
    column: int
    is_string: bool  # False for a plain scalar YAML readers take as a number/bool/null

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": format_path(self.path),
            "value": self.value,
            "style": self.style or "plain",
            "line": self.line,
            "column": self.column,
            "span": list(self.content) if self.content else None,
        }


def value_of(scalar: Scalar | None) -> str | None:
    """The value of a tag/digest scalar that holds one; None for none, ``~``/``null`` or empty."""
    if scalar is None or not scalar.value:
        return None
    if scalar.is_string or (scalar.style == "" and yaml11.resolve_plain(scalar.value) is not None):
        return scalar.value
    return None


@dataclass(frozen=True, slots=True)
class Field:
    """One part of an image written in its own scalar.

    Roles: ``ref`` (the whole reference), ``registry``, ``namespace``, ``name``
    (repository, possibly with registry), ``match`` (kustomize's ``name``, the
    image being replaced), ``tag``, ``digest``.
    """

    role: str
    scalar: Scalar


@dataclass(frozen=True, slots=True)
class Entry:
    """The mapping a split image lives in, so a missing key can be added to it."""

    start: int
    flow: bool
    indent: int  # column of the mapping's keys (block style)


@dataclass(frozen=True, slots=True)
class ImageSite:
    """One image reference: what it is, where, and which characters hold each part."""

    file: str
    document: int
    kind: SiteKind
    path: Path_
    line: int
    column: int
    reference: ImageRef | None
    text: str  # the image as written (assembled from its parts when split)
    fields: tuple[Field, ...]
    object: ObjectRef = field(default_factory=ObjectRef)
    policy: str = ""  # "namespace:name" of the Flux ImagePolicy a marker names
    default_tag: bool = False  # no tag written: the chart's appVersion is used
    entry: Entry | None = None
    #: why bump may not edit this site ("" when it may): it is in a SOPS-encrypted document
    locked: str = ""

    def field(self, role: str) -> Scalar | None:
        """The scalar holding ``role``, if the site has one."""
        for f in self.fields:
            if f.role == role:
                return f.scalar
        return None

    @property
    def tag(self) -> str | None:
        """The tag as written (None when there is none)."""
        return self.reference.tag if self.reference else value_of(self.field("tag"))

    @property
    def digest(self) -> str | None:
        if self.reference:
            return self.reference.digest
        scalar = self.field("digest")
        return scalar.value or None if scalar else None

    @property
    def scalar_span(self) -> tuple[int, int] | None:
        """Span of the whole-reference scalar's text, for sites written in one scalar."""
        scalar = self.field("ref")
        return scalar.content if scalar else None

    @property
    def tag_span(self) -> tuple[int, int] | None:
        """Exact characters of the tag (empty span where a missing tag would go)."""
        return self._part_span("tag", 0)

    @property
    def digest_span(self) -> tuple[int, int] | None:
        """Exact characters of the digest (empty span where a missing digest would go)."""
        return self._part_span("digest", 1)

    def _part_span(self, role: str, part: int) -> tuple[int, int] | None:
        """The span of ``role``: its own scalar, or its part of the whole-reference scalar
        (``part`` 0 is the tag, between name and digest; 1 the digest, after the tag)."""
        scalar = self.field(role)
        if scalar:
            return scalar.content
        ref = self.field("ref")
        if ref is None or ref.content is None:
            return None
        bounds = ref_layout(ref.value)  # name end, tag end, reference end
        before, end = bounds[part], bounds[part + 1]
        return (ref.content[0] + before + (1 if end > before else 0), ref.content[0] + end)

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``kubepush images --output json``."""
        ref = self.reference
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "document": self.document,
            "kind": self.kind.value,
            "path": format_path(self.path),
            "image": self.text,
            "registry": ref.registry if ref else None,
            "repository": ref.repository if ref else None,
            "tag": self.tag,
            "digest": self.digest,
            "default_tag": self.default_tag,
            "policy": self.policy or None,
            "object": {
                "apiVersion": self.object.api_version,
                "kind": self.object.kind,
                "namespace": self.object.namespace,
                "name": self.object.name,
            },
            "fields": {f.role: f.scalar.to_dict() for f in self.fields},
            "editable": not self.locked,
            **({"locked": self.locked} if self.locked else {}),
        }


def ref_layout(value: str) -> tuple[int, int, int]:
    """End of name, end of ``:tag``, end of ``@digest`` in a valid reference string.

    Only locates the parts of a string :func:`~kubepush.images.reference.parse_reference`
    accepted, so the tag span can be checked against ``ImageRef.tag``.
    """
    at = value.find("@")
    name_tag_end = at if at >= 0 else len(value)
    colon = value.rfind(":", 0, name_tag_end)
    name_end = colon if colon > value.rfind("/", 0, name_tag_end) else name_tag_end
    return name_end, name_tag_end, len(value)


@dataclass(slots=True)
class Discovery:
    """Sites and findings from a set of files; ``files`` counts files read, ``parsed`` those composed."""

    sites: list[ImageSite] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    parsed: int = 0

    def extend(self, other: Discovery) -> None:
        self.sites.extend(other.sites)
        self.findings.extend(other.findings)
        self.files += other.files
        self.parsed += other.parsed
