"""The manifests of a target as plan Items: each rendered object with the file and line it
starts at; YAML and shape errors are findings (a target that does not load applies nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubepush.model import Finding

if TYPE_CHECKING:
    from kubepush.manifests.documents import Document


def load_items(paths: list[str], decrypt: bool = True) -> tuple[list[Any], list[Finding], int]:
    """Rendered objects of ``paths`` as plan Items, YAML/shape errors as findings, and the file count.

    SOPS documents are decrypted (all files at once, concurrently) unless ``decrypt`` is off, and
    must be: without the tool or a key this raises
    :class:`~kubepush.manifests.sops_decrypt.DecryptionUnavailable` (exit 2) before anything
    reaches a cluster; a MAC mismatch is a finding, so nothing is applied.
    """
    from kubepush.manifests import sources
    from kubepush.manifests.sops_decrypt import Decryptor

    items, findings, files = [], [], 0
    found = list(sources.discover(paths))
    decryptor = Decryptor(enabled=decrypt, required=True)
    decryptor.prefetch(s.path for s in found if s.kind == "file")
    for source in found:
        files += 1
        for doc in sources.load(source, decryptor):
            entry = item_of(doc)
            if isinstance(entry, Finding):
                findings.append(entry)
            else:
                items.append(entry)
    return items, findings, files


def item_of(doc: Document | Finding) -> Any:
    """One loaded document as a plan Item, or the finding that says why it is none (a YAML error,
    or not a Kubernetes object)."""
    from kubepush.cluster.plan import Item
    from kubepush.manifests.documents import Document

    if not isinstance(doc, Document):
        return doc
    obj = doc.obj
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not (isinstance(obj, dict) and obj.get("apiVersion") and obj.get("kind") and isinstance(meta, dict)
            and (meta.get("name") or meta.get("generateName"))):
        return Finding(rule="not-an-object", file=doc.file, document=doc.index, object=doc.ref,
                       message="not a Kubernetes object with apiVersion, kind and metadata.name "
                               "(or generateName, for a hook)")
    sealed = doc.sealed
    return Item(obj, doc.file, doc.index, _start_line(doc), sealed is not None,
                sealed.secrets if sealed else frozenset(), sealed.paths if sealed else ())


def _start_line(doc: Document) -> int:
    """The first line of an object's own text: after ``---``, blank lines and comments."""
    if doc.prefix:  # an item of a kind: List - only the position-keeping parse knows
        return doc.locate(())[0]
    line = doc.raw.line_offset + 1
    for text in doc.raw.text.splitlines():
        stripped = text.strip()
        if stripped and stripped != "---" and not stripped.startswith("#"):
            break
        line += 1
    return line
