"""Find every image reference in a config repository, with the exact text to edit.

``bump`` and ``kubepush images`` both call :func:`discover_paths`, so what the
listing shows is exactly what bump would touch. Each :class:`ImageSite` carries
the parsed reference *and* where its parts are written: the character span of
the tag, of the digest, or of the whole scalar. :mod:`kubepush.images.edit`
changes only those characters, which is why discovery works on libyaml's node
tree (positions, quoting style) rather than on loaded Python objects.

Sources, by the kind reported:

``container``
    ``image`` of every ``containers``/``initContainers``/``ephemeralContainers``
    item anywhere in a manifest (pods, every pod template, custom resources that
    embed containers), and any other ``image:`` string key of a manifest (the
    Prometheus/Alertmanager ``spec.image``) unless it is known not to be a
    container image (a Ceph ``rbd.image`` is a block-device name).
``kustomize``
    ``images[]`` entries with ``newName``/``newTag``/``digest`` in kustomization
    files and in Flux ``Kustomization.spec.images``.
``helm-values``
    values files (``values*.yaml`` and files declared as values) and the inline
    values of Flux ``HelmRelease``/Argo CD ``Application``: an ``image``-like key
    (``image``, ``fooImage``) holding a string or a mapping of
    ``registry``/``namespace``/``repository``|``image``|``name``/``tag``|``version``/``digest``
    at any depth; a mapping with ``repository`` and ``tag`` under any key (a
    ``redis:`` block, a chart's ``images:`` registry prefix); and the key paths a
    chart declares in configuration (``extra_value_paths``). A missing or empty
    tag means "the chart's appVersion" and is reported as such, never invented.
``marker``
    a scalar carrying a Flux ``# {"$imagepolicy": ...}`` marker that none of the
    rules above recognises; markers on recognised sites set their ``policy``.

Unrendered placeholders (``{{ .Values.x }}``, ``${IMAGE}``, ``<image>``,
``SED_STYLE_PLACEHOLDERS``) are reported as ``image-placeholder`` (info) and
skipped; an invalid reference where an image must be is an
``invalid-image-reference`` finding, never an exception.

Speed: a cheap byte search skips files that cannot hold an image key before
anything is parsed, files that hold nothing but CRDs are not composed,
subtrees in which no candidate key is written are not walked, and a large
repository is shared with a second process when a core is idle
(``benchmarks/discover.py`` measures it).
"""

from __future__ import annotations

import bisect
import enum
import fnmatch
import functools
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from yaml._yaml import CParser
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubepush.errors import UsageError
from kubepush.images import markers
from kubepush.images.reference import ImageRef, InvalidReference, parse_reference
from kubepush.manifests import yaml11
from kubepush.manifests.nesting import MAX_NESTING, too_deep
from kubepush.model import Finding, ObjectRef, Severity, format_path

Path_ = tuple[str | int, ...]

STR_TAG = "tag:yaml.org,2002:str"
#: Tag our composer gives untagged plain scalars; they are typed only when needed.
PLAIN_TAG = "!kubepush/plain"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
VALUES_PATTERNS = ("values*.yaml", "values*.yml", "*-values.yaml", "*-values.yml", "*.values.yaml", "*.values.yml")
_VALUES_NAME = re.compile("|".join(fnmatch.translate(p) for p in VALUES_PATTERNS))
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
#: Parents under which an ``image`` key is not a container image.
NOT_CONTAINER_IMAGE_PARENTS = frozenset({"rbd"})
#: API groups whose ``image`` keys are not images to run: Cluster API machine
#: images are VM images; a Flux ImageRepository names a repository to scan and
#: must never get a tag.
NOT_CONTAINER_IMAGE_GROUPS = frozenset({"infrastructure.cluster.x-k8s.io", "image.toolkit.fluxcd.io"})
#: Roles a chart may map to its own key paths in ``extra_value_paths``.
VALUE_PATH_ROLES = ("image", "registry", "namespace", "repository", "tag", "digest")

_PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\$\{|\$\(|%\{|<[^<>]*>|^\$"
    # sed-style: CONTAINER_IMAGES_REGISTRY/app, app:IMAGE_TAG (upper-case words joined by '_')
    r"|(?:^|[/:@])[A-Z]{2,}(?:_[A-Z]{2,})+(?=$|[/:@])"
)
_CANDIDATE_KEYS = (r"(?i:image)s?", r"repository", r"newTag", r"newName", r"digest")
_TOP_KIND = re.compile(rb"(?m)^kind:[ \t]*[\"']?([A-Za-z]+)")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_ROLE_NAMES = {"ref": "whole reference", "match": "name to replace", "name": "name"}
_SUFFIX_FOR = {"ref": "", "name": ":name", "tag": ":tag", "digest": ":digest"}


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

    def field(self, role: str) -> Scalar | None:
        """The scalar holding ``role``, if the site has one."""
        for f in self.fields:
            if f.role == role:
                return f.scalar
        return None

    @property
    def tag(self) -> str | None:
        """The tag as written (None when there is none)."""
        return self.reference.tag if self.reference else _tag_only(self)

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
        }


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


# --------------------------------------------------------------------------- API


def list_images(paths: Sequence[str | os.PathLike[str]], **options: Any) -> list[ImageSite]:
    """Every image site under ``paths`` - what ``kubepush images`` prints and bump edits."""
    return discover_paths(paths, **options).sites


def discover_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    extra_value_paths: Sequence[Mapping[str, str]] = (),
    values_files: Iterable[str | os.PathLike[str]] = (),
    mentions: Iterable[str] = (),
    jobs: int | None = None,
) -> Discovery:
    """Discover images in files and directories (walked for ``*.yaml``/``*.yml``/``Kustomization``).

    ``mentions`` narrows the search for bump: only files whose text contains
    one of these strings (say the last path component of the repository being
    bumped, which every way of writing that image contains) or a Flux marker are
    parsed. Files are still counted, so the result says how many were looked at.

    ``jobs`` processes share the files (default: two for large repositories
    when it is safe to fork); the result is the same, in the same order.
    """
    files = list(iter_files(paths))
    scan = _Scan(
        value_paths=parse_value_paths(extra_value_paths),
        declared=frozenset(os.path.normpath(os.fspath(p)) for p in values_files),
        wanted=tuple(m.encode("utf-8") for m in mentions if m) + ((markers.TOKEN.encode(),) if mentions else ()),
    )
    workers = _workers(len(files)) if jobs is None else max(1, jobs)
    if workers == 1:
        return scan(files)
    import multiprocessing  # only large repositories pay for the import

    # The others also pickle their results, which this process unpickles only once
    # they arrive: it scans a slightly larger share so that everyone ends together.
    own = int(len(files) * 1.1 / workers)
    chunk = -(-(len(files) - own) // (workers - 1))
    parts = [files[i:i + chunk] for i in range(own, len(files), chunk)]
    with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
        pending = [pool.apply_async(scan, (part,)) for part in parts]
        result = scan(files[:own])
        for job in pending:
            result.extend(job.get())
    return result


#: Below this many files a second process costs more than it saves.
PARALLEL_MIN_FILES = 1500


def _workers(files: int) -> int:
    """Two processes for a large repository when a core is idle and forking is safe.

    A second process only pays off on an idle core: on a saturated CI runner it
    competes with the first and adds pickling, so the load average decides. Forking
    a process that runs other threads can deadlock the child, so then never.
    """
    import threading

    if files < PARALLEL_MIN_FILES or threading.active_count() > 1 or sys.platform != "linux":
        return 1
    cpus = len(os.sched_getaffinity(0))
    return 2 if cpus >= 2 and cpus - os.getloadavg()[0] >= 1 else 1


@dataclass(frozen=True, slots=True)
class _Scan:
    """Discovery over a list of files, picklable so a forked worker can run a share."""

    value_paths: list[dict[str, Path_]]
    declared: frozenset[str]
    wanted: tuple[bytes, ...]

    def __call__(self, files: list[str]) -> Discovery:
        keys = _candidate_regex(self.value_paths)
        result = Discovery()
        for path in files:
            result.extend(
                _discover_file(path, self.value_paths, os.path.normpath(path) in self.declared, keys, self.wanted)
            )
        return result


def discover(
    path_or_text: str | bytes | os.PathLike[str],
    *,
    file: str = "",
    extra_value_paths: Sequence[Mapping[str, str]] = (),
    values_file: bool | None = None,
) -> Discovery:
    """Discover images in one file (a path) or in YAML text (``str``/``bytes``).

    ``file`` names text for messages and decides, like a real file name would,
    whether it is a kustomization or a values file; ``values_file=True`` declares
    it a Helm values file whatever its name.
    """
    value_paths = parse_value_paths(extra_value_paths)
    if isinstance(path_or_text, os.PathLike):
        path = os.fspath(path_or_text)
        return _discover_file(path, value_paths, bool(values_file), _candidate_regex(value_paths))
    data = path_or_text.encode("utf-8") if isinstance(path_or_text, str) else path_or_text
    return _discover_bytes(data, file or "<text>", value_paths, values_file, _candidate_regex(value_paths))


def iter_files(paths: Sequence[str | os.PathLike[str]]) -> Iterator[str]:
    """YAML files under ``paths`` in a stable order; hidden directories are skipped."""
    for arg in paths:
        path = os.fspath(arg)
        if os.path.isfile(path):
            yield path
            continue
        if not os.path.isdir(path):
            raise UsageError(f"{path}: no such file or directory")
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.endswith((".yaml", ".yml")) or name == "Kustomization":
                    yield os.path.join(root, name)


def parse_value_paths(specs: Sequence[Mapping[str, str]]) -> list[dict[str, Path_]]:
    """Validate ``[{"repository": "a.b.repo", "tag": "a.b.version"}, ...]`` into key tuples."""
    out: list[dict[str, Path_]] = []
    for spec in specs:
        unknown = set(spec) - set(VALUE_PATH_ROLES)
        if unknown:
            raise UsageError(
                f"image value paths {dict(spec)!r}: unknown key(s) {', '.join(sorted(unknown))}; "
                f"use {', '.join(VALUE_PATH_ROLES)}"
            )
        if "repository" not in spec and "image" not in spec:
            raise UsageError(f"image value paths {dict(spec)!r}: need a \"repository\" (or \"image\") path")
        parsed: dict[str, Path_] = {}
        for role, dotted in spec.items():
            parts: list[str | int] = []
            pos = 0
            for m in _PATH_PART.finditer(dotted):
                if m.start() not in (pos, pos + 1) or (m.start() == pos + 1 and dotted[pos] != "."):
                    break
                parts.append(int(m.group(2)) if m.group(2) else m.group(1))
                pos = m.end()
            if not parts or pos != len(dotted):
                raise UsageError(f"image value paths: {role} path {dotted!r} is not like \"a.b.c\" or \"a.b[0].c\"")
            parsed[role] = tuple(parts)
        out.append(parsed)
    return out


@functools.lru_cache(maxsize=4096)
def reads_as_string(plain: str) -> bool:
    """Whether ``plain``, written unquoted, is a string to every YAML reader a repo meets.

    go-yaml v2 (kubectl, Helm, kustomize via sigs.k8s.io/yaml) and PyYAML's
    YAML 1.1 resolver disagree on some spellings (``1e3``, ``2024-01-01``,
    ``y``); a tag must be a string to both, or Helm renders ``1.10`` as ``1.1``.
    """
    if not plain:
        return False
    if isinstance(yaml11.resolve_plain(plain), str):
        return _RESOLVER.resolve(ScalarNode, plain, (True, False)) == STR_TAG
    return False


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> tuple[ImageRef | None, InvalidReference | None]:
    """parse_reference, remembered: a repository names the same image in many files."""
    try:
        return parse_reference(text), None
    except InvalidReference as exc:
        return None, exc


def is_placeholder(value: str) -> bool:
    """An unrendered template/sed placeholder rather than an image."""
    return bool(_PLACEHOLDER.search(value))


# ----------------------------------------------------------------- file level

_RESOLVER = yaml.resolver.Resolver()


class _Composer(CParser, yaml.resolver.BaseResolver):  # type: ignore[misc]
    """libyaml's parser and composer without PyYAML's per-scalar regex resolution.

    Resolving every scalar's type costs a third of composing; discovery only
    needs the type of the few scalars that hold images, and asks
    :func:`reads_as_string` for those.
    """

    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        return PLAIN_TAG if kind is ScalarNode and implicit[0] else STR_TAG


def _is_str(node: Node) -> bool:
    """A scalar whose value is a string (quoted, ``!!str``, or plain that reads as one)."""
    return isinstance(node, ScalarNode) and (
        node.tag == STR_TAG or (node.tag == PLAIN_TAG and reads_as_string(node.value))
    )


@dataclass(frozen=True, slots=True)
class _Keys:
    """The keys that can hold an image part: a byte search to skip files, a text search to skip subtrees."""

    in_bytes: re.Pattern[bytes]
    in_text: re.Pattern[str]


def _candidate_regex(value_paths: list[dict[str, Path_]]) -> _Keys:
    keys = list(_CANDIDATE_KEYS)
    for spec in value_paths:
        for parts in spec.values():
            leaf = next((p for p in reversed(parts) if isinstance(p, str)), None)
            if leaf:
                keys.append(re.escape(leaf))
    pattern = "(?:" + "|".join(keys) + ")[\"']?[ \t]*:"
    return _Keys(
        in_bytes=re.compile((pattern + "|" + re.escape(markers.TOKEN)).encode()),
        in_text=re.compile(pattern),
    )


def _discover_file(
    path: str, value_paths: list[dict[str, Path_]], declared: bool, keys: _Keys, wanted: tuple[bytes, ...] = ()
) -> Discovery:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    if wanted and not any(w in data for w in wanted):
        return Discovery(files=1)
    return _discover_bytes(data, path, value_paths, True if declared else None, keys)


def _discover_bytes(
    data: bytes,
    file: str,
    value_paths: list[dict[str, Path_]],
    values_file: bool | None,
    keys: _Keys,
) -> Discovery:
    result = Discovery(files=1)
    if not keys.in_bytes.search(data):
        return result
    if too_deep(data):  # the parser would crash the process, not raise
        result.findings.append(Finding(
            rule="yaml-syntax", severity=Severity.WARNING, file=file,
            message=f"collections nested more than {MAX_NESTING} levels deep; images not read",
        ))
        return result
    has_marker = markers.TOKEN.encode() in data
    if not has_marker and _only_crds(data):
        return result  # schemas are full of `image:` property names, never images
    name = os.path.basename(file)
    if os.sep + "templates" + os.sep in os.sep + file and b"{{" in data:
        return result  # a Helm template: its images are in the values files
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        result.findings.append(
            Finding(rule="yaml-syntax", severity=Severity.WARNING, file=file,
                    message=f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); images not read",
                    hint="re-save the file as UTF-8")
        )
        return result
    base = 1 if text.startswith("\ufeff") else 0
    body = text[base:]
    ctx = _FileContext(
        file=file,
        text=text,
        base=base,
        kustomization=name in KUSTOMIZATION_FILES,
        values=values_file if values_file is not None else _is_values_name(name),
        value_paths=value_paths,
        marker_lines=_marker_lines(body) if has_marker else [],
        keys=[m.start() for m in keys.in_text.finditer(body)],
    )
    result.parsed = 1
    try:
        for index, root in enumerate(yaml.compose_all(body, Loader=_Composer)):
            if root is not None:
                _Document(ctx, index, root, result).scan()
    except RecursionError:
        result.findings.append(Finding(
            rule="yaml-syntax", severity=Severity.WARNING, file=file,
            message="collections nested too deeply; the rest of the file was not read for images",
        ))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        result.findings.append(
            Finding(rule="yaml-syntax", severity=Severity.WARNING, file=file,
                    line=mark.line + 1 if mark else 0, column=mark.column + 1 if mark else 0,
                    message=f"YAML syntax error, images after this point not read: {getattr(exc, 'problem', exc)}",
                    hint="fix the YAML (kubepush validate shows the details)")
        )
    return result


def _only_crds(data: bytes) -> bool:
    """Every document's top-level ``kind:`` is CustomResourceDefinition (so there is nothing to parse)."""
    kinds = _TOP_KIND.findall(data)
    return bool(kinds) and all(k == b"CustomResourceDefinition" for k in kinds)


def _marker_lines(text: str) -> list[tuple[int, int]]:
    """Where markers are: (start of their line, their position) in ``text``."""
    out = []
    pos = text.find(markers.TOKEN)
    while pos >= 0:
        out.append((max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1, pos))
        pos = text.find(markers.TOKEN, pos + 1)
    return out


def _is_values_name(name: str) -> bool:
    return _VALUES_NAME.match(name) is not None


@dataclass(slots=True)
class _FileContext:
    file: str
    text: str
    base: int
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


# ------------------------------------------------------------- document level


class _Document:
    """Scans one YAML document's node tree; results go into ``out``."""

    def __init__(self, ctx: _FileContext, index: int, root: Node, out: Discovery) -> None:
        self.ctx = ctx
        self.index = index
        self.root = root
        self.out = out
        self.object = ObjectRef()
        self.scalars: dict[int, Scalar] = {}
        self.claimed: dict[int, int] = {}  # scalar start -> index into self.sites
        self.sites: list[ImageSite] = []

    # ---- orchestration

    def scan(self) -> None:
        root = self.root
        api, kind = _str_value(root, "apiVersion"), _str_value(root, "kind")
        if api and kind:
            self.object = _object_ref(root, api, kind)
            self._manifest(root, (), api, kind)
        elif self.ctx.kustomization:
            self._kustomize(root, ())
        elif self.ctx.values:
            self._values(root, ())
        if self.ctx.has_marker:
            self._markers()
        self.out.sites.extend(self.sites)

    def _manifest(self, node: Node, path: Path_, api: str, kind: str) -> None:
        if kind == "CustomResourceDefinition":
            return
        if kind.endswith("List") and isinstance(items := _get(node, "items"), SequenceNode):
            for i, item in enumerate(items.value):
                item_api, item_kind = _str_value(item, "apiVersion"), _str_value(item, "kind")
                if item_api and item_kind:
                    self.object = _object_ref(item, item_api, item_kind)
                    self._manifest(item, path + ("items", i), item_api, item_kind)
            return
        group = api.split("/")[0]
        spec = _get(node, "spec")
        if group == "kustomize.config.k8s.io" or (self.ctx.kustomization and not path):
            self._kustomize(node, path)  # Kustomization and Component
        elif kind == "Kustomization" and group == "kustomize.toolkit.fluxcd.io" and spec is not None:
            self._kustomize(spec, path + ("spec",))
        elif kind == "HelmRelease" and spec is not None and (values := _get(spec, "values")) is not None:
            self._values(values, path + ("spec", "values"))
        elif kind == "Application" and group == "argoproj.io" and spec is not None:
            self._argo_values(spec, path + ("spec",))
        elif kind == "ApplicationSet" and group == "argoproj.io" and (
            template := _lookup(spec, ("template", "spec"))
        ) is not None:
            self._argo_values(template, path + ("spec", "template", "spec"))
        if group not in NOT_CONTAINER_IMAGE_GROUPS:
            self._containers(node, path, set())

    def _argo_values(self, spec: Node, path: Path_) -> None:
        sources: list[tuple[Node, Path_]] = []
        if (source := _get(spec, "source")) is not None:
            sources.append((source, path + ("source",)))
        if isinstance(many := _get(spec, "sources"), SequenceNode):
            sources += [(s, path + ("sources", i)) for i, s in enumerate(many.value)]
        for source, spath in sources:
            helm = _get(source, "helm")
            if helm is not None and (values := _get(helm, "valuesObject")) is not None:
                self._values(values, spath + ("helm", "valuesObject"))

    # ---- containers and other manifest image keys

    def _containers(self, node: Node, path: Path_, seen: set[int]) -> None:
        if id(node) in seen:
            return  # an alias of a collection already walked is not a second site
        seen.add(id(node))
        if isinstance(node, MappingNode):
            parent = path[-1] if path else None
            for key_node, value in node.value:
                key = key_node.value if isinstance(key_node, ScalarNode) else None
                if key is None:
                    continue
                if key in CONTAINER_LISTS and isinstance(value, SequenceNode):
                    for i, item in enumerate(value.value):
                        image = _get(item, "image")
                        if _is_str(image):
                            ipath = path + (key, i, "image")
                            self._whole(SiteKind.CONTAINER, image, ipath, definite=True)
                elif key == "image" and parent not in NOT_CONTAINER_IMAGE_PARENTS and _is_str(value):
                    self._whole(SiteKind.CONTAINER, value, path + (key,), definite=False)
                if value.__class__ is not ScalarNode and self.ctx.holds_key(value):
                    self._containers(value, path + (key,), seen)
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                if item.__class__ is not ScalarNode and self.ctx.holds_key(item):
                    self._containers(item, path + (i,), seen)

    # ---- kustomize

    def _kustomize(self, node: Node, path: Path_) -> None:
        images = _get(node, "images")
        if not isinstance(images, SequenceNode):
            return
        for i, entry in enumerate(images.value):
            if not isinstance(entry, MappingNode):
                continue
            epath = path + ("images", i)
            parts = {k: self._scalar(v, epath + (k,)) for k, v in _scalar_items(entry, ("name", "newName", "newTag", "digest"))}
            if not any(k in parts for k in ("newName", "newTag", "digest")):
                continue  # only tagSuffix or nothing: no reference to bump
            fields = [Field(role, parts[k]) for k, role in
                      (("name", "match"), ("newName", "name"), ("newTag", "tag"), ("digest", "digest")) if k in parts]
            name = parts.get("newName") or parts.get("name")
            if name is None or not name.value:
                self._invalid(epath, entry, "kustomize images entry has no name", definite=True)
                continue
            text = _assemble(None, None, name.value, _opt(parts.get("newTag")), _opt(parts.get("digest")))
            if _opt(parts.get("newTag")):
                self._check_tag_type(parts["newTag"], "kustomize expects a string and refuses or misreads it")
            self._site(SiteKind.KUSTOMIZE, epath, entry, fields, text, definite=True,
                       entry=Entry(entry.start_mark.index + self.ctx.base, bool(entry.flow_style),
                                   entry.value[0][0].start_mark.column if entry.value else 0))

    # ---- helm values

    def _values(self, root: Node, path: Path_) -> None:
        for spec in self.ctx.value_paths:
            self._declared(root, path, spec)
        self._values_walk(root, path, image_key=False, seen=set())

    def _declared(self, root: Node, path: Path_, spec: dict[str, Path_]) -> None:
        nodes: dict[str, ScalarNode] = {}
        for role, rel in spec.items():
            node = _lookup(root, rel)
            if isinstance(node, ScalarNode):
                nodes[role] = node
        primary = "image" if "image" in nodes else "repository"
        if primary not in nodes or not nodes[primary].value:
            return
        fields = [Field({"image": "ref", "repository": "name"}.get(role, role), self._scalar(n, path + spec[role]))
                  for role, n in nodes.items()]
        self._split_site(path + spec[primary], nodes[primary], fields, definite=True)

    def _values_walk(self, node: Node, path: Path_, image_key: bool, seen: set[int]) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                if item.__class__ is not ScalarNode and self.ctx.holds_key(item):
                    self._values_walk(item, path + (i,), False, seen)
            return
        if not isinstance(node, MappingNode):
            return
        self._image_mapping(node, path, image_key)
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key is None:
                continue
            imageish = key.lower().endswith("image")
            if imageish and isinstance(value, ScalarNode):
                if value.value and _is_str(value):
                    self._image_string(node, key, value, path)
                continue
            if value.__class__ is not ScalarNode and (imageish or self.ctx.holds_key(value)):
                self._values_walk(value, path + (key,), imageish, seen)

    def _image_mapping(self, node: MappingNode, path: Path_, image_key: bool) -> None:
        """``{registry, namespace, repository|image|name, tag|version, digest}`` as one image."""
        keys = dict(_scalar_items(node, ("registry", "namespace", "org", "organization", "repository",
                                         "image", "name", "tag", "version", "digest")))
        name_key = next((k for k in ("repository", "image") if k in keys), None)
        if name_key is None and image_key and "name" in keys:
            name_key = "name"
        tag_key = next((k for k in ("tag", "version") if k in keys), None)
        if name_key is None or not keys[name_key].value or not _is_str(keys[name_key]):
            return
        if not image_key and tag_key is None:
            return  # a lone `repository:` is as likely a git or Helm repository
        fields = [Field("name", self._scalar(keys[name_key], path + (name_key,)))]
        if "registry" in keys:
            fields.append(Field("registry", self._scalar(keys["registry"], path + ("registry",))))
        ns_key = next((k for k in ("namespace", "org", "organization") if k in keys), None)
        if ns_key and image_key:
            fields.append(Field("namespace", self._scalar(keys[ns_key], path + (ns_key,))))
        if tag_key:
            fields.append(Field("tag", self._scalar(keys[tag_key], path + (tag_key,))))
        if "digest" in keys:
            fields.append(Field("digest", self._scalar(keys["digest"], path + ("digest",))))
        self._split_site(path, node, fields, definite=image_key)

    def _image_string(self, parent: MappingNode, key: str, value: ScalarNode, path: Path_) -> None:
        """``image: repo:tag``, or ``image: repo`` with a sibling ``imageTag``."""
        tag_node = _get(parent, key + "Tag")
        if isinstance(tag_node, ScalarNode) and ":" not in value.value.rsplit("/", 1)[-1]:
            fields = [Field("name", self._scalar(value, path + (key,))),
                      Field("tag", self._scalar(tag_node, path + (key + "Tag",)))]
            self._split_site(path + (key,), value, fields, definite=True)
            return
        self._whole(SiteKind.HELM_VALUES, value, path + (key,), definite=True)

    def _split_site(self, path: Path_, node: Node, fields: list[Field], *, definite: bool) -> None:
        get = {f.role: f.scalar for f in fields}
        tag = get.get("tag")
        tag_text = tag.value if tag is not None and tag.value and _is_present(tag) else None
        digest = get.get("digest")
        digest_text = digest.value if digest is not None and digest.value and _is_present(digest) else None
        registry = get.get("registry")
        namespace = get.get("namespace")
        if "ref" in get:
            text = get["ref"].value
        else:
            text = _assemble(registry.value if registry and _is_present(registry) else None,
                             namespace.value if namespace and _is_present(namespace) else None,
                             get["name"].value, tag_text, digest_text)
        if tag is not None and tag_text:
            self._check_tag_type(tag, "Helm may render it differently (1.10 becomes 1.1)")
        self._site(SiteKind.HELM_VALUES, path, node, fields, text, definite=definite,
                   default_tag=tag_text is None and "ref" not in get)

    # ---- markers

    def _markers(self) -> None:
        """Attach markers to the sites they are on; group the rest into marker sites.

        A marker right after a scalar some rule already recognised is found by
        that scalar's end offset; only the others need a walk of the tree.
        """
        text, base = self.ctx.text, self.ctx.base
        by_end = {f.scalar.end: (i, f) for i, site in enumerate(self.sites) for f in site.fields}
        pending = []
        for line_start, pos in self.ctx.marker_lines:
            end = text.rfind("#", line_start + base, pos + base)
            while end > line_start + base and text[end - 1] in " \t":
                end -= 1
            if end in by_end:
                i, f = by_end[end]
                marker = self._marker(f.scalar, end)
                if marker is not None:
                    self._attach(i, f, marker)
            else:
                pending.append((line_start, pos))
        loose: dict[tuple[int, str], list[tuple[markers.Marker, ScalarNode, Path_]]] = {}
        for node, parent, path in _scalars_before(self.root, pending):
            scalar = self._scalar(node, path)
            marker = self._marker(scalar, scalar.end)
            if marker is not None and scalar.start not in self.claimed:
                loose.setdefault((id(parent), marker.policy), []).append((marker, node, path))
        for group in loose.values():
            self._marker_site(group)

    def _marker(self, scalar: Scalar, end: int) -> markers.Marker | None:
        """The marker in the line comment after ``end``, reporting a malformed one."""
        comment = markers.line_comment(self.ctx.text, end)
        if comment is None or markers.SHORTHAND not in comment:
            return None
        try:
            return markers.parse_comment(comment)
        except markers.InvalidMarker as exc:
            self._finding("invalid-image-marker", Severity.WARNING, scalar, str(exc),
                          hint='write it like # {"$imagepolicy": "flux-system:podinfo:tag"}')
            return None

    def _attach(self, index: int, f: Field, marker: markers.Marker) -> None:
        """Set the policy of a recognised site; warn where Flux would write something else."""
        site = self.sites[index]
        if site.policy and site.policy != marker.policy:
            self._finding("image-marker-conflict", Severity.WARNING, f.scalar,
                          f"markers name two policies for one image: {site.policy} and {marker.policy}")
            return
        if marker.role != f.role:
            self._finding(
                "image-marker-mismatch", Severity.WARNING, f.scalar,
                f"marker {marker} makes Flux write the image's {marker.role} here, but this field holds its "
                f"{_ROLE_NAMES.get(f.role, f.role)}",
                hint=f"use {marker.policy}{_SUFFIX_FOR.get(f.role, '')} for this field",
            )
        self.sites[index] = replace(site, policy=marker.policy)

    def _marker_site(self, group: list[tuple[markers.Marker, ScalarNode, Path_]]) -> None:
        fields = [Field(m.role, self._scalar(node, path)) for m, node, path in group]
        roles = [f.role for f in fields]
        marker, node, _ = group[0]
        if len(set(roles)) != len(roles) or ("ref" in roles and len(roles) > 1):
            self._finding("image-marker-conflict", Severity.WARNING, fields[0].scalar,
                          f"policy {marker.policy} marks {', '.join(roles)} in one mapping; cannot tell which image")
            return
        get = {f.role: f.scalar for f in fields}
        primary = get.get("ref") or get.get("name") or get.get("tag") or get["digest"]
        ppath = primary.path
        if "ref" in get or "name" in get:
            text = get["ref"].value if "ref" in get else _assemble(
                None, None, get["name"].value, _opt(get.get("tag")), _opt(get.get("digest")))
            self._site(SiteKind.MARKER, ppath, node, fields, text, definite=True, policy=marker.policy)
            return
        # Only a tag and/or digest: the repository is the ImagePolicy's, not in the file.
        tag, digest = _opt(get.get("tag")), _opt(get.get("digest"))
        text = (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
        self._record(ImageSite(
            file=self.ctx.file, document=self.index, kind=SiteKind.MARKER, path=ppath,
            line=primary.line, column=primary.column, reference=None, text=text,
            fields=tuple(fields), object=self.object, policy=marker.policy,
        ))

    # ---- building sites

    def _whole(self, kind: SiteKind, node: ScalarNode, path: Path_, *, definite: bool) -> None:
        scalar = self._scalar(node, path)
        self._site(kind, path, node, [Field("ref", scalar)], node.value, definite=definite)

    def _site(self, kind: SiteKind, path: Path_, node: Node, fields: list[Field], text: str, *,
              definite: bool, default_tag: bool = False, entry: Entry | None = None, policy: str = "") -> None:
        if any(f.scalar.start in self.claimed for f in fields):
            return  # an alias or merge key brought these scalars here again
        where = fields[0].scalar
        if is_placeholder(text):
            if definite:
                self._finding("image-placeholder", Severity.INFO, where,
                              f"{text!r} is an unrendered placeholder, not an image; skipped")
            return
        reference, exc = _parse(text)
        if reference is None:
            if definite:
                self._finding("invalid-image-reference", Severity.ERROR, where, str(exc),
                              hint="fix the image reference (name[:tag][@digest])")
            return
        primary = next((f.scalar for f in fields if f.role in ("ref", "tag")), None)
        line, column = (primary.line, primary.column) if primary else _position(node)
        self._record(ImageSite(
            file=self.ctx.file, document=self.index, kind=kind, path=path, line=line, column=column,
            reference=reference, text=text, fields=tuple(fields), object=self.object, policy=policy,
            default_tag=default_tag, entry=entry,
        ))

    def _record(self, site: ImageSite) -> None:
        for f in site.fields:
            self.claimed[f.scalar.start] = len(self.sites)
        self.sites.append(site)

    def _check_tag_type(self, tag: Scalar, consequence: str) -> None:
        """Warn about a tag YAML reads as a number/bool: what gets deployed is not what is written."""
        if not tag.is_string:
            self._finding(
                "image-tag-not-string", Severity.WARNING, tag,
                f"tag {tag.value} is read as a {_plain_type(tag.value)}, not a string; {consequence}",
                hint=f'quote it: {tag.path[-1]}: "{tag.value}"',
            )

    def _invalid(self, path: Path_, node: Node, message: str, *, definite: bool) -> None:
        if definite:
            line, column = _position(node)
            self.out.findings.append(Finding(
                rule="invalid-image-reference", message=message, file=self.ctx.file, line=line,
                column=column, document=self.index, object=self.object, path=path,
            ))

    def _finding(self, rule: str, severity: Severity, scalar: Scalar, message: str, hint: str = "") -> None:
        self.out.findings.append(Finding(
            rule=rule, message=message, severity=severity, file=self.ctx.file, line=scalar.line,
            column=scalar.column, document=self.index, object=self.object, path=scalar.path, hint=hint,
        ))

    def _scalar(self, node: ScalarNode, path: Path_) -> Scalar:
        cached = self.scalars.get(id(node))
        if cached is not None:
            return cached
        text, base = self.ctx.text, self.ctx.base
        start, end = node.start_mark.index + base, node.end_mark.index + base
        style = node.style or ""
        scalar = Scalar(
            path=path, value=node.value, style=style, start=start, end=end,
            content=_content_span(text, start, end, node.value, style),
            line=node.start_mark.line + 1, column=node.start_mark.column + 1,
            is_string=_is_str(node),
        )
        self.scalars[id(node)] = scalar
        return scalar


# ------------------------------------------------------------------- helpers


def _content_span(text: str, start: int, end: int, value: str, style: str) -> tuple[int, int] | None:
    """Where ``value`` is written verbatim inside the token [start, end), if it is."""
    if style == "":
        a = end - len(value)
        return (a, end) if a >= start and text[a:end] == value and "\n" not in value else None
    if style in ("'", '"'):
        a = end - 1 - len(value)
        if a - 1 >= start and text[a - 1] == style == text[end - 1] and text[a:end - 1] == value:
            return None if "\n" in value or "\r" in value else (a, end - 1)
        return None
    core = value.rstrip("\n")
    header_end = text.find("\n", start, end)
    if not core or "\n" in core or header_end < 0:
        return None
    a = text.find(core, header_end + 1, end)
    if a < 0 or text.find(core, a + 1, end) >= 0:
        return None
    if text[header_end + 1:a].strip(" ") or text[a + len(core):end].strip(" \t\r\n"):
        return None
    return (a, a + len(core))


def ref_layout(value: str) -> tuple[int, int, int]:
    """End of name, end of ``:tag``, end of ``@digest`` in a valid reference string.

    Only locates the parts of a string :func:`parse_reference` accepted, so the
    tag span can be checked against ``ImageRef.tag``.
    """
    at = value.find("@")
    name_tag_end = at if at >= 0 else len(value)
    colon = value.rfind(":", 0, name_tag_end)
    name_end = colon if colon > value.rfind("/", 0, name_tag_end) else name_tag_end
    return name_end, name_tag_end, len(value)


def _tag_only(site: ImageSite) -> str | None:
    scalar = site.field("tag")
    return scalar.value if scalar and scalar.value and _is_present(scalar) else None


def _assemble(registry: str | None, namespace: str | None, name: str, tag: str | None, digest: str | None) -> str:
    text = "/".join(p.strip("/") for p in (registry, namespace) if p) + "/" if registry or namespace else ""
    text += name
    if tag:
        text += ":" + tag
    if digest:
        text += "@" + digest
    return text


def _is_present(scalar: Scalar) -> bool:
    """A tag/digest scalar that holds a value (not ``~``/``null``/empty)."""
    return scalar.is_string or (scalar.style == "" and yaml11.resolve_plain(scalar.value) is not None)


def _opt(scalar: Scalar | None) -> str | None:
    return scalar.value if scalar is not None and scalar.value and _is_present(scalar) else None


def _plain_type(value: str) -> str:
    resolved = yaml11.resolve_plain(value)
    if isinstance(resolved, str):
        return "date"
    return {bool: "boolean", int: "number", float: "number"}.get(type(resolved), "non-string")


def _get(node: Node | None, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return v
    return None


def _str_value(node: Node, key: str) -> str:
    value = _get(node, key)
    return value.value if isinstance(value, ScalarNode) and isinstance(value.value, str) else ""


def _scalar_items(node: MappingNode, keys: tuple[str, ...]) -> list[tuple[str, ScalarNode]]:
    """(key, scalar) pairs for the wanted keys; non-string (null) scalars are kept, collections not."""
    return [(k.value, v) for k, v in node.value
            if isinstance(k, ScalarNode) and k.value in keys and isinstance(v, ScalarNode)]


def _lookup(node: Node | None, path: Path_) -> Node | None:
    for part in path:
        if isinstance(part, int):
            node = node.value[part] if isinstance(node, SequenceNode) and part < len(node.value) else None
        else:
            node = _get(node, part)
        if node is None:
            return None
    return node


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


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _object_ref(root: Node, api: str, kind: str) -> ObjectRef:
    meta = _get(root, "metadata")
    return ObjectRef(api_version=api, kind=kind, namespace=_str_value(meta, "namespace") if meta else "",
                     name=_str_value(meta, "name") if meta else "")

