"""report/junit.py: valid against the Jenkins JUnit XSD, one suite per file, written as the run goes."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest

from kubepush.model import Finding
from kubepush.report import make_reporter
from tests.unit.report.objects import (
    CONFIG,
    DATA,
    DEPLOY,
    MSG_PIPES,
    MSG_UNICODE,
    OK_FILE,
    OUTSIDE,
    PLAN,
    ROOT,
    SAME,
    SERVICE,
    WEB,
    _fields,
    cluster_run,
    render,
)


def test_junit_writes_each_file_suite_when_the_next_file_starts() -> None:
    out = io.StringIO()
    reporter = make_reporter("junit", out, root=ROOT)
    reporter.document_done(WEB, 0, DEPLOY, True)
    reporter.document_done(WEB, 1, SERVICE, True)
    assert "<testcase" not in out.getvalue()  # the suite's counts are not known yet
    reporter.document_done(OK_FILE, 0, CONFIG, True)
    written = out.getvalue()
    assert 'name="deploy/web app.yaml"' in written and 'tests="2"' in written
    assert "ok.yaml" not in written


def test_junit_is_valid_against_the_jenkins_xsd() -> None:
    import xmlschema

    schema = xmlschema.XMLSchema(str(DATA / "junit-10.xsd"))
    out = render("junit")
    schema.validate(out)  # raises with the reason if Jenkins would refuse it
    # and the XSD has teeth: a suite without its counts is rejected
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(re.sub(r' tests="\d+"', "", out, count=1))


def test_junit_one_suite_per_file_one_case_per_resource() -> None:
    root = ET.fromstring(render("junit"))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["deploy/web app.yaml", "ok.yaml", OUTSIDE, "odd/we,ird:100%.yaml"]
    web = suites["deploy/web app.yaml"]
    assert [c.get("name") for c in web.iter("testcase")] == [
        "Deployment/prod/web (doc 0)",
        "Service/prod/web-svc (doc 1)",
        "Namespace/prod (doc 2)",
    ]
    assert (web.get("tests"), web.get("failures"), web.get("errors")) == ("3", "2", "0")

    deploy, service, namespace = web.iter("testcase")
    failure = deploy.find("failure")
    assert failure is not None
    assert failure.get("type") == "schema"
    assert failure.get("message") == 'replicas: expected integer, got "3|4" (100%)'
    assert failure.text.startswith("deploy/web app.yaml:12:7: error: " + MSG_PIPES)
    assert "hint: write 3" in failure.text

    # the failing resource reports its error; its warning is listed with it
    service_failure = service.find("failure")
    assert service_failure is not None and service_failure.get("type") == "labels"
    assert "deploy/web app.yaml:30: error: bad <script>&amp; *bold*" in service_failure.text
    assert "\\u001b[31mred" in service_failure.text  # ESC is illegal in XML 1.0: shown, not dropped
    assert f"warning: {MSG_UNICODE}" in service_failure.text
    assert namespace.find("failure") is None

    # the document that never parsed is still a failing test case
    orphan = suites["odd/we,ird:100%.yaml"]
    (case,) = orphan.iter("testcase")
    assert case.get("name") == "odd/we,ird:100%.yaml (doc 0)"
    assert case.find("failure").get("message") == "mapping values are not allowed here"

    # a passing resource with an info finding keeps it in system-out
    (info_case,) = suites[OUTSIDE].iter("testcase")
    assert info_case.find("failure") is None
    assert "info: image uses tag latest" in info_case.find("system-out").text


def test_junit_names_a_suite_per_target_and_file() -> None:
    other = Finding(**{**_fields(PLAN), "targets": ("staging",), "message": "~ configure [staging]"})
    root = ET.fromstring(cluster_run("junit", PLAN, SAME, other))
    assert [s.get("name") for s in root.findall("testsuite")] == ["prod: deploy/web app.yaml",
                                                                 "staging: deploy/web app.yaml"]
    assert [s.get("tests") for s in root.findall("testsuite")] == ["2", "1"]
