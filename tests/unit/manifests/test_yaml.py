"""Kubernetes YAML semantics: the reference parser, the fast path, and their agreement."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubepush.manifests import fastyaml, yaml11
from kubepush.manifests.documents import Document, parse_text
from kubepush.model import Finding
from tests.support.external_data import require


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True), ("Yes", True), ("on", True), ("ON", True), ("y", True), ("true", True),
        ("no", False), ("off", False), ("n", False), ("False", False),
        ("~", None), ("null", None), ("", None),
        ("0755", 0o755), ("0o17", 15), ("0x1F", 31), ("0b101", 5), ("1_000", 1000), ("-12", -12), ("+3", 3),
        ("08", 8.0), ("1.5", 1.5), ("1e3", 1000.0), (".5", 0.5),
        ("2001-12-14", "2001-12-14"), ("1:20", "1:20"), ("=", "="), ("1.2.3", "1.2.3"), ("0.33", 0.33),
    ],
)
def test_plain_scalars_resolve_like_go_yaml_v2(text: str, expected: object) -> None:
    value = yaml11.resolve_plain(text) if text else yaml11.resolve_plain("")
    assert value == expected and type(value) is type(expected)


def test_special_floats() -> None:
    assert yaml11.resolve_plain(".inf") == math.inf
    assert yaml11.resolve_plain("-.Inf") == -math.inf
    assert math.isnan(yaml11.resolve_plain(".NaN"))


def test_quoted_scalars_stay_strings() -> None:
    doc = yaml11.parse_document("a: 'yes'\nb: \"0755\"\nc: !!str on\nd: |\n  on\n").value
    assert doc == {"a": "yes", "b": "0755", "c": "on", "d": "on\n"}


def test_non_string_keys_become_json_keys() -> None:
    assert yaml11.parse_document("on: push\n1: one\nnull: x\n1.5: f\n").value == {
        "true": "push", "1": "one", "null": "x", "1.5": "f"
    }


def test_merge_keys_explicit_wins() -> None:
    doc = yaml11.parse_document("base: &b {x: 1, z: 0}\nd:\n  <<: *b\n  z: 2\n").value
    assert doc["d"] == {"x": 1, "z": 2}


def test_duplicate_key_in_a_later_document_names_both_lines_of_the_file() -> None:
    """The line of the first occurrence is a line of the file, like the finding's own line."""
    text = "kind: A\n---\nkind: B\ndata:\n  a: '1'\n  a: '2'\n"
    (finding,) = [f for f in parse_text(text, "m.yaml") if isinstance(f, Finding)]
    assert (finding.line, finding.column) == (6, 3)
    assert "first defined at line 5" in finding.message


def test_duplicate_key_is_an_error_at_the_second_occurrence() -> None:
    with pytest.raises(yaml11.YAMLError) as info:
        yaml11.parse_document("metadata:\n  name: a\n  namespace: x\n  namespace: y\n", line_offset=10)
    assert info.value.line == 14 and info.value.column == 3
    assert 'duplicate key "namespace"' in info.value.message and "line 13" in info.value.message


def test_alias_bomb_is_refused_fast() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    start = time.perf_counter()
    with pytest.raises(yaml11.YAMLError, match="alias bomb"):
        yaml11.parse_document("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 5


def test_recursive_alias_is_an_error() -> None:
    with pytest.raises(yaml11.YAMLError):
        yaml11.parse_document("a: &x\n  - *x\n")


def test_moderate_aliases_are_allowed() -> None:
    doc = yaml11.parse_document("x: &p {cpu: 1}\nrequests: *p\nlimits: *p\n").value
    assert doc["requests"] == doc["limits"] == {"cpu": 1}


def test_split_documents_keeps_lines_and_skips_empty() -> None:
    text = "# header\n---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n---\nc: 3"
    docs = list(fastyaml.split_documents(text))
    assert [fastyaml.parse(d) for d in docs] == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert [d.index for d in docs] == [0, 1, 2]
    assert [d.line_offset for d in docs] == [1, 5, 8]


def test_block_scalar_with_marker_like_content_is_not_split() -> None:
    text = "a: |\n  ---\n  text\nb: 1\n"
    assert [fastyaml.parse(d) for d in fastyaml.split_documents(text)] == [{"a": "---\ntext\n", "b": 1}]


TRICKY = st.sampled_from(
    ["yes", "no", "on", "off", "y", "n", "0755", "08", "1_000", "0b11", "0x1F", "~", "null", "true", "1e3",
     ".inf", "2001-12-14", "=", "<<", "1.0", "0.33", "v1.2", "abc", "-1", "+1", "007", "1:20", "0o7"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["k", "on", "1", "y", "name", "0755"]), TRICKY), min_size=1, max_size=6),
       st.sampled_from(["block", "flow", "seq"]))
def test_fast_path_agrees_with_reference(pairs: list[tuple[str, str]], style: str) -> None:
    keys = list(dict.fromkeys(k for k, _ in pairs))
    values = [v for _, v in pairs][: len(keys)]
    if style == "block":
        text = "".join(f"{k}: {v}\n" for k, v in zip(keys, values))
    elif style == "flow":
        text = "m: {" + ", ".join(f"{k}: {v}" for k, v in zip(keys, values) if v != "<<") + "}\n"
    else:
        text = "s:\n" + "".join(f"- {v}\n" for v in values if v != "<<")
    raw = next(fastyaml.split_documents(text))
    try:
        expected = yaml11.parse_document(text).value
    except yaml11.YAMLError:
        with pytest.raises(yaml11.YAMLError):
            fastyaml.parse(raw)
        return
    assert repr(fastyaml.parse(raw)) == repr(expected)


def _corpus_files() -> list[Path]:
    return sorted(require("corpus/real").rglob("*.y*ml")) + sorted(require("corpus/mutated").glob("*.yaml"))


def test_fast_path_agrees_with_reference_on_the_whole_corpus() -> None:
    files = _corpus_files()
    assert len(files) > 500
    compared = 0
    for path in files:
        for raw in fastyaml.split_documents(path.read_text(encoding="utf-8")):
            try:
                expected = yaml11.parse_document(raw.text, raw.line_offset).value
            except yaml11.YAMLError:
                continue
            assert repr(fastyaml.parse(raw)) == repr(expected), f"{path} document {raw.index}"
            compared += 1
    assert compared > 600


@pytest.mark.parametrize(
    ("name", "line", "needle"),
    [
        ("27-dupkey-image.yaml", 30, 'duplicate key "image"'),
        ("28-dupkey-env-block.yaml", 109, 'duplicate key "env"'),
        ("29-dupkey-namespace.yaml", 13, 'duplicate key "namespace"'),
        ("45-tab-indentation.yaml", 13, "tab"),
        ("47-unterminated-double-quote.yaml", 51, "unterminated quoted string"),
        ("48-unterminated-single-quote.yaml", 8, "unterminated quoted string"),
    ],
)
def test_yaml_mistakes_point_at_the_line_a_human_fixes(name: str, line: int, needle: str) -> None:
    items = list(parse_text((require("corpus/mutated") / name).read_text(encoding="utf-8"), name))
    errors = [i for i in items if isinstance(i, Finding)]
    assert len(errors) == 1, errors
    assert errors[0].line == line and needle in errors[0].message and errors[0].rule == "yaml-syntax"


def test_tab_after_colon_is_legal() -> None:
    items = list(parse_text((require("corpus/mutated") / "46-tab-after-colon.yaml").read_text(encoding="utf-8"), "x"))
    assert all(isinstance(i, Document) for i in items)
    container = items[0].obj["spec"]["template"]["spec"]["containers"]
    assert any(c["image"].startswith("quay.io/brancz/kube-rbac-proxy") for c in container)


def test_one_broken_document_does_not_hide_the_others() -> None:
    text = "kind: A\n---\nkind: 'B\n---\nkind: C\n"
    items = list(parse_text(text, "f.yaml"))
    assert [type(i).__name__ for i in items] == ["Document", "Finding", "Document"]
    assert items[1].line == 3 and items[1].document == 1


def test_kind_list_is_expanded_and_located_through_items() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- kind: A\n  metadata: {name: a}\n- kind: B\n  metadata:\n    name: b\n"
    docs = [d for d in parse_text(text, "l.yaml") if isinstance(d, Document)]
    assert [d.obj["kind"] for d in docs] == ["A", "B"]
    assert docs[1].locate(("metadata", "name")) == (8, 5)


def test_locate_missing_field_points_at_parent_key() -> None:
    text = "---\nkind: Deployment\nspec:\n  template: {}\n"
    doc = next(d for d in parse_text(text, "d.yaml") if isinstance(d, Document))
    assert doc.locate(("spec", "selector")) == (3, 1)
    assert doc.locate(("spec", "template")) == (4, 3)
