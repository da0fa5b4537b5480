"""Every output format rendered from one fixed, nasty result and read back the way
its consumer reads it: JSON/XML parsers, the official SARIF schema, the Jenkins
JUnit XSD, the GitHub runner's unescaping rules, a TAP parser, a GFM table parser.
"""

from __future__ import annotations

import io
import json
import random
import re
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kubepush.model import Finding, ObjectRef, Result, Severity
from kubepush.report import FORMATS, make_reporter
from kubepush.report.base import Reporter

DATA = Path(__file__).resolve().parents[2] / "support" / "data" / "report"
ROOT = "/srv/repo"
WEB = f"{ROOT}/deploy/web app.yaml"  # a space
WEIRD = f"{ROOT}/odd/we,ird:100%.yaml"  # comma, colon, percent
OK_FILE = f"{ROOT}/ok.yaml"
OUTSIDE = "/elsewhere/base.yaml"  # not under the root: stays absolute

DEPLOY = ObjectRef("apps/v1", "Deployment", "prod", "web")
SERVICE = ObjectRef("v1", "Service", "prod", "web-svc")
CONFIG = ObjectRef("v1", "ConfigMap", "", "cfg")
SECRETLESS = ObjectRef("v1", "Namespace", "", "prod")

MSG_PIPES = 'replicas: expected integer, got "3|4" (100%)\nsee: docs, please'
MSG_UNICODE = "Dienst veraltet – ünïcödé ✓ 日本"
MSG_HOSTILE = "bad <script>&amp; *bold* [x](http://e.vil) `c` #1 ~s~ $x$ \\ \x1b[31mred\r\n::error::injected"

F_DEPLOY = Finding(
    "schema", MSG_PIPES, Severity.ERROR, WEB, 12, 7, 0, DEPLOY, ("spec", "replicas"), "write 3, not \"3\""
)
F_SERVICE = Finding("deprecated-api", MSG_UNICODE, Severity.WARNING, WEB, 0, 0, 1, SERVICE)
F_HOSTILE = Finding("labels", MSG_HOSTILE, Severity.ERROR, WEB, 30, 0, 1, SERVICE, ("metadata", "labels", "a|b"))
F_PARSE = Finding("yaml", "mapping values are not allowed here", Severity.ERROR, WEIRD, 3, 0, 0)
F_INFO = Finding("image-tag", "image uses tag latest", Severity.INFO, OUTSIDE, 5, 3, 0, CONFIG, ("data",))
FINDINGS = [F_DEPLOY, F_SERVICE, F_HOSTILE, F_PARSE, F_INFO]
RESULT = Result("validate", list(FINDINGS), documents=5, files=4)


def drive(reporter: Reporter, *, close: bool = True) -> None:
    """Replay one run: each resource's findings, then that resource is done.

    WEIRD's document never completes (it did not parse), so its finding is an orphan.
    """
    reporter.write(F_DEPLOY)
    reporter.document_done(WEB, 0, DEPLOY, False)
    reporter.write(F_SERVICE)
    reporter.write(F_HOSTILE)
    reporter.document_done(WEB, 1, SERVICE, False)
    reporter.document_done(WEB, 2, SECRETLESS, True)
    reporter.write(F_PARSE)
    reporter.document_done(OK_FILE, 0, ObjectRef("v1", "ServiceAccount", "prod", "bot"), True)
    reporter.write(F_INFO)
    reporter.document_done(OUTSIDE, 0, CONFIG, True)
    if close:
        reporter.close(RESULT)


def render(name: str, **kw) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    drive(make_reporter(name, out, root=ROOT, **kw))
    return out.getvalue()


# --- text -----------------------------------------------------------------


def test_text_lines_are_compiler_style_and_relative_to_root() -> None:
    out = render("text")
    lines = out.splitlines()
    assert lines[0] == 'deploy/web app.yaml:12:7: error: replicas: expected integer, got "3|4" (100%)'
    assert lines[1] == "    see: docs, please [schema]"
    assert lines[2] == "  object Deployment/prod/web at spec.replicas"
    assert lines[3] == '  hint: write 3, not "3"'
    # unknown line: no ":0", the file alone
    assert f"deploy/web app.yaml: warning: {MSG_UNICODE} [deprecated-api]" in lines
    assert "odd/we,ird:100%.yaml:3: error: mapping values are not allowed here [yaml]" in lines
    assert "/elsewhere/base.yaml:5:3: info: image uses tag latest [image-tag]" in lines
    assert lines[-1] == "5 resources in 4 files: 3 errors, 1 warning"


def test_text_groups_files_with_blank_lines_and_never_lets_a_message_start_a_line() -> None:
    out = render("text")
    blocks = out.rstrip("\n").split("\n\n")
    assert [b.split(":", 1)[0] for b in blocks[:-1]] == ["deploy/web app.yaml", "odd/we,ird", "/elsewhere/base.yaml"]
    assert "\x1b" not in out  # no colour asked, and the message's own escape is neutralised
    assert "\\x1b[31mred" in out
    for line in out.splitlines():
        assert not line.startswith("::"), line  # no workflow-command injection from a message


def test_text_colour_only_when_asked() -> None:
    coloured = render("text", color=True)
    assert "\x1b[1;31merror:\x1b[0m" in coloured
    assert "\x1b[1;33mwarning:\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == render("text")


def test_text_pluralises_and_says_clean_run() -> None:
    out = io.StringIO()
    reporter = make_reporter("text", out)
    reporter.document_done("a.yaml", 0, DEPLOY, True)
    reporter.close(Result("validate", [], documents=1, files=1))
    assert out.getvalue() == "1 resource in 1 file: 0 errors, 0 warnings\n"


# --- streaming ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("text", "deploy/web app.yaml:12:7: error:"),
        ("github", "::error file=deploy/web app.yaml,line=12,col=7"),
        ("tap", "not ok 1 - Deployment/prod/web (doc 0)"),
    ],
)
def test_line_formats_stream_before_close(name: str, expected: str) -> None:
    out = io.StringIO()
    reporter = make_reporter(name, out, root=ROOT)
    reporter.write(F_DEPLOY)
    reporter.document_done(WEB, 0, DEPLOY, False)
    assert expected in out.getvalue()


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


# --- json -----------------------------------------------------------------


def test_json_round_trips_and_is_stable_whatever_the_arrival_order() -> None:
    doc = json.loads(render("json"))
    assert doc["command"] == "validate"
    assert doc["summary"] == {
        "resources": 5, "files": 4, "errors": 3, "warnings": 1, "infos": 1, "exitCode": 1
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


# --- junit ----------------------------------------------------------------


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


# --- sarif ----------------------------------------------------------------


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


def _fields(finding: Finding) -> dict:  # type: ignore[type-arg]
    return {name: getattr(finding, name) for name in Finding.__dataclass_fields__}


# --- codequality ----------------------------------------------------------


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


# --- github ---------------------------------------------------------------


def parse_workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """Parse a line as the Actions runner does (ActionCommand.TryParseV2).

    The command ends at the first ``::`` after the leading one; properties split at
    ``,`` then the first ``=``; values are unescaped with the property mapping and
    the message with the data mapping, ``%25`` last.
    """
    assert line.startswith("::")
    end = line.index("::", 2)
    info, data = line[2:end], line[end + 2 :]
    name, _, props = info.partition(" ")
    properties = {}
    for pair in filter(None, props.split(",")):
        key, _, value = pair.partition("=")
        for token, escaped in (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25")):
            value = value.replace(escaped, token)
        properties[key] = value
    for token, escaped in (("\r", "%0D"), ("\n", "%0A"), ("%", "%25")):
        data = data.replace(escaped, token)
    return name, properties, data


def test_github_annotations_round_trip_through_the_runners_unescaping() -> None:
    lines = render("github").splitlines()
    commands = [parse_workflow_command(line) for line in lines if line.startswith("::")]
    assert len(commands) == len(FINDINGS)  # one line each: no raw newline escaped the command
    assert lines[-1] == "5 resources in 4 files: 3 errors, 1 warning"

    name, props, message = commands[0]
    assert name == "error"
    assert props == {"file": "deploy/web app.yaml", "line": "12", "col": "7", "title": "kubepush schema"}
    assert message.splitlines()[:2] == MSG_PIPES.splitlines()
    assert "object Deployment/prod/web at spec.replicas" in message

    by_title = {p["title"]: (n, p, m) for n, p, m in commands}
    name, props, message = by_title["kubepush deprecated-api"]
    assert name == "warning" and "line" not in props and "col" not in props  # unknown position
    assert message.startswith(MSG_UNICODE)
    name, props, message = by_title["kubepush yaml"]
    assert props["file"] == "odd/we,ird:100%.yaml" and props["line"] == "3" and "col" not in props
    assert by_title["kubepush image-tag"][0] == "notice"
    hostile = by_title["kubepush labels"][2]
    assert hostile.startswith("bad <script>&amp; *bold*") and "\n::error::injected" in hostile


# --- tap ------------------------------------------------------------------


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


# --- markdown -------------------------------------------------------------


def _tables(markdown: str) -> list[list[list[str]]]:
    """Tables as rows of cell texts, parsed by a GFM-table-capable CommonMark parser."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables: list[list[list[str]]] = []
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append([])
        elif token.type == "inline" and tables and tables[-1] and token.level >= 4:
            tables[-1][-1].append(token.content)
    return tables


def test_markdown_tables_keep_their_shape_and_text_stays_literal() -> None:
    from markdown_it import MarkdownIt

    out = render("markdown")
    assert out.startswith("## ❌ kubepush validate failed\n")
    counts, findings = _tables(out)
    assert counts == [["Resources", "Files", "Errors", "Warnings"], ["5", "4", "3", "1"]]
    assert {len(row) for row in findings} == {5}  # no '|' in a message split a row
    assert len(findings) == 1 + len(FINDINGS)
    assert [row[3] for row in findings[1:4]] == ["schema", "labels", "yaml"]  # errors first

    html = MarkdownIt("commonmark").enable("table").render(out)
    assert "<script>" not in html and "<em>" not in html and "<a href" not in html and "<code>" not in html
    assert "&lt;script&gt;&amp;amp;" in html  # shown literally, as written in the manifest
    assert "3|4" in html
    assert "see: docs, please" in html and "\\x1b[31mred" in html


def test_markdown_caps_rows_and_says_how_many_more() -> None:
    out = io.StringIO()
    reporter = make_reporter("markdown", out, max_rows=2)
    drive(reporter)
    text = out.getvalue()
    (_, findings) = _tables(text)
    assert len(findings) == 1 + 2
    assert [row[3] for row in findings[1:]] == ["schema", "labels"]  # errors win the space
    assert "… and 3 more findings not shown." in text


def test_markdown_clean_run() -> None:
    out = io.StringIO()
    reporter = make_reporter("markdown", out)
    reporter.close(Result("validate", [], documents=3, files=2))
    assert out.getvalue().startswith("## ✅ kubepush validate passed\n")
    assert "No findings in 3 resources." in out.getvalue()


# --- all formats ----------------------------------------------------------


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_reports_every_finding_relative_to_root(name: str) -> None:
    out = render(name)
    assert "/srv/repo" not in out.replace("file:///srv/repo/", "")  # only SARIF's base may say it
    assert "image uses tag latest" in out
    assert "mapping values are not allowed here" in out


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_handles_an_empty_run(name: str) -> None:
    out = io.StringIO()
    reporter = make_reporter(name, out)
    reporter.close(Result("validate"))
    text = out.getvalue()
    assert text.endswith("\n")
    if name in {"json", "sarif", "codequality"}:
        json.loads(text)
    elif name == "junit":
        assert ET.fromstring(text).tag == "testsuites"
    elif name == "tap":
        assert text.splitlines()[-1] == "1..0"


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


@pytest.mark.parametrize("name", FORMATS)
def test_nothing_is_printed_before_the_first_event(name: str) -> None:
    # the CLI creates the stdout reporter before checking --report specs; a bad
    # spec must not leave a dangling "TAP version 13" or "<?xml" on stdout
    out = io.StringIO()
    make_reporter(name, out, root=ROOT)
    assert out.getvalue() == ""
