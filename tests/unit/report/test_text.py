"""report/text.py: compiler-style lines relative to the root, grouped by file, colour only when asked."""

from __future__ import annotations

import io
import re

from kubepush.model import Result
from kubepush.report import make_reporter
from tests.unit.report.objects import (
    DEPLOY,
    MSG_UNICODE,
    PLAN,
    cluster_run,
    render,
)


def test_text_lines_are_compiler_style_and_relative_to_root() -> None:
    out = render("text")
    lines = out.splitlines()
    # the rule tag ends the first line, never the last line of a multi-line message
    assert lines[0] == 'deploy/web app.yaml:12:7: error: replicas: expected integer, got "3|4" (100%) [schema]'
    assert lines[1] == "    see: docs, please"
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


def test_text_prints_a_plan_line_and_its_diff_below_it() -> None:
    lines = cluster_run("text", PLAN).splitlines()
    assert lines[0] == "deploy/web app.yaml:3: ~ configure ConfigMap/prod/cfg [prod]: 1 field"
    assert lines[1] == "    data.v changed in Git"
    assert lines[2] == "      --- live/ConfigMap/prod/cfg"
