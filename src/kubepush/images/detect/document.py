"""Which detectors a YAML document gets, by what it is.

A manifest (``apiVersion`` and ``kind``) is scanned for container images and,
by its kind, for kustomize ``images:`` (kustomizations, Flux Kustomizations)
or inline Helm values (Flux HelmRelease, Argo CD Application and
ApplicationSet); ``List`` kinds are scanned item by item; CRDs never (their
schemas are full of ``image`` property names). A document without a kind is a
kustomization or a values file when its file name says so. Markers are looked
for last, in any document of a file that holds one, so they can attach to the
sites the other detectors found. A SOPS-encrypted document (a top-level ``sops``
block) is scanned like any other, but its sites are locked: listed, never edited.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, SequenceNode

from kubepush.images.detect import helm, kustomize, markers, workloads
from kubepush.images.detect.collect import Collector, FileContext
from kubepush.images.nodes import get, lookup, str_value
from kubepush.images.sites import Discovery, Path_
from kubepush.model import ObjectRef

#: Why an image in a SOPS-encrypted document is listed but never bumped.
LOCKED = ("in a SOPS-encrypted document: an edit would break its MAC (sops signs every value), "
          "change it with `sops edit`")


def scan(ctx: FileContext, index: int, root: Node, out: Discovery) -> None:
    """Every image site of document ``index`` (composed as ``root``) into ``out``."""
    doc = Collector(ctx, index, root, out)
    if isinstance(sops_block := get(root, "sops"), MappingNode) and get(sops_block, "mac") is not None:
        doc.locked = LOCKED
    api, kind = str_value(root, "apiVersion"), str_value(root, "kind")
    if api and kind:
        doc.object = _object_ref(root, api, kind)
        _manifest(doc, root, (), api, kind)
    elif ctx.kustomization:
        kustomize.detect(doc, root, ())
    elif ctx.values:
        helm.detect(doc, root, ())
    if ctx.has_marker:
        markers.detect(doc)
    out.sites.extend(doc.sites)


def _manifest(doc: Collector, node: Node, path: Path_, api: str, kind: str) -> None:
    if kind == "CustomResourceDefinition":
        return
    if kind.endswith("List") and isinstance(items := get(node, "items"), SequenceNode):
        for i, item in enumerate(items.value):
            item_api, item_kind = str_value(item, "apiVersion"), str_value(item, "kind")
            if item_api and item_kind:
                doc.object = _object_ref(item, item_api, item_kind)
                _manifest(doc, item, path + ("items", i), item_api, item_kind)
        return
    group = api.split("/")[0]
    spec = get(node, "spec")
    if group == "kustomize.config.k8s.io" or (doc.ctx.kustomization and not path):
        kustomize.detect(doc, node, path)  # Kustomization and Component
    elif kind == "Kustomization" and group == "kustomize.toolkit.fluxcd.io" and spec is not None:
        kustomize.detect(doc, spec, path + ("spec",))
    elif kind == "HelmRelease" and spec is not None and (values := get(spec, "values")) is not None:
        helm.detect(doc, values, path + ("spec", "values"))
    elif kind == "Application" and group == "argoproj.io" and spec is not None:
        helm.detect_argo(doc, spec, path + ("spec",))
    elif kind == "ApplicationSet" and group == "argoproj.io" and (
        template := lookup(spec, ("template", "spec"))
    ) is not None:
        helm.detect_argo(doc, template, path + ("spec", "template", "spec"))
    workloads.detect(doc, node, path, group)


def _object_ref(root: Node, api: str, kind: str) -> ObjectRef:
    meta = get(root, "metadata")
    return ObjectRef(api_version=api, kind=kind, namespace=str_value(meta, "namespace") if meta else "",
                     name=str_value(meta, "name") if meta else "")
