"""Fuzzing the validator with hostile objects and hostile CustomResourceDefinitions.

A CRD in the config repo is input like any manifest: a typo in its schema (a bad
regex, ``type: '*'``, ``properties: 5``) must become a finding that names it,
never a traceback. Objects get hostile values at random paths (wrong types, NaN,
huge numbers, deep nesting, long strings); every document must still get its
findings, each with a rule and a message.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz import oracles
from tests.support.kubepush_cli import assert_no_traceback, kubepush

FUZZ = settings(max_examples=oracles.examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])

CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "foos.ex.com"},
       "spec": {"group": "ex.com", "scope": "Namespaced", "names": {"kind": "Foo", "plural": "foos"},
                "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                    "type": "object", "properties": {"spec": {"type": "object", "properties": {
                        "a": {"type": "string", "pattern": "^x"}, "n": {"type": "integer", "minimum": 0},
                        "q": {"x-kubernetes-int-or-string": True, "nullable": True},
                        "l": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}},
                    }}}}}}]}}
CR = {"apiVersion": "ex.com/v1", "kind": "Foo", "metadata": {"name": "f", "namespace": "d"},
      "spec": {"a": "xy", "n": 3, "q": "50%", "l": [{"k": "v"}]}}
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
                  "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
                      "name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
                      "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}},
                      "env": [{"name": "A", "value": "1"}]}]}}}}

HOSTILE = st.sampled_from([
    None, 0, -1, 2**63, -(2**63) - 1, 1e308, float("nan"), float("inf"), True, "", "x", "*", "(", "a" * 5000,
    [], {}, [None], {"": None}, {"type": "object"}, {"$ref": "#/nowhere"}, {"type": ["string", 3]},
    {"properties": None}, {"items": 5}, {"pattern": "("}, {"enum": []}, {"required": "spec"},
    {"type": "integer", "maximum": "x"}, {"additionalProperties": []}, {"anyOf": {}}, "\x00\ud7ff", "0755",
]) | st.recursive(st.none(), lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner,
                                                                                             max_size=2), max_leaves=30)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        out += [p for k, v in obj.items() for p in _paths(v, (*prefix, k))]
    elif isinstance(obj, list):
        out += [p for i, v in enumerate(obj) for p in _paths(v, (*prefix, i))]
    return out


@st.composite
def mutated(draw: st.DrawFn, original: dict[str, Any]) -> dict[str, Any]:
    obj = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(obj)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = obj
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = copy.deepcopy(draw(HOSTILE))  # never the shared constant itself
    return obj


def _stream(*objs: Any) -> str:
    return "".join("---\n" + yaml.safe_dump(o, allow_unicode=True) for o in objs)


@FUZZ
@given(mutated(CRD), mutated(CR))
def test_hostile_crds_and_custom_resources_never_crash_the_validator(crd: dict[str, Any], cr: dict[str, Any]) -> None:
    from kubepush.validate import engine
    from kubepush.validate.schemas import resolve_version

    checker = engine.Checker(engine.Options(kubernetes_version=resolve_version(None)), [crd])
    for doc in oracles.loader_never_crashes(_stream(cr, CR)):
        if hasattr(doc, "obj"):
            assert all(f.rule and f.message for f in checker.check(doc))


@FUZZ
@given(mutated(DEPLOYMENT))
def test_hostile_values_in_a_deployment_never_crash_the_validator(obj: dict[str, Any]) -> None:
    oracles.validator_never_crashes(oracles.loader_never_crashes(_stream(obj)))


def test_a_crd_with_an_invalid_schema_is_a_finding_naming_it(tmp_path: Path) -> None:
    """Regression: a bad regex in a CRD's schema was a jsonschema-rs ValidationError traceback."""
    crd = copy.deepcopy(CRD)
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["a"]["pattern"] = "("
    (tmp_path / "m.yaml").write_text(_stream(crd, CR))
    proc = kubepush("validate", str(tmp_path / "m.yaml"))
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    assert "CustomResourceDefinition" in proc.stdout and "Foo ex.com/v1" in proc.stdout and "regex" in proc.stdout
