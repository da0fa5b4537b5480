"""What every detector shares: the file being read, and how scalars become sites and findings.

A detector (:mod:`.workloads`, :mod:`.kustomize`, :mod:`.helm`, :mod:`.markers`)
decides *which* scalars hold an image; the :class:`Collector` of the document
turns them into an :class:`~kubepush.images.sites.ImageSite` - or into a finding
when the text is a placeholder or not a valid reference - and makes sure no
scalar becomes two sites (an alias, a merge key, two detectors on one node).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from yaml.nodes import Node, ScalarNode

from kubepush.images.nodes import content_span, is_str, position
from kubepush.images.reference import ImageRef, InvalidReference, parse_reference
from kubepush.images.sites import Discovery, Entry, Field, ImageSite, Path_, Scalar, SiteKind
from kubepush.manifests import yaml11
from kubepush.model import Finding, ObjectRef, Severity

_PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\$\{|\$\(|%\{|<[^<>]*>|^\$"
    # sed-style: CONTAINER_IMAGES_REGISTRY/app, app:IMAGE_TAG (upper-case words joined by '_')
    r"|(?:^|[/:@])[A-Z]{2,}(?:_[A-Z]{2,})+(?=$|[/:@])"
)


def is_placeholder(value: str) -> bool:
    """An unrendered template/sed placeholder rather than an image."""
    return bool(_PLACEHOLDER.search(value))


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> tuple[ImageRef | None, InvalidReference | None]:
    """parse_reference, remembered: a repository names the same image in many files."""
    try:
        return parse_reference(text), None
    except InvalidReference as exc:
        return None, exc


def assemble(registry: str | None, namespace: str | None, name: str, tag: str | None, digest: str | None) -> str:
    """The reference an image split over several keys stands for."""
    text = "/".join(p.strip("/") for p in (registry, namespace) if p) + "/" if registry or namespace else ""
    text += name
    if tag:
        text += ":" + tag
    if digest:
        text += "@" + digest
    return text


@dataclass(slots=True)
class FileContext:
    """One file as every document in it is scanned."""

    file: str
    text: str
    base: int  # 1 when the text starts with a BOM: node offsets are into text[base:]
    kustomization: bool
    values: bool
    value_paths: list[dict[str, Path_]]
    marker_lines: list[tuple[int, int]]  # (line start, marker position) in text[base:]
    keys: list[int]  # where candidate keys are written in text[base:], ascending

    def holds_key(self, node: Node) -> bool:
        """Whether a candidate key is written inside ``node``: subtrees without one are not walked."""
        i = bisect.bisect_left(self.keys, node.start_mark.index)
        return i < len(self.keys) and self.keys[i] <= node.end_mark.index

    @property
    def has_marker(self) -> bool:
        return bool(self.marker_lines)


class Collector:
    """The sites and findings of one YAML document; findings go straight into ``out``."""

    def __init__(self, ctx: FileContext, index: int, root: Node, out: Discovery) -> None:
        self.ctx = ctx
        self.index = index
        self.root = root
        self.out = out
        self.object = ObjectRef()
        self.scalars: dict[int, Scalar] = {}
        self.claimed: dict[int, int] = {}  # scalar start -> index into self.sites
        self.sites: list[ImageSite] = []
        #: set for a SOPS-encrypted document: every site is listed, none may be edited
        self.locked = ""

    def whole(self, kind: SiteKind, node: ScalarNode, path: Path_, *, definite: bool) -> None:
        """A site written as one scalar (``image: repo:tag``)."""
        self.site(kind, path, node, [Field("ref", self.scalar(node, path))], node.value, definite=definite)

    def site(self, kind: SiteKind, path: Path_, node: Node, fields: list[Field], text: str, *,
             definite: bool, default_tag: bool = False, entry: Entry | None = None, policy: str = "") -> None:
        """Record ``text`` as a site, or - where an image must be (``definite``) - say why it is not one."""
        if any(f.scalar.start in self.claimed for f in fields):
            return  # an alias or merge key brought these scalars here again
        where = fields[0].scalar
        if self.locked and "ENC[" in text:  # the image itself is encrypted: listed, never parsed or edited
            self.record(ImageSite(
                file=self.ctx.file, document=self.index, kind=kind, path=path, line=where.line,
                column=where.column, reference=None, text="(encrypted)", fields=tuple(fields), object=self.object,
                locked=self.locked))
            return
        if is_placeholder(text):
            if definite:
                self.finding("image-placeholder", Severity.INFO, where,
                             f"{text!r} is an unrendered placeholder, not an image; skipped")
            return
        reference, exc = _parse(text)
        if reference is None:
            if definite:
                self.finding("invalid-image-reference", Severity.ERROR, where, str(exc),
                             hint="fix the image reference (name[:tag][@digest])")
            return
        primary = next((f.scalar for f in fields if f.role in ("ref", "tag")), None)
        line, column = (primary.line, primary.column) if primary else position(node)
        self.record(ImageSite(
            file=self.ctx.file, document=self.index, kind=kind, path=path, line=line, column=column,
            reference=reference, text=text, fields=tuple(fields), object=self.object, policy=policy,
            default_tag=default_tag, entry=entry, locked=self.locked,
        ))

    def record(self, site: ImageSite) -> None:
        for f in site.fields:
            self.claimed[f.scalar.start] = len(self.sites)
        self.sites.append(site)

    def check_tag_type(self, tag: Scalar, consequence: str) -> None:
        """Warn about a tag YAML reads as a number/bool: what gets deployed is not what is written."""
        if not tag.is_string:
            self.finding(
                "image-tag-not-string", Severity.WARNING, tag,
                f"tag {tag.value} is read as a {_plain_type(tag.value)}, not a string; {consequence}",
                hint=f'quote it: {tag.path[-1]}: "{tag.value}"',
            )

    def invalid(self, path: Path_, node: Node, message: str, *, definite: bool) -> None:
        if definite:
            line, column = position(node)
            self.out.findings.append(Finding(
                rule="invalid-image-reference", message=message, file=self.ctx.file, line=line,
                column=column, document=self.index, object=self.object, path=path,
            ))

    def finding(self, rule: str, severity: Severity, scalar: Scalar, message: str, hint: str = "") -> None:
        self.out.findings.append(Finding(
            rule=rule, message=message, severity=severity, file=self.ctx.file, line=scalar.line,
            column=scalar.column, document=self.index, object=self.object, path=scalar.path, hint=hint,
        ))

    def scalar(self, node: ScalarNode, path: Path_) -> Scalar:
        """``node`` with where it is written in the file (one Scalar per node)."""
        cached = self.scalars.get(id(node))
        if cached is not None:
            return cached
        text, base = self.ctx.text, self.ctx.base
        start, end = node.start_mark.index + base, node.end_mark.index + base
        style = node.style or ""
        scalar = Scalar(
            path=path, value=node.value, style=style, start=start, end=end,
            content=content_span(text, start, end, node.value, style),
            line=node.start_mark.line + 1, column=node.start_mark.column + 1,
            is_string=is_str(node),
        )
        self.scalars[id(node)] = scalar
        return scalar


def _plain_type(value: str) -> str:
    resolved = yaml11.resolve_plain(value)
    if isinstance(resolved, str):
        return "date"
    return {bool: "boolean", int: "number", float: "number"}.get(type(resolved), "non-string")
