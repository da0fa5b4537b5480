"""Fuzzing the image-reference parser and the YAML editor on hostile surroundings.

The editor's promise (bump pull requests show one thing): only the tag's bytes
change, and the file still reads as the same documents except that tag. The
surroundings come from the YAML fuzzer's generator, so anchors, flow style,
comments, tabs, CRLF, a BOM and odd scalars sit next to the image.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import oracles, yamlgen

FUZZ = settings(max_examples=oracles.examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])

IMAGES = st.sampled_from(["nginx", "nginx:1.25", "ghcr.io/acme/app:v1.2.3", "localhost:5000/a/b:1",
                          "repo@sha256:" + "a" * 64, "x:1.10", "x:007", "bitnami/redis:7.2-debian-12"])
TAGS = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
QUOTES = st.sampled_from(["", "'", '"'])


@st.composite
def manifests(draw: st.DrawFn) -> str:
    """A Pod whose container image sits among generated neighbours, in block or flow style."""
    quote = draw(QUOTES)
    image = f"{quote}{draw(IMAGES)}{quote}"
    neighbour = draw(yamlgen.node(2, 4))
    comment = draw(st.sampled_from(yamlgen.COMMENTS))
    if draw(st.booleans()):
        container = f"  - name: c\n    extra:{neighbour}\n    image: {image}{comment}\n"
    else:
        container = f"  - {{name: c, image: {image}, ports: [{{containerPort: 80}}]}}{comment}\n"
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n" + container
    before = draw(st.sampled_from(["", "---\n", "# c\n---\n"]))
    if draw(st.booleans()):
        before += draw(yamlgen.document()).rstrip("\n") + "\n---\n"
    text = before + text
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    return ("\ufeff" if draw(st.integers(0, 5)) == 0 else "") + text


@FUZZ
@given(manifests(), TAGS)
def test_editor_changes_only_the_tag(text: str, tag: str) -> None:
    oracles.edit_changes_only_the_tag(text.encode("utf-8"), tag)


@FUZZ
@given(yamlgen.stream(), TAGS)
def test_editor_on_arbitrary_yaml_never_raises(text: str, tag: str) -> None:
    oracles.edit_changes_only_the_tag(text.encode("utf-8"), tag)


def test_editor_fuzz_reaches_edits() -> None:
    """The property is vacuous unless most generated manifests really get edited."""
    from hypothesis import find

    find(st.tuples(manifests(), TAGS),
         lambda case: "&" in case[0] and oracles.edit_changes_only_the_tag(case[0].encode("utf-8"), case[1]) == 1,
         settings=settings(max_examples=2000, deadline=None, database=None))


@FUZZ
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
       | st.from_regex(r"[a-z0-9.:/@_\-\[\]]{0,40}(:[\w.-]{0,130})?(@sha256:[0-9a-f]{60,66})?", fullmatch=True))
def test_reference_parser_never_raises(text: str) -> None:
    oracles.reference_parses_or_says_why(text)
