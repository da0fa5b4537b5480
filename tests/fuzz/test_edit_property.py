"""Property: editing a tag changes exactly the tag's bytes, and nothing else in the documents."""

from __future__ import annotations

import copy
import difflib
from typing import Any

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kubepush.images.detect.collect import is_placeholder
from kubepush.images.discover import discover
from kubepush.images.edit import Edit, apply
from kubepush.images.nodes import reads_as_string

TAG = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}", fullmatch=True).filter(lambda t: not is_placeholder(f"x:{t}"))
REPO = st.sampled_from(["nginx", "ghcr.io/acme/app", "registry.example.com:5000/team/svc", "bitnami/redis"])
KEY = st.from_regex(r"[a-z][a-zA-Z0-9]{0,8}", fullmatch=True).filter(
    lambda k: k not in {"image", "images", "tag", "repository", "registry", "digest", "version", "name",
                        "namespace", "y", "n", "yes", "no", "on", "off", "true", "false", "null"}
)
WORD = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True).filter(reads_as_string)
STYLE = st.sampled_from(["", "'", '"'])


def quote(value: str, style: str) -> str:
    return f"{style}{value}{style}"


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    layout = draw(st.sampled_from(["container", "helm", "kustomize"]))
    repo, old = draw(REPO), draw(TAG)
    style = draw(STYLE)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    extras = draw(st.lists(st.tuples(KEY, WORD), max_size=3, unique_by=lambda kv: kv[0]))
    comment = draw(st.sampled_from(["", " # pinned", "  #c"]))
    extra_lines = "".join(f"    {k}: {v}\n" for k, v in extras)
    if layout == "container":
        file = "pod.yaml"
        body = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n"
                f"{extra_lines}    image: {quote(f'{repo}:{old}', style)}{comment}\n")
        path: tuple[Any, ...] = ("spec", "containers", 0, "image")
    elif layout == "helm":
        file = "values.yaml"
        if style == "":
            assume(yaml.safe_load(f"k: {old}")["k"] is not None)  # a null tag would mean "no tag"
        body = f"image:\n  repository: {repo}\n{extra_lines[2:] if extras else ''}  tag: {quote(old, style)}{comment}\n"
        body = body.replace("\n    ", "\n  ")
        path = ("image", "tag")
    else:
        file = "kustomization.yaml"
        if style == "":
            assume(yaml.safe_load(f"k: {old}")["k"] is not None)
        body = f"images:\n- name: {repo}\n{extra_lines.replace('    ', '  ')}  newTag: {quote(old, style)}{comment}\n"
        path = ("images", 0, "newTag")
    if draw(st.booleans()):
        body = "---\nkind: ConfigMap\napiVersion: v1\ndata: {a: b}\n---\n" + body
    if draw(st.booleans()):
        body = body.rstrip("\n")
    text = ("\ufeff" if draw(st.booleans()) else "") + body.replace("\n", newline)
    return {"file": file, "text": text, "old": old, "new": draw(TAG), "path": path, "style": style,
            "layout": layout}


def load(text: str) -> list[Any]:
    return list(yaml.load_all(text.lstrip("\ufeff"), Loader=yaml.CSafeLoader))


def set_path(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


@settings(max_examples=300, deadline=None)
@given(documents())
def test_editing_a_tag_changes_only_the_tag(case: dict[str, Any]) -> None:
    text, old, new = case["text"], case["old"], case["new"]
    result = discover(text.encode("utf-8"), file=case["file"])
    (site,) = result.sites
    assert site.tag == old
    span = site.tag_span
    assert span is not None and text[span[0]:span[1]] == old

    edited = apply(text.encode("utf-8"), [Edit(site, tag=new)], file=case["file"])
    after = edited.new.decode("utf-8")
    if new == old:  # up to date: the same bytes, even for a tag YAML reads as a number
        assert edited.new == text.encode("utf-8") and not edited.changed
        return

    # Exactly the tag's characters changed; quotes may be added around a bare tag that would not be a string.
    quoted = case["layout"] != "container" and case["style"] == "" and not reads_as_string(new)
    low, high = (span[0] - 1, span[1] + 1) if quoted else span
    matcher = difflib.SequenceMatcher(None, text, after, autojunk=False)
    for op, i1, i2, _, _ in matcher.get_opcodes():
        if op != "equal":
            assert low <= i1 and i2 <= high, (op, text[i1:i2], after)
    assert after[: span[0] - (1 if quoted else 0)] == text[: span[0] - (1 if quoted else 0)]
    assert after[len(after) - (len(text) - span[1]) + (1 if quoted else 0):] == text[span[1] + (1 if quoted else 0):]

    # The documents are the same except the tag, which reads back as the exact string.
    expected = copy.deepcopy(load(text))
    doc = expected[-1]
    value = new if case["layout"] != "container" else f"{site.text.rsplit(':', 1)[0]}:{new}"
    set_path(doc, case["path"], value)
    assert load(after) == expected

    # Editing again to the same tag is a no-op.
    (again,) = discover(edited.new, file=case["file"]).sites
    assert again.tag == new
    assert apply(edited.new, [Edit(again, tag=new)], file=case["file"]).new == edited.new
