"""report (the package): what every format does alike - streaming as the run goes, every finding
relative to the root, an empty run, nothing printed before the first event. Each format is
rendered from one fixed, nasty result (objects.py) and read back the way its consumer reads it in
test_<format>.py beside this file: JSON/XML parsers, the official SARIF schema, the Jenkins JUnit
XSD, the GitHub runner's unescaping rules, a TAP parser, a GFM table parser.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest

from kubepush.model import Result
from kubepush.report import FORMATS, make_reporter
from tests.unit.report.objects import (
    DEPLOY,
    F_DEPLOY,
    ROOT,
    WEB,
    render,
)

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


@pytest.mark.parametrize("name", FORMATS)
def test_nothing_is_printed_before_the_first_event(name: str) -> None:
    # the CLI creates the stdout reporter before checking --report specs; a bad
    # spec must not leave a dangling "TAP version 13" or "<?xml" on stdout
    out = io.StringIO()
    make_reporter(name, out, root=ROOT)
    assert out.getvalue() == ""
