"""validate/rules (the package): the rule registry, check_document over valid, disabled and malformed
input, and arbitrary shapes that must never crash a rule. Each rule module's own tests, with good and
bad input, the rule id, the message and the exact path of the offending node, are in test_<module>.py
beside this file."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubepush.model import ObjectRef
from kubepush.validate.rules import DEFAULT_ENABLED, RULES
from kubepush.validate.rules.kinds import KIND_CHECKS
from tests.unit.validate.rules.objects import deployment, only, run

# --- registry -------------------------------------------------------------------------


def test_registry_ids_descriptions_and_help():
    assert {
        "deprecated-api",
        "removed-api",
        "unknown-api-version",
        "duplicate-resource",
        "duplicate-list-key",
        "missing-name",
        "invalid-name",
        "invalid-enum",
        "invalid-quantity",
        "invalid-port",
        "missing-image",
        "selector-mismatch",
    } <= set(RULES)
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and re.fullmatch(r"[a-z]+(-[a-z]+)*", rule_id)
        assert rule.description and "\n" not in rule.description and len(rule.description) < 120
        assert len(rule.help) > 40 and rule.default_enabled
    assert DEFAULT_ENABLED == frozenset(RULES)


def test_valid_documents_have_no_findings():
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parents[4] / "benchmarks" / "rules.py"
    spec = importlib.util.spec_from_file_location("kubepush_rules_benchmark", script)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for doc in bench.generate(40):  # the benchmark's realistic mix
        assert run(doc) == [], doc["kind"]


def test_disabled_rules_are_not_reported_and_others_still_are():
    doc = deployment(imagePullPolicy="always", env=[{"name": "A"}, {"name": "A"}])
    assert {f.rule for f in run(doc)} == {"invalid-enum", "duplicate-list-key"}
    assert {f.rule for f in run(doc, enabled=frozenset({"duplicate-list-key"}))} == {"duplicate-list-key"}
    assert run(doc, enabled=frozenset()) == []


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        "text",
        {},
        {"kind": "Deployment"},
        {"apiVersion": ["x"], "kind": "Pod"},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": "oops", "spec": []},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "x", "labels": ["a"]},
            "spec": {
                "selector": {"matchExpressions": [{"key": ["k"], "operator": "In", "values": "v"}]},
                "template": {"metadata": {"labels": None}, "spec": {"containers": ["c", {"env": [1, {"name": {}}]}]}},
            },
        },
    ],
)
def test_malformed_documents_do_not_crash(doc):
    findings = run(doc)
    assert all(f.rule in RULES for f in findings)


def test_finding_carries_object_and_leaves_location_to_the_caller():
    doc = deployment(imagePullPolicy="never")
    doc["metadata"]["namespace"] = "shop"
    f = only(doc, "invalid-enum")
    assert f.object == ObjectRef("apps/v1", "Deployment", "shop", "web")
    assert (f.file, f.line, f.column, f.document) == ("", 0, 0, 0)


# --- robustness ----------------------------------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=True), st.text(max_size=8))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=12,
)
_FIELDS = [
    "metadata",
    "spec",
    "template",
    "containers",
    "ports",
    "env",
    "resources",
    "requests",
    "selector",
    "matchLabels",
    "labels",
    "name",
    "image",
    "protocol",
    "port",
    "targetPort",
    "items",
    "jobTemplate",
]


def _graft(doc, path, value):
    """Put ``value`` at ``path`` (creating mappings on the way), to reach deep into known shapes."""
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node.get(key, {}), dict) else {}
    node[path[-1]] = value
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(KIND_CHECKS) + [("v1", "List"), ("example.com/v1", "Thing")]),
    path=st.lists(st.sampled_from(_FIELDS), min_size=1, max_size=6),
    value=_values,
)
def test_arbitrary_shapes_never_crash(kind, path, value):
    doc = _graft({"apiVersion": kind[0], "kind": kind[1], "metadata": {"name": "x"}}, path, value)
    doc = _graft(doc, ["spec", "template", "spec"] + path[:2], value)
    for finding in run(doc):
        assert finding.rule in RULES and isinstance(finding.message, str)
