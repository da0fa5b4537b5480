"""manifests/fastyaml.py: splitting a stream into documents, and the fast path, which must agree
with the YAML 1.1 reference parser (yaml11) on every input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubepush.manifests import fastyaml, yaml11
from tests.support.external_data import require


def test_split_documents_keeps_lines_and_skips_empty() -> None:
    text = "# header\n---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n---\nc: 3"
    docs = list(fastyaml.split_documents(text))
    assert [fastyaml.parse(d) for d in docs] == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert [d.index for d in docs] == [0, 1, 2]
    assert [d.line_offset for d in docs] == [1, 5, 8]


def test_block_scalar_with_marker_like_content_is_not_split() -> None:
    text = "a: |\n  ---\n  text\nb: 1\n"
    assert [fastyaml.parse(d) for d in fastyaml.split_documents(text)] == [{"a": "---\ntext\n", "b": 1}]


def test_a_zero_padded_number_inside_a_name_takes_the_fast_path_and_a_signed_octal_does_not() -> None:
    """``web-01`` is a string to every YAML parser; ``-012`` is YAML 1.1's octal -10, yaml-rs' -12."""
    fast = "metadata:\n  name: web-01\n  labels: {tier: db-007, m: x-00}\n"
    assert fastyaml._fast(fast) == {"metadata": {"name": "web-01", "labels": {"tier": "db-007", "m": "x-00"}}}
    for risky in ("a: -012\n", "a: +012\n", "a: [-012]\n", "a: {b: -0b1}\n", "a:\n- -012\n"):
        assert fastyaml._fast(risky) is fastyaml._UNSAFE, risky
        assert fastyaml.parse(next(fastyaml.split_documents(risky))) == yaml11.parse_document(risky).value


TRICKY = st.sampled_from(
    ["yes", "no", "on", "off", "y", "n", "0755", "08", "1_000", "0b11", "0x1F", "~", "null", "true", "1e3",
     ".inf", "2001-12-14", "=", "<<", "1.0", "0.33", "v1.2", "abc", "-1", "+1", "007", "1:20", "0o7",
     "-0755", "+007", "-0b11", "--017", "cm-0001", "web-08", "a+0b1", "x-0_1"]
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


def test_a_stream_is_plain_only_when_none_of_its_documents_needs_a_text_check() -> None:
    assert fastyaml.plain("a: 1\n---\nb: web-01\n")
    assert not fastyaml.plain("a: 1\n---\nb: 0755\n")  # one document's leading zero
    assert not fastyaml.plain("a: 1\n---\nb: \x07\n")  # a character libyaml refuses
    # after '...' a document's first line is any line: '0: x' is a risk only as a document's start
    stream = "a: 1\n...\n0: x\n"
    assert not fastyaml._risky(stream) and not fastyaml.plain(stream)
    assert [fastyaml.parse(raw) for raw in fastyaml.split_documents(stream)] == [{"a": 1}, {"0": "x"}]
