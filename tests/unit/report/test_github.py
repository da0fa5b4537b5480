"""report/github.py: workflow-command annotations that survive the runner's unescaping."""

from __future__ import annotations

from tests.unit.report.objects import (
    FINDINGS,
    MSG_PIPES,
    MSG_UNICODE,
    PLAN,
    SAME,
    cluster_run,
    render,
)


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


def test_github_annotates_the_plan_not_what_is_unchanged() -> None:
    lines = cluster_run("github", PLAN, SAME).splitlines()
    commands = [parse_workflow_command(line) for line in lines if line.startswith("::")]
    assert [(n, p["title"]) for n, p, _ in commands] == [("notice", "kubepush configure")]
    assert lines[-1] == "2 resources in 1 file, 1 target: 0 errors, 0 warnings (1 unchanged, not annotated)"
