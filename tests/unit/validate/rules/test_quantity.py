"""validate/rules/quantity.py: invalid-quantity and requests-exceed-limits, quantities parsed as the API server does."""

from __future__ import annotations

import pytest

from kubepush.model import Severity
from kubepush.validate.rules.quantity import parse_quantity
from tests.unit.validate.rules.objects import C0, deployment, only, run


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("100m", "0.1"),
        ("1Gi", str(2**30)),
        ("1e3", "1000"),
        ("0.5", "0.5"),
        ("1E3", "1000"),
        ("1E", str(10**18)),
        (".5", "0.5"),
        ("5.", "5"),
        ("+1", "1"),
        ("-1", "-1"),
        ("1Ki", "1024"),
        ("250u", "0.00025"),
        ("1e-3", "0.001"),
        (2, "2"),
        (0.5, "0.5"),
        (" 1Gi ", str(2**30)),
    ],
)
def test_quantity_grammar_accepts(text, value):
    from decimal import Decimal

    assert parse_quantity(text) == Decimal(value)


@pytest.mark.parametrize(
    "text", ["1GB", "1.5.0", "1ki", "1K", "1e", "1e1.5", ".", "", "Gi", "1 Gi", "1Mb", "one", True, None, [1]]
)
def test_quantity_grammar_rejects(text):
    assert parse_quantity(text) is None


def test_invalid_quantities_in_resources():
    doc = deployment(resources={"requests": {"memory": "1GB", "cpu": "-1"}, "limits": {"cpu": 1, "memory": "128m"}})
    found = {f.path: f for f in run(doc)}
    bad = found[C0 + ("resources", "requests", "memory")]
    assert bad.rule == "invalid-quantity" and '"1GB" is not a valid quantity' in bad.message
    assert bad.hint.startswith('did you mean "1G" or "1Gi"?')
    neg = found[C0 + ("resources", "requests", "cpu")]
    assert neg.rule == "invalid-quantity" and "must be greater than or equal to 0" in neg.message
    milli = found[C0 + ("resources", "limits", "memory")]
    assert milli.severity is Severity.WARNING and '"128Mi"' in milli.hint
    assert len(found) == 3


def test_requests_exceed_limits():
    doc = deployment(resources={"requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"cpu": "1500m", "memory": "1Gi"}})
    f = only(doc, "requests-exceed-limits")
    assert (
        f.path == C0 + ("resources", "requests", "cpu")
        and "must be less than or equal to cpu limit of 1500m" in f.message
    )


def test_storage_and_quota_quantities():
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "p"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "0"}}},
    }
    assert "must be greater than zero" in only(pvc, "invalid-quantity").message
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q"},
        "spec": {"hard": {"requests.memory": "10 GB", "pods": "10"}},
    }
    assert only(quota, "invalid-quantity").path == ("spec", "hard", "requests.memory")
    lr = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "l"},
        "spec": {
            "limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "1.5Gi"}, "max": {"memory": "2gb"}}]
        },
    }
    assert only(lr, "invalid-quantity").path == ("spec", "limits", 0, "max", "memory")
