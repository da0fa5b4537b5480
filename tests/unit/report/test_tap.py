"""report/tap.py: a plan that matches the test points, parseable diagnostics, escaped descriptions."""

from __future__ import annotations

import io

from kubepush.model import ObjectRef, Result
from kubepush.report import make_reporter
from tests.unit.report.objects import (
    MSG_PIPES,
    MSG_UNICODE,
    render,
)


def test_tap_plan_matches_test_points_and_diagnostics_parse() -> None:
    from tap.parser import Parser

    out = render("tap")
    assert out.startswith("TAP version 13\n")
    lines = list(Parser().parse_text(out))
    plans = [line for line in lines if line.category == "plan"]
    tests = [line for line in lines if line.category == "test"]
    assert len(plans) == 1 and plans[0].expected_tests == len(tests) == 6
    assert [t.number for t in tests] == list(range(1, 7))
    assert [t.ok for t in tests] == [False, False, True, True, True, False]
    assert tests[0].description == "- Deployment/prod/web (doc 0)"
    assert tests[5].description == "- odd/we,ird:100%.yaml (doc 0)"  # the orphan, at close
    assert not any(t.skip or t.todo for t in tests)

    diagnostic = tests[0].yaml_block
    assert diagnostic["findings"][0]["message"] == MSG_PIPES
    assert diagnostic["findings"][0]["at"] == "deploy/web app.yaml:12:7"
    service = tests[1].yaml_block["findings"]
    assert [f["severity"] for f in service] == ["warning", "error"]
    assert service[0]["message"] == MSG_UNICODE
    assert tests[2].yaml_block is None  # a clean resource has no block


def test_tap_escapes_hash_in_descriptions() -> None:
    from tap.parser import Parser

    out = io.StringIO()
    reporter = make_reporter("tap", out)
    reporter.document_done("a.yaml", 0, ObjectRef("v1", "ConfigMap", "", "a#b SKIP"), False)
    reporter.close(Result("validate"))
    (test,) = [line for line in Parser().parse_text(out.getvalue()) if line.category == "test"]
    assert not test.ok and not test.skip  # "#" did not become a SKIP directive
