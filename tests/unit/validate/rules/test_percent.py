"""validate/rules/percent.py: invalid-int-or-percent in rollout and disruption budgets."""

from __future__ import annotations

import pytest

from tests.unit.validate.rules.objects import deployment, only, run


@pytest.mark.parametrize(
    ("rolling", "path", "fragment"),
    [
        ({"maxSurge": "25", "maxUnavailable": "25%"}, ("maxSurge",), "a valid percent string must be a numeric string"),
        ({"maxUnavailable": "110%"}, ("maxUnavailable",), "must not be greater than 100%"),
        ({"maxUnavailable": -1}, ("maxUnavailable",), "must be greater than or equal to 0"),
        ({"maxUnavailable": 0, "maxSurge": "0%"}, ("maxUnavailable",), "may not be 0 when `maxSurge` is 0"),
    ],
)
def test_deployment_rolling_update_budgets(rolling, path, fragment):
    doc = deployment()
    doc["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": rolling}
    f = only(doc, "invalid-int-or-percent")
    assert f.path == ("spec", "strategy", "rollingUpdate") + path and fragment in f.message


def test_valid_budgets_and_pdb():
    doc = deployment()
    doc["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "150%", "maxUnavailable": 0}}
    assert run(doc) == []
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "p"},
        "spec": {"minAvailable": "50", "selector": {"matchLabels": {"app": "web"}}},
    }
    f = only(pdb, "invalid-int-or-percent")
    assert f.path == ("spec", "minAvailable") and "without quotes" in f.hint
    pdb["spec"]["minAvailable"] = "50%"
    assert run(pdb) == []
    sts = deployment()
    sts["kind"] = "StatefulSet"
    sts["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "1"}}
    assert only(sts, "invalid-int-or-percent").path == ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable")
