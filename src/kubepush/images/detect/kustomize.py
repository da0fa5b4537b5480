"""``kustomize`` sites: ``images[]`` entries of kustomizations and Flux Kustomizations.

An entry with ``newName``/``newTag``/``digest`` sets the image kustomize
writes where ``name`` is used; the entry is the site (its ``name`` is the
image being replaced, not a part of the new reference). The entry's mapping is
kept so a missing ``newTag`` or ``digest`` key can be added to it.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, SequenceNode

from kubepush.images.detect.collect import Collector, assemble
from kubepush.images.nodes import get, scalar_items
from kubepush.images.sites import Entry, Field, Path_, SiteKind, value_of

#: entry key -> the role of its scalar
_ROLES = (("name", "match"), ("newName", "name"), ("newTag", "tag"), ("digest", "digest"))


def detect(doc: Collector, node: Node, path: Path_) -> None:
    """The ``images:`` entries of the kustomization (or Flux Kustomization ``spec``) at ``node``."""
    images = get(node, "images")
    if not isinstance(images, SequenceNode):
        return
    for i, entry in enumerate(images.value):
        if not isinstance(entry, MappingNode):
            continue
        epath = path + ("images", i)
        parts = {k: doc.scalar(v, epath + (k,))
                 for k, v in scalar_items(entry, ("name", "newName", "newTag", "digest"))}
        if not any(k in parts for k in ("newName", "newTag", "digest")):
            continue  # only tagSuffix or nothing: no reference to bump
        fields = [Field(role, parts[k]) for k, role in _ROLES if k in parts]
        name = parts.get("newName") or parts.get("name")
        if name is None or not name.value:
            doc.invalid(epath, entry, "kustomize images entry has no name", definite=True)
            continue
        tag = value_of(parts.get("newTag"))
        text = assemble(None, None, name.value, tag, value_of(parts.get("digest")))
        if tag:
            doc.check_tag_type(parts["newTag"], "kustomize expects a string and refuses or misreads it")
        doc.site(SiteKind.KUSTOMIZE, epath, entry, fields, text, definite=True,
                 entry=Entry(entry.start_mark.index + doc.ctx.base, bool(entry.flow_style),
                             entry.value[0][0].start_mark.column if entry.value else 0))
