"""The definitions reader gives what parsing the whole file gives, for every bundled file and
for layouts it does not expect (which it reads whole)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from kubepush.validate.definitions import Definitions
from kubepush.validate.schemas import _schema_root, bundled_versions


def _kinds_of(defs: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    out = {}
    for name, definition in defs.items():
        for gvk in definition.get("x-kubernetes-group-version-kind", ()):
            out[(gvk["group"], gvk["version"], gvk["kind"])] = name
    return out


def _assert_same(data: bytes) -> Definitions:
    full = orjson.loads(data)["$defs"]
    read = Definitions(data)
    assert read.kinds() == _kinds_of(full)
    assert list(read) == list(full)
    assert len(read) == len(full)
    assert {name: read[name] for name in read} == full
    return read


@pytest.mark.parametrize("folder", [f"v{v}-local{s}" for v in bundled_versions() for s in ("", "-strict")])
def test_every_bundled_file_reads_as_when_parsed_whole(folder: str) -> None:
    read = _assert_same((_schema_root() / folder / "_definitions.json").read_bytes())
    assert read._all is None  # by span: the bundled files have the layout it expects


DEFS = {
    "$defs": {
        "a.v1.Thing": {"type": "object", "properties": {"spec": {"$ref": "#/$defs/a.v1.Spec"}},
                       "x-kubernetes-group-version-kind": [{"group": "a", "version": "v1", "kind": "Thing"}]},
        "a.v1.Spec": {"type": "object", "properties": {"x-kubernetes-group-version-kind": {"type": "string"}}},
        "a.v2.Thing": {"x-kubernetes-group-version-kind": [{"group": "a", "version": "v1", "kind": "Thing"},
                                                           {"group": "a", "version": "v2", "kind": "Thing"}]},
    },
    "$id": "https://example.com/_definitions.json",
}


def test_a_pretty_printed_file_is_read_by_span_with_later_definitions_winning_a_kind() -> None:
    read = _assert_same(orjson.dumps(DEFS, option=orjson.OPT_INDENT_2))
    assert read._all is None
    assert read.kinds()[("a", "v1", "Thing")] == "a.v2.Thing"


@pytest.mark.parametrize("data", [
    orjson.dumps(DEFS),  # minified
    orjson.dumps({"$defs": {'we"ird': {"type": "string"}, **DEFS["$defs"]}}, option=orjson.OPT_INDENT_2),
    orjson.dumps({"$id": "x", "nested": {"$defs": {"b.v1.X": {}}}, **DEFS}, option=orjson.OPT_INDENT_2),
    orjson.dumps({"$defs": {"e.v1.Empty": {"x-kubernetes-group-version-kind": []}, **DEFS["$defs"]}},
                 option=orjson.OPT_INDENT_2),
], ids=["minified", "escaped-key", "defs-not-first", "empty-kind-list"])
def test_an_unexpected_layout_reads_as_when_parsed_whole(data: bytes) -> None:
    _assert_same(data)


def test_a_definition_whose_span_does_not_parse_is_read_from_the_whole_file() -> None:
    """A member of a definition laid out at the definitions' indentation (no pretty-printer does
    this) cuts that definition's span short: it no longer parses, and the whole file is read."""
    text = orjson.dumps(DEFS, option=orjson.OPT_INDENT_2).decode()
    data = text.replace('"a.v2.Thing": {', '"a.v2.Thing": {"z": 1,\n    "": 2,', 1).encode()
    full = orjson.loads(data)["$defs"]
    read = Definitions(data)
    assert read["a.v2.Thing"] == full["a.v2.Thing"]
    assert {name: read[name] for name in full} == full
