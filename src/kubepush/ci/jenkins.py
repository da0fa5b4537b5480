"""The runner behind every Jenkins step: ``python3 -m kubepush.ci.jenkins run COMMAND REPORTS``.

kubepush.groovy installs kubepush, binds the step's credentials (withCredentials: Jenkins masks
them) and calls this module of the installed kubepush with the step's config as JSON in
``KP_CONFIG`` (credential ids only, never a secret). It maps the options to flags with the
mapping every runner uses (:mod:`kubepush.ci.spec`, options in camelCase), runs kubepush with
the reports (JUnit, JSON, Markdown) in ``REPORTS``, logs a bump's or revert's account, posts the
sticky pull-request comment (``comment: true``) and prints, as the only thing on stdout, one JSON
object the Groovy step acts on: ``result`` (the outputs every integration derives the same way,
:mod:`kubepush.ci.results`, under camelCase names, ``exitCode`` and the command's JSON as
``report``), ``junit`` (publish the JUnit report) and ``error`` (the message the step fails
with: a bad option, exit 2, or findings unless ``failOnFindings: false``). Everything else goes
to stderr, the build log. Exit status 0 whenever it printed that object; the Groovy library keeps
no table, no mapping and no rule set of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kubepush.ci import results, spec
from kubepush.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

#: commands whose result is JSON on stdout (no findings reports, no JUnit)
STDOUT_JSON = (*results.PULL_REQUEST_COMMANDS, "targets")


def options(command: str) -> list[str]:
    """What a step of ``command`` takes: its inputs in camelCase (not those a credential replaces),
    then the options every step takes."""
    inputs = spec.load()["inputs"]
    own = [spec.camel(f.input) for f in spec.flags(command) if "jenkins" not in inputs[f.input]]
    shared: list[str] = spec.load()["jenkins"]["options"]
    return own + [name for name in shared if name not in own]


def _given(config: Mapping[str, Any], name: str) -> spec.Given:
    """An option as the mapping takes it: Groovy's lists stay lists, true/false/60 become text."""
    value = config.get(name)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [str(item) for item in value]
    return str(value)


def switch(config: Mapping[str, Any], name: str, default: bool) -> bool:
    """A true/false option of the step itself (failOnFindings, junit, comment)."""
    on = spec.parse_bool(name, spec.given_text(_given(config, name)), default)
    return default if on is None else on


def step_argv(command: str, config: Mapping[str, Any], reports: Path) -> list[str]:
    """The kubepush argv of a ``command`` step; :class:`kubepush.ci.spec.BadInput` for a bad option."""
    if command not in spec.commands():
        raise spec.BadInput(f"command must be one of {', '.join(spec.commands())}, got {command}")
    takes = options(command)
    unknown = [name for name in config if name not in takes]
    if unknown:
        raise spec.BadInput(f"kubepush {command}: unknown option(s) {', '.join(unknown)}; it takes {', '.join(takes)}")
    for name, default in (("failOnFindings", True), ("junit", True), ("comment", False)):
        switch(config, name, default)  # a bad one fails before kubepush runs
    argv, positional = spec.build_argv(command, lambda name: _given(config, spec.camel(name)),
                                       _given(config, "args"), label=spec.camel)
    if command in results.PULL_REQUEST_COMMANDS:
        argv += ["-o", "json"]
    elif command == "targets":
        argv += ["--format", "json"]
    else:
        argv += spec.report_flags(command, {"junit": f"{reports}/{command}.junit.xml",
                                            "json": f"{reports}/{command}.json", "markdown": f"{reports}/{command}.md"})
        if command in results.HTML_COMMANDS:
            argv += ["--report", f"html={reports}/{command}.html"]
    return spec.with_positional(argv, positional)


def step_result(command: str, code: int, text: str) -> dict[str, Any]:
    """What the step returns: the derived outputs (camelCase), the exit code and the JSON (``report``)."""
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        data = {}
    out: dict[str, Any] = {"command": command, "exitCode": code}
    out.update({spec.camel(name): value for name, value in results.derive(command, data).items()})
    out["report"] = data
    return out


def failure(command: str, result: Mapping[str, Any], fail_on_findings: bool) -> str | None:
    """The message the step fails with, None when it passes."""
    if result["exitCode"] == EXIT_USAGE:
        return f"kubepush {command}: usage or environment error (exit 2), see the log above"
    if result["exitCode"] == EXIT_FINDINGS and fail_on_findings:
        return (f"kubepush {command}: findings (exit 1): {result.get('errors') or result.get('findings')}"
                " - failOnFindings: false to go on")
    return None


def _shown(value: object) -> str:
    """A result value in the step's one-line account, as Groovy prints it (true, [a, b])."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(map(_shown, value)) + "]"
    return json.dumps(value) if isinstance(value, dict) else str(value)


def run(command: str, reports: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """Runs the step and returns the object it prints (``result``, ``junit``, ``error``)."""
    try:
        config = json.loads(env.get("KP_CONFIG") or "{}")
        argv = step_argv(command, config, reports)
    except (ValueError, spec.BadInput) as exc:  # BadInput is a ValueError; bad KP_CONFIG JSON too
        message = str(exc)
        return {"result": None, "junit": False,
                "error": message if message.startswith("kubepush ") else f"kubepush: {message}"}
    reports.mkdir(parents=True, exist_ok=True)
    for stale in reports.glob(f"{command}.*"):  # never an earlier run's reports
        stale.unlink()
    on_stdout = command in STDOUT_JSON
    proc = subprocess.run(["kubepush", *argv], env=dict(env), text=True, check=False,
                          stdout=subprocess.PIPE if on_stdout else sys.stderr)
    output = reports / f"{command}.json"
    if on_stdout:
        output.write_text(proc.stdout, encoding="utf-8")
    result = step_result(command, proc.returncode, output.read_text(encoding="utf-8") if output.is_file() else "")
    log = results.pull_request_lines(command, result["report"]) if command in results.PULL_REQUEST_COMMANDS else []
    if command == "targets":
        log.append(f"kubepush targets: {', '.join(result['targets']) or 'none affected'}")
    elif switch(config, "comment", False):
        log += _comment(command, config, reports / f"{command}.md", env)
    log.append(f"kubepush {command}: " + " ".join(f"{k}={_shown(v)}" for k, v in result.items() if k != "report"))
    print("\n".join(log), file=sys.stderr, flush=True)
    return {"result": result, "junit": not on_stdout and switch(config, "junit", True),
            "error": failure(command, result, switch(config, "failOnFindings", True))}


def _comment(command: str, config: Mapping[str, Any], summary: Path, env: Mapping[str, str]) -> list[str]:
    """This command's section of the target's sticky pull-request comment; not commenting only warns."""
    if not env.get("CHANGE_ID"):
        return [f"kubepush {command}: comment: not a pull request build, no comment"]
    target = ", ".join(spec.given_items("target", _given(config, "target"))) or "all"
    where = [arg for name, flag in (("forge", "--forge"), ("forgeUrl", "--forge-url")) if config.get(name)
             for arg in (flag, str(config[name]))]
    code = subprocess.run(["kubepush", "comment", "--target", target, "--section", command, "--from", str(summary),
                           *where], env=dict(env), stdout=sys.stderr, check=False).returncode
    return [f"kubepush {command}: comment: could not post the comment (exit {code}); "
            "the report is the JUnit result"] if code else []


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "run":
        print("usage: python -m kubepush.ci.jenkins run COMMAND REPORTS (the step's config as JSON in KP_CONFIG)",
              file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(run(argv[1], Path(argv[2]), os.environ)))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
