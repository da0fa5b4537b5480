"""The properties every fuzzer checks, in one place.

The hypothesis tests (tests/fuzz/test_*.py), the atheris harness
(tests/fuzz/harness.py) and the regression corpora all call these functions, so
a crash found by one is reproduced by the others with the same verdict. Each
oracle raises ``AssertionError`` for a broken property; any other exception is
itself the bug (a traceback on hostile input).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from kubepush.images.discover import discover
from kubepush.images.edit import Edit, EditError, apply
from kubepush.images.reference import InvalidReference, parse_reference
from kubepush.manifests import fastyaml, yaml11
from kubepush.manifests.documents import Document, parse_text
from kubepush.manifests.errors import YAMLError
from kubepush.model import Finding


def examples(default: int) -> int:
    """Examples per hypothesis property: bounded in CI, ``KUBEPUSH_FUZZ_EXAMPLES=20000`` for a deep run."""
    return int(os.environ.get("KUBEPUSH_FUZZ_EXAMPLES", default))


def _outcome(parse: Any) -> tuple[str, str]:
    """('ok', repr) or ('error', ''): repr tells 1 from 1.0 from True, and NaN equals itself."""
    try:
        return ("ok", repr(parse()))
    except YAMLError as exc:
        assert exc.message and exc.line >= 0, exc
        return ("error", "")


def yaml_paths_agree(text: str) -> int:
    """The fast and the exact path give the same value (or both refuse) for every document.

    Returns the number of documents both accepted, so callers can tell a
    generator that only produces garbage from one that exercises the property.
    """
    accepted = 0
    plain = fastyaml.plain(text)  # what the loader asks of a whole file before its documents
    for raw in fastyaml.split_documents(text):
        expected = _outcome(lambda raw=raw: yaml11.parse_document(raw.text, raw.line_offset).value)
        got = _outcome(lambda raw=raw: fastyaml.parse(raw))
        assert got == expected, f"document {raw.index} {raw.text!r}: fast {got[1] or 'error'} != exact {expected[1] or 'error'}"
        if plain:
            assert _outcome(lambda raw=raw: fastyaml.parse(raw, plain=True)) == expected, f"plain stream {text!r}"
        accepted += expected[0] == "ok"
    return accepted


def loader_never_crashes(text: str) -> list[Document | Finding]:
    """The loader turns any text into documents and findings, never an exception."""
    items = list(parse_text(text, "<fuzz>"))
    for item in items:
        if isinstance(item, Finding):
            assert item.rule == "yaml-syntax" and item.message and item.line >= 1, item
    return items


@lru_cache(maxsize=1)
def checker() -> Any:
    """One warm validator (schemas load once per process)."""
    from kubepush.validate import engine
    from kubepush.validate.schemas import resolve_version

    return engine.Checker(engine.Options(kubernetes_version=resolve_version(None)))


def validator_never_crashes(documents: list[Document | Finding]) -> int:
    """Every document gets findings (or none) with a message and a position, never a traceback."""
    found = 0
    for doc in documents:
        if not isinstance(doc, Document):
            continue
        for finding in checker().check(doc):
            assert finding.message and finding.rule, finding
            found += 1
    return found


def reference_parses_or_says_why(text: str) -> None:
    """A reference either parses and round-trips through its canonical forms, or is refused with a reason."""
    try:
        ref = parse_reference(text)
    except InvalidReference as exc:
        assert exc.reason and str(exc), text
        return
    for form in (ref.canonical, ref.familiar, ref.original):
        assert parse_reference(form) == ref, (text, form)


def _compose(text: str) -> list[Node]:
    """The node trees as libyaml composes them: styles and tags kept, nothing resolved away."""
    return list(yaml.compose_all(text.lstrip("\ufeff"), Loader=yaml.CSafeLoader))


def _changed_scalars(a: Any, b: Any, seen: set[int]) -> list[tuple[ScalarNode, ScalarNode]]:
    """Scalars that differ between two node trees, which must otherwise have the same shape."""
    if id(a) in seen:
        return []
    seen.add(id(a))
    assert type(a) is type(b), (a, b)
    if isinstance(a, ScalarNode):
        return [] if (a.value, a.tag, a.style) == (b.value, b.tag, b.style) else [(a, b)]
    assert a.tag == b.tag and len(a.value) == len(b.value), (a, b)
    if isinstance(a, SequenceNode):
        return [d for x, y in zip(a.value, b.value) for d in _changed_scalars(x, y, seen)]
    return [d for (ka, va), (kb, vb) in zip(a.value, b.value)
            for d in _changed_scalars(ka, kb, seen) + _changed_scalars(va, vb, seen)]


def edit_changes_only_the_tag(data: bytes, new_tag: str, file: str = "pod.yaml") -> int:
    """Editing one site's tag changes only bytes inside that tag, and the documents only there.

    Returns the number of edits made (0 when the input had nothing editable or
    the editor refused with a reason, which is allowed: refusing is safe).
    """
    made = 0
    for site in discover(data, file=file).sites:
        scalar = site.field("tag") or site.field("ref")
        span = site.tag_span
        if site.tag is None or span is None or scalar is None or scalar.content is None:
            continue
        try:
            edited = apply(data, [Edit(site, tag=new_tag)], file=file)
        except EditError as exc:
            assert str(exc), site
            continue
        if site.tag == new_tag:
            assert edited.new == data and not edited.changed, site
            continue
        text, after = data.decode("utf-8"), edited.new.decode("utf-8")
        low, high = span
        # Bytes outside the tag are untouched; a bare tag may gain quotes so it stays a string.
        # An empty value (``tag:`` at the end of a line) may gain the space after its colon too.
        quotes = ("", "'", '"') if scalar.style == "" else ("",)
        spaces = ("", " ") if low == high else ("",)
        assert after in {text[:low] + sp + q + new_tag + q + text[high:] for q in quotes for sp in spaces}, (text, after)
        # The documents are the same except for that one scalar, which reads back as the new tag.
        before_nodes, after_nodes = _compose(text), _compose(after)
        assert len(before_nodes) == len(after_nodes)
        changed = [d for x, y in zip(before_nodes, after_nodes) for d in _changed_scalars(x, y, set())]
        offset = scalar.content[0]
        expected = scalar.value[: low - offset] + new_tag + scalar.value[high - offset:]
        assert [new.value for _, new in changed] == [expected], (changed, expected)
        made += 1
    return made
