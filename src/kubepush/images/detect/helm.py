"""``helm-values`` sites: images in Helm values, wherever a chart's values are written.

Values files (``values*.yaml`` and files declared as values) and the inline
values of Flux ``HelmRelease``/Argo CD ``Application``: an ``image``-like key
(``image``, ``fooImage``) holding a string or a mapping of
``registry``/``namespace``/``repository``|``image``|``name``/``tag``|``version``/``digest``
at any depth; a mapping with ``repository`` and ``tag`` under any key (a
``redis:`` block, a chart's ``images:`` registry prefix); and the key paths a
chart declares in configuration (``extra_value_paths``). A missing or empty
tag means "the chart's appVersion" and is reported as such, never invented.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubepush.errors import UsageError
from kubepush.images.detect.collect import Collector, assemble
from kubepush.images.nodes import get, is_str, lookup, scalar_items
from kubepush.images.sites import Field, Path_, SiteKind, value_of

VALUES_PATTERNS = ("values*.yaml", "values*.yml", "*-values.yaml", "*-values.yml", "*.values.yaml", "*.values.yml")
_VALUES_NAME = re.compile("|".join(fnmatch.translate(p) for p in VALUES_PATTERNS))
#: Roles a chart may map to its own key paths in ``extra_value_paths``.
VALUE_PATH_ROLES = ("image", "registry", "namespace", "repository", "tag", "digest")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_IMAGE_KEYS = ("registry", "namespace", "org", "organization", "repository", "image", "name", "tag", "version",
               "digest")


def is_values_file(name: str) -> bool:
    """Whether a file name is one Helm values are conventionally written in."""
    return _VALUES_NAME.match(name) is not None


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


def detect(doc: Collector, root: Node, path: Path_) -> None:
    """The images in the values at ``root`` (a values file, or a release's inline values)."""
    for spec in doc.ctx.value_paths:
        _declared(doc, root, path, spec)
    _walk(doc, root, path, image_key=False, seen=set())


def detect_argo(doc: Collector, spec: Node, path: Path_) -> None:
    """The inline ``helm.valuesObject`` of each source of an Argo CD Application ``spec``."""
    sources: list[tuple[Node, Path_]] = []
    if (source := get(spec, "source")) is not None:
        sources.append((source, path + ("source",)))
    if isinstance(many := get(spec, "sources"), SequenceNode):
        sources += [(s, path + ("sources", i)) for i, s in enumerate(many.value)]
    for source, spath in sources:
        helm = get(source, "helm")
        if helm is not None and (values := get(helm, "valuesObject")) is not None:
            detect(doc, values, spath + ("helm", "valuesObject"))


def _declared(doc: Collector, root: Node, path: Path_, spec: dict[str, Path_]) -> None:
    nodes: dict[str, ScalarNode] = {}
    for role, rel in spec.items():
        node = lookup(root, rel)
        if isinstance(node, ScalarNode):
            nodes[role] = node
    primary = "image" if "image" in nodes else "repository"
    if primary not in nodes or not nodes[primary].value:
        return
    fields = [Field({"image": "ref", "repository": "name"}.get(role, role), doc.scalar(n, path + spec[role]))
              for role, n in nodes.items()]
    _split_site(doc, path + spec[primary], nodes[primary], fields, definite=True)


def _walk(doc: Collector, node: Node, path: Path_, image_key: bool, seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    holds_key = doc.ctx.holds_key
    if isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            if item.__class__ is not ScalarNode and holds_key(item):
                _walk(doc, item, path + (i,), False, seen)
        return
    if not isinstance(node, MappingNode):
        return
    _image_mapping(doc, node, path, image_key)
    for key_node, value in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key is None:
            continue
        imageish = key.lower().endswith("image")
        if imageish and isinstance(value, ScalarNode):
            if value.value and is_str(value):
                _image_string(doc, node, key, value, path)
            continue
        if value.__class__ is not ScalarNode and (imageish or holds_key(value)):
            _walk(doc, value, path + (key,), imageish, seen)


def _image_mapping(doc: Collector, node: MappingNode, path: Path_, image_key: bool) -> None:
    """``{registry, namespace, repository|image|name, tag|version, digest}`` as one image."""
    keys = dict(scalar_items(node, _IMAGE_KEYS))
    name_key: str | None = next((k for k in ("repository", "image") if k in keys), None)
    if name_key is None and image_key and "name" in keys:
        name_key = "name"
    tag_key = next((k for k in ("tag", "version") if k in keys), None)
    if name_key is None or not keys[name_key].value or not is_str(keys[name_key]):
        return
    if not image_key and tag_key is None:
        return  # a lone `repository:` is as likely a git or Helm repository
    fields = [Field("name", doc.scalar(keys[name_key], path + (name_key,)))]
    if "registry" in keys:
        fields.append(Field("registry", doc.scalar(keys["registry"], path + ("registry",))))
    ns_key = next((k for k in ("namespace", "org", "organization") if k in keys), None)
    if ns_key and image_key:
        fields.append(Field("namespace", doc.scalar(keys[ns_key], path + (ns_key,))))
    if tag_key:
        fields.append(Field("tag", doc.scalar(keys[tag_key], path + (tag_key,))))
    if "digest" in keys:
        fields.append(Field("digest", doc.scalar(keys["digest"], path + ("digest",))))
    _split_site(doc, path, node, fields, definite=image_key)


def _image_string(doc: Collector, parent: MappingNode, key: str, value: ScalarNode, path: Path_) -> None:
    """``image: repo:tag``, or ``image: repo`` with a sibling ``imageTag``."""
    tag_node = get(parent, key + "Tag")
    if isinstance(tag_node, ScalarNode) and ":" not in value.value.rsplit("/", 1)[-1]:
        fields = [Field("name", doc.scalar(value, path + (key,))),
                  Field("tag", doc.scalar(tag_node, path + (key + "Tag",)))]
        _split_site(doc, path + (key,), value, fields, definite=True)
        return
    doc.whole(SiteKind.HELM_VALUES, value, path + (key,), definite=True)


def _split_site(doc: Collector, path: Path_, node: Node, fields: list[Field], *, definite: bool) -> None:
    by_role = {f.role: f.scalar for f in fields}
    tag = by_role.get("tag")
    tag_text = value_of(tag)
    if "ref" in by_role:
        text = by_role["ref"].value
    else:
        text = assemble(value_of(by_role.get("registry")), value_of(by_role.get("namespace")),
                        by_role["name"].value, tag_text, value_of(by_role.get("digest")))
    if tag is not None and tag_text:
        doc.check_tag_type(tag, "Helm may render it differently (1.10 becomes 1.1)")
    doc.site(SiteKind.HELM_VALUES, path, node, fields, text, definite=definite,
             default_tag=tag_text is None and "ref" not in by_role)
