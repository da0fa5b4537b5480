"""manifests/yaml11.py: the reference parser resolves YAML the way Kubernetes (go-yaml v2, YAML 1.1) does."""

from __future__ import annotations

import math
import time

import pytest

from kubepush.manifests import yaml11


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
