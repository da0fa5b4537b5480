"""report/sarif.py: valid against the official SARIF schema, with what GitHub code scanning needs."""

from __future__ import annotations

import io
import json
import urllib.parse

import pytest

from kubepush.model import Finding, ObjectRef, Result, Severity
from kubepush.report import make_reporter
from tests.unit.report.objects import (
    DATA,
    DEPLOY,
    F_DEPLOY,
    FINDINGS,
    MSG_PIPES,
    ROOT,
    _fields,
    render,
)


@pytest.fixture(scope="module")
def sarif_validator():  # type: ignore[no-untyped-def]
    import jsonschema

    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    # FormatChecker() knows "uri-reference" (with rfc3986-validator); the draft-4 one does not
    checker = jsonschema.FormatChecker()
    assert "uri-reference" in checker.checkers
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def test_sarif_is_valid_against_the_official_schema(sarif_validator) -> None:  # type: ignore[no-untyped-def]
    log = json.loads(render("sarif"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator.iter_errors(log)]
    assert errors == []
    # the schema has teeth: GitHub's "line 0" mistake and an invalid URI are rejected
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    region["startLine"] = 0
    log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b|c"
    messages = " ".join(e.message for e in sarif_validator.iter_errors(log))
    assert "less than the minimum of 1" in messages
    assert "uri-reference" in messages


def test_sarif_has_what_github_code_scanning_needs() -> None:
    log = json.loads(render("sarif"))
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kubepush" and driver["version"] and driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert sorted(r["id"] for r in rules) == sorted({f.rule for f in FINDINGS})
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["helpUri"].startswith("https://")

    results = {r["ruleId"]: r for r in run["results"]}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["partialFingerprints"]
    assert {r["level"] for r in run["results"]} == {"error", "warning", "note"}

    deploy = results["schema"]
    assert deploy["message"]["text"].startswith(MSG_PIPES)
    physical = deploy["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "deploy/web%20app.yaml", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 12, "startColumn": 7}

    # line unknown -> no region at all; column unknown -> no startColumn
    assert "region" not in results["deprecated-api"]["locations"][0]["physicalLocation"]
    weird = results["yaml"]["locations"][0]["physicalLocation"]
    assert weird["region"] == {"startLine": 3}
    # a ':' must not become a URI scheme, '%' and ',' survive decoding
    assert weird["artifactLocation"]["uri"] == "odd/we%2Cird%3A100%25.yaml"
    assert urllib.parse.unquote(weird["artifactLocation"]["uri"]) == "odd/we,ird:100%.yaml"
    # outside the root: an absolute file URI, no base
    outside = results["image-tag"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert outside == {"uri": "file:///elsewhere/base.yaml"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///srv/repo/"


def test_sarif_fingerprints_survive_moved_lines_but_not_other_objects() -> None:
    def fingerprints(findings: list[Finding]) -> list[str]:
        out = io.StringIO()
        reporter = make_reporter("sarif", out, root=ROOT)
        for f in findings:
            reporter.write(f)
        reporter.close(Result("validate", findings))
        return [r["partialFingerprints"]["kubepush/v1"] for r in json.loads(out.getvalue())["runs"][0]["results"]]

    moved = Finding(**{**_fields(F_DEPLOY), "line": 40, "column": 1})
    other = Finding(**{**_fields(F_DEPLOY), "object": ObjectRef("apps/v1", "Deployment", "prod", "api")})
    assert fingerprints([F_DEPLOY]) == fingerprints([moved])
    assert fingerprints([F_DEPLOY]) != fingerprints([other])


def test_sarif_fileless_findings_become_notifications_not_unlocated_results(sarif_validator) -> None:  # type: ignore[no-untyped-def]
    # GitHub rejects the whole upload when any result lacks a location
    drifted = Finding("drift", "live object differs from Git", Severity.ERROR, object=DEPLOY)
    out = io.StringIO()
    reporter = make_reporter("sarif", out, root=ROOT)
    reporter.write(drifted)
    reporter.write(F_DEPLOY)
    reporter.close(Result("drift", [drifted, F_DEPLOY]))
    log = json.loads(out.getvalue())
    assert list(sarif_validator.iter_errors(log)) == []
    (run,) = log["runs"]
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"])
    assert [r["ruleId"] for r in run["results"]] == ["schema"]
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"].startswith("live object differs from Git\nObject: Deployment/prod/web")
    rules = run["tool"]["driver"]["rules"]
    assert rules[notification["associatedRule"]["index"]]["id"] == "drift"
