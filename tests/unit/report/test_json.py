"""report/json.py: the JSON report round-trips and is stable whatever order findings arrive in."""

from __future__ import annotations

import io
import json
import random

from kubepush.report import make_reporter
from tests.unit.report.objects import (
    FINDINGS,
    MSG_HOSTILE,
    MSG_PIPES,
    OUTSIDE,
    RESULT,
    ROOT,
    render,
)


def test_json_round_trips_and_is_stable_whatever_the_arrival_order() -> None:
    doc = json.loads(render("json"))
    assert doc["command"] == "validate"
    assert doc["summary"] == {
        "resources": 5, "files": 4, "targets": 0, "errors": 3, "warnings": 1, "infos": 1, "exitCode": 1
    }
    by_rule = {f["rule"]: f for f in doc["findings"]}
    assert by_rule["schema"]["message"] == MSG_PIPES
    assert by_rule["schema"]["file"] == "deploy/web app.yaml"
    assert by_rule["schema"]["path"] == "spec.replicas"
    assert by_rule["labels"]["message"] == MSG_HOSTILE
    assert by_rule["labels"]["path"] == 'metadata.labels["a|b"]'
    assert by_rule["image-tag"]["file"] == OUTSIDE
    assert [f["file"] for f in doc["findings"]] == sorted(f["file"] for f in doc["findings"])

    shuffled = FINDINGS[:]
    random.Random(7).shuffle(shuffled)
    out = io.StringIO()
    reporter = make_reporter("json", out, root=ROOT)
    for finding in shuffled:
        reporter.write(finding)
    reporter.close(RESULT)
    assert out.getvalue() == render("json")
