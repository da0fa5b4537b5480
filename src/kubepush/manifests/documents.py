"""Documents: parsed manifests that remember where they came from.

Every stage works on :class:`Document`. A document knows its file, its index in
the file and its raw text, so the exact line and column of any JSON path can be
computed - but only on demand, for documents that have findings: locating is
a second, slower parse, and most documents never need it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubepush.manifests import fastyaml
from kubepush.manifests.errors import YAMLError
from kubepush.model import Finding, ObjectRef

if TYPE_CHECKING:
    from kubepush.manifests.sops import Sealed


@dataclass(slots=True)
class Document:
    """One Kubernetes object as read from a file (or from a ``kind: List`` in it).

    ``prefix`` is the JSON path of this object inside the parsed YAML document
    (``("items", 3)`` for the fourth item of a List), so positions can be mapped
    back through the List.
    """

    obj: Any
    file: str
    index: int
    raw: fastyaml.RawDocument = field(repr=False)
    prefix: tuple[str | int, ...] = ()
    origin: str = ""
    #: set for a SOPS document (:mod:`.sops`): decrypted or not, its encrypted paths and values
    sealed: Sealed | None = None

    @property
    def ref(self) -> ObjectRef:
        return object_ref(self.obj)

    def locate(self, path: tuple[str | int, ...]) -> tuple[int, int]:
        """File-relative 1-based (line, column) of ``path`` within this object."""
        from kubepush.manifests import yaml11  # lazy: only documents with findings get here

        parsed = yaml11.parse_document(self.raw.text)
        line, column = yaml11.locate(parsed.node, self.prefix + tuple(path))
        return (line + self.raw.line_offset if line else 0, column)

    def place(self, finding: Finding) -> Finding:
        """Fill in the finding's file, document index, object and position."""
        finding.file = finding.file or self.file
        finding.document = self.index
        if not finding.object.kind and not finding.object.name:
            finding.object = self.ref
        if not finding.line:
            finding.line, finding.column = self.locate(finding.path)
        return finding


def object_ref(obj: Any) -> ObjectRef:
    """Best-effort identity of a (possibly malformed) object for messages."""
    if not isinstance(obj, dict):
        return ObjectRef()
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return ObjectRef(
        api_version=_text(obj.get("apiVersion")),
        kind=_text(obj.get("kind")),
        namespace=_text(meta.get("namespace")),
        name=_text(meta.get("name")) or _text(meta.get("generateName")),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def yaml_error_finding(exc: YAMLError, file: str, index: int) -> Finding:
    """A YAML syntax/semantic error as a finding at its exact position."""
    return Finding(
        rule="yaml-syntax",
        message=exc.message,
        file=file,
        line=exc.line,
        column=exc.column,
        document=index,
        hint=exc.hint,
    )


def parse_text(text: str, file: str, origin: str = "", line_base: int = 0) -> Iterator[Document | Finding]:
    """Parse a whole YAML stream into documents, ``kind: List`` expanded.

    A document that fails to parse yields a :class:`Finding` and the others are
    still returned: one typo must not hide the rest of a file's problems.
    """
    plain = fastyaml.plain(text)
    for raw in fastyaml.split_documents(text, line_base):
        try:
            obj = fastyaml.parse(raw, plain)
        except YAMLError as exc:
            yield yaml_error_finding(exc, file, raw.index)
            continue
        if obj is None:
            continue
        if _is_list(obj):
            for i, item in enumerate(obj["items"]):
                yield Document(item, file, raw.index, raw, ("items", i), origin)
        else:
            yield Document(obj, file, raw.index, raw, (), origin)


def _is_list(obj: Any) -> bool:
    """``kind: List`` (or ``*List``) with an ``items`` array, as kubectl expands it."""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("kind"), str)
        and obj["kind"].endswith("List")
        and isinstance(obj.get("items"), list)
        and obj.get("apiVersion") in ("v1", None)
    )
