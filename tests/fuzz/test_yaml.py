"""Fuzzing the YAML loader: the fast and exact paths agree, and nothing raises.

The differential property is the valuable one: the fast path (yaml-rs) must
return exactly what the reference (libyaml's composer + go-yaml resolution)
returns, for every document the reference accepts, and refuse what it refuses.
Inputs that once broke it are kept in tests/fuzz/corpus/yaml/ and replayed here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz import oracles, yamlgen

CORPUS = Path(__file__).parent / "corpus" / "yaml"
FUZZ = settings(max_examples=oracles.examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("path", sorted(CORPUS.iterdir()), ids=lambda p: p.name)
def test_regression_corpus(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")
    oracles.yaml_paths_agree(text)
    oracles.validator_never_crashes(oracles.loader_never_crashes(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("k: _1\n", {"k": "_1"}),  # go-yaml: '_' cannot start a number
        ("k: 0_10\n", {"k": 8}),  # octal once the '_' is gone
        ("k: 0_84\n", {"k": 84.0}),  # not octal, so a float, like 08
        ("\ufeffkind: x\n", {"kind": "x"}),  # a BOM is not part of the first key
        ("k: [a, ?xx]\n", {"k": ["a", {"xx": None}]}),  # '?' is a complex key in flow, not text
        ("&xx: v\n", {"null": "v"}),  # an anchored empty key, not an anchored value
    ],
)
def test_fast_path_regressions_read_like_kubectl(text: str, expected: object) -> None:
    from kubepush.manifests import fastyaml

    (raw,) = fastyaml.split_documents(text)
    assert repr(fastyaml.parse(raw)) == repr(expected)


@pytest.mark.parametrize("text", ["k: {a: |- x}\n", "k: [|2 x]\n", "-\tabc\n", "a: !!int 0x1Fzz\n", "a: !!float abc\n",
                                  "{:: 0}\n", "k: a\x10b\n", "k: {a: :x}\n", "&a\nk: *a\n", "k: [!x]\n"])
def test_what_kubectl_refuses_is_a_finding_not_a_value(text: str) -> None:
    (finding,) = oracles.loader_never_crashes(text)
    assert finding.rule == "yaml-syntax" and finding.line == 1


@FUZZ
@given(yamlgen.stream())
def test_fast_and_exact_paths_agree(text: str) -> None:
    oracles.yaml_paths_agree(text)


@FUZZ
@given(yamlgen.stream())
def test_loader_and_validator_never_raise(text: str) -> None:
    oracles.validator_never_crashes(oracles.loader_never_crashes(text))


def test_generator_reaches_accepted_documents() -> None:
    """The differential property means little if most generated documents are refused by both."""
    from hypothesis import find

    find(yamlgen.stream(), lambda t: oracles.yaml_paths_agree(t) >= 2 and "&" in t and "\r\n" in t,
         settings=settings(max_examples=2000, deadline=None, database=None))
