"""validate/rules/selectors.py: selector-mismatch and the label selector syntax."""

from __future__ import annotations

import copy

import pytest

from tests.unit.validate.rules.objects import deployment, only, run


def test_selector_value_mismatch_points_at_template_label():
    doc = deployment()
    doc["spec"]["template"]["metadata"]["labels"]["app"] = "web2"
    f = only(doc, "selector-mismatch")
    assert f.path == ("spec", "template", "metadata", "labels", "app")
    assert "`selector` does not match template `labels` (selector wants app=web, template has app=web2)" in f.message


def test_selector_missing_label_points_at_labels_mapping():
    doc = deployment()
    doc["spec"]["template"]["metadata"]["labels"] = {"other": "x"}
    assert only(doc, "selector-mismatch").path == ("spec", "template", "metadata", "labels")
    del doc["spec"]["template"]["metadata"]["labels"]
    assert only(doc, "selector-mismatch").path == ("spec", "template", "metadata")


@pytest.mark.parametrize(
    ("expressions", "matches"),
    [
        ([{"key": "tier", "operator": "In", "values": ["web", "api"]}], True),
        ([{"key": "tier", "operator": "In", "values": ["db"]}], False),
        ([{"key": "tier", "operator": "NotIn", "values": ["web"]}], False),
        ([{"key": "tier", "operator": "NotIn", "values": ["db"]}], True),
        ([{"key": "tier", "operator": "Exists"}], True),
        ([{"key": "zone", "operator": "Exists"}], False),
        ([{"key": "zone", "operator": "DoesNotExist"}], True),
        ([{"key": "tier", "operator": "DoesNotExist"}], False),
    ],
)
def test_match_expressions(expressions, matches):
    doc = deployment()
    doc["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
    doc["spec"]["selector"]["matchExpressions"] = expressions
    assert [f.rule for f in run(doc)] == ([] if matches else ["selector-mismatch"])


def test_selector_syntax_and_empty_selector():
    doc = deployment()
    doc["spec"]["selector"] = {}
    f = only(doc, "selector-mismatch")
    assert f.path == ("spec", "selector") and "empty selector is invalid for deployment" in f.message
    doc["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "in", "values": ["web"]}]}
    f = only(doc, "invalid-enum")
    assert f.path == ("spec", "selector", "matchExpressions", 0, "operator") and '"In"' in f.hint


def test_job_and_replication_controller_selectors():
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {
            "selector": {"matchLabels": {"app": "j"}},
            "template": {
                "metadata": {"labels": {"app": "j"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]},
            },
        },
    }
    assert "not auto-generated" in only(job, "selector-mismatch").message
    job["spec"]["manualSelector"] = True
    assert run(job) == []
    job["spec"]["template"]["metadata"]["labels"]["app"] = "k"
    assert only(job, "selector-mismatch").path == ("spec", "template", "metadata", "labels", "app")
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "r"},
        "spec": {
            "selector": {"app": "r"},
            "template": {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
        },
    }
    assert only(rc, "selector-mismatch").path == ("spec", "template", "metadata", "labels", "app")


def test_statefulset_and_daemonset_pass_and_fail():
    sts = copy.deepcopy(deployment())
    sts["kind"] = "StatefulSet"
    sts["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "d"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gb"}}},
        }
    ]
    f = only(sts, "invalid-quantity")
    assert f.path == ("spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage")
    ds = deployment()
    ds["kind"] = "DaemonSet"
    ds["spec"]["selector"]["matchLabels"]["extra"] = "1"
    assert only(ds, "selector-mismatch").path == ("spec", "template", "metadata", "labels")
