"""manifests/documents.py: a file becomes located documents and findings; a broken document hides
no other, and each mistake is placed on the line a human fixes."""

from __future__ import annotations

import pytest

from kubepush.manifests.documents import Document, parse_text
from kubepush.model import Finding
from tests.support.external_data import require


def test_duplicate_key_in_a_later_document_names_both_lines_of_the_file() -> None:
    """The line of the first occurrence is a line of the file, like the finding's own line."""
    text = "kind: A\n---\nkind: B\ndata:\n  a: '1'\n  a: '2'\n"
    (finding,) = [f for f in parse_text(text, "m.yaml") if isinstance(f, Finding)]
    assert (finding.line, finding.column) == (6, 3)
    assert "first defined at line 5" in finding.message


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


def test_text_with_undecodable_bytes_is_a_finding_not_a_crash() -> None:
    """Bytes decoded with surrogateescape (how Python reads a pipe that is not UTF-8) reach the parser as
    lone surrogates, which libyaml cannot encode: one finding at the bad character, the next document kept."""
    text = b"kind: ConfigMap\ndata:\n  k: caf\xe9\n---\nkind: Secret\n".decode("utf-8", "surrogateescape")
    broken, doc = parse_text(text, "in.yaml")
    assert isinstance(broken, Finding) and isinstance(doc, Document)
    assert (broken.rule, broken.line, broken.column) == ("yaml-syntax", 3, 9)
    assert "invalid UTF-8 (byte 0xe9)" in broken.message and doc.obj == {"kind": "Secret"}
