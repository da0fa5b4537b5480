"""report/codequality.py: GitLab's Code Quality format, with unique and stable fingerprints."""

from __future__ import annotations

import io
import json
import re

from kubepush.model import Finding, Result
from kubepush.report import make_reporter
from tests.unit.report.objects import (
    F_DEPLOY,
    F_SERVICE,
    FINDINGS,
    ROOT,
    _fields,
    render,
)


def test_codequality_follows_gitlabs_format() -> None:
    issues = json.loads(render("codequality"))
    assert isinstance(issues, list) and len(issues) == len(FINDINGS)
    for issue in issues:
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str)
        assert re.fullmatch(r"[0-9a-f]{32}", issue["fingerprint"])
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int) and issue["location"]["lines"]["begin"] >= 1
    by_check = {i["check_name"]: i for i in issues}
    assert by_check["schema"]["severity"] == "major"
    assert by_check["deprecated-api"]["severity"] == "minor"
    assert by_check["image-tag"]["severity"] == "info"
    assert by_check["schema"]["location"] == {"path": "deploy/web app.yaml", "lines": {"begin": 12}}
    assert by_check["deprecated-api"]["location"]["lines"]["begin"] == 1  # unknown line -> first line
    assert by_check["schema"]["description"].startswith("Deployment/prod/web: replicas")


def test_codequality_fingerprints_unique_even_for_identical_findings_and_stable() -> None:
    def issues(findings: list[Finding]) -> list[dict]:  # type: ignore[type-arg]
        out = io.StringIO()
        reporter = make_reporter("codequality", out, root=ROOT)
        for f in findings:
            reporter.write(f)
        reporter.close(Result("validate", findings))
        return json.loads(out.getvalue())

    twice = issues([F_DEPLOY, F_DEPLOY, F_SERVICE])
    assert len({i["fingerprint"] for i in twice}) == 3
    again = issues([Finding(**{**_fields(F_DEPLOY), "line": 99}), F_DEPLOY, F_SERVICE])
    assert sorted(i["fingerprint"] for i in again) == sorted(i["fingerprint"] for i in twice)
