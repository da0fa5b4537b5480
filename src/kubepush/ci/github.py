"""The one entry point behind every composite GitHub Action: ``python -m kubepush.ci.github``.

The action.yml files hold no logic: they install kubepush and hand this module the
command (``KUBEPUSH_COMMAND``) and all their inputs as one JSON object
(``KUBEPUSH_INPUTS: ${{ toJSON(inputs) }}``), through the environment - never spliced
into shell text, so no input can inject commands. This module maps inputs to CLI
flags (the one spec of all integrations, :mod:`kubepush.ci.spec`), runs the command, and maps the results back to what
a workflow uses: step outputs (``$GITHUB_OUTPUT``), a Markdown step summary appended
to ``$GITHUB_STEP_SUMMARY``, annotations (``-o github``), a SARIF file, and the sticky
pull-request comment. Exit status: the command's (0, 1 findings, 2 usage/environment),
1 becoming 0 with ``fail-on-findings: false``.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kubepush.ci import results, spec
from kubepush.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

#: kubeconfig keys whose values are credentials
_KUBECONFIG_SECRETS = ("token", "password", "client-key-data", "client-certificate-data", "id-token",
                       "refresh-token", "client-secret")


class Inputs:
    """The action's inputs (``toJSON(inputs)``); GitHub gives every value as a string."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = {k: "" if v is None else str(v) for k, v in raw.items()}

    def get(self, name: str, default: str = "") -> str:
        return self.raw.get(name, "").strip() or default

    def items(self, name: str) -> list[str]:
        return spec.split_items(name, self.raw.get(name, ""))

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        try:
            return spec.parse_bool(name, self.get(name), default)
        except spec.BadInput as exc:
            raise SystemExit(_fail(str(exc))) from None


def build_argv(command: str, inputs: Inputs) -> list[str]:
    """The ``kubepush`` arguments for ``command`` from the inputs (the mapping of :mod:`kubepush.ci.spec`)."""
    try:
        argv, positional = spec.build_argv(command, lambda name: inputs.raw.get(name, ""), inputs.get("args"))
    except spec.BadInput as exc:
        raise SystemExit(_fail(str(exc))) from None
    return spec.with_positional(argv, positional)


# -- the runner's side: outputs, summary, masks, annotations -----------------------------

def _fail(message: str) -> int:
    print(f"::error title=kubepush::{_escape(message)}", flush=True)
    return EXIT_USAGE


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def mask(value: str) -> None:
    """Tell the runner to hide ``value`` (each line of it) in all later log output."""
    for line in value.splitlines():
        if line.strip():
            print(f"::add-mask::{line.strip()}", flush=True)


def set_outputs(outputs: Mapping[str, object], env: Mapping[str, str] | None = None) -> None:
    """Append to ``$GITHUB_OUTPUT`` in the heredoc form, which takes any value (newlines too)."""
    env = os.environ if env is None else env
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for name, value in outputs.items():
            text = json.dumps(value) if isinstance(value, (bool, list, dict)) else str(value)
            delimiter = f"kubepush_{secrets.token_hex(8)}"
            handle.write(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")


def append_summary(markdown: str, env: Mapping[str, str] | None = None) -> None:
    """Add to the step summary (earlier steps' summaries stay: append, never replace)."""
    env = os.environ if env is None else env
    path = env.get("GITHUB_STEP_SUMMARY")
    if path and markdown.strip():
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown.rstrip("\n") + "\n\n")


def mask_kubeconfig(text: str) -> None:
    """Hide the credentials of a kubeconfig, not its harmless lines (``apiVersion: v1``)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        mask(text)  # unreadable: hide all of it rather than guess
        return

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _KUBECONFIG_SECRETS and isinstance(value, str):
                    mask(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)


# -- running a command -----------------------------------------------------------------

def kubepush(argv: list[str], env: Mapping[str, str], capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kubepush.cli", *argv], env=dict(env), text=True,
                          stdout=subprocess.PIPE if capture else None, check=False)


def run(command: str, inputs: Inputs, env: dict[str, str]) -> int:
    """Run one action; returns the step's exit status."""
    if command not in spec.commands():
        return _fail(f"unknown command {command!r}: use one of {', '.join(spec.commands())}")
    for item in inputs.items("registry-auth"):
        mask(item.partition("=")[2].partition(":")[2])
    work = Path(env.get("RUNNER_TEMP") or "/tmp") / f"kubepush-{command}-{secrets.token_hex(4)}"
    work.mkdir(parents=True, exist_ok=True)
    if inputs.get("kubeconfig"):
        mask_kubeconfig(inputs.get("kubeconfig"))
        kubeconfig = work / "kubeconfig"
        kubeconfig.touch(mode=0o600)
        kubeconfig.write_text(inputs.get("kubeconfig"), encoding="utf-8")
        env["KUBECONFIG"] = str(kubeconfig)
    if inputs.get("sops-age-key"):  # masked first: sops reads it from the environment, never from a file
        mask(inputs.get("sops-age-key"))
        env["SOPS_AGE_KEY"] = inputs.get("sops-age-key")
    if inputs.get("token"):
        from kubepush.forges.factory import TOKEN_ENV

        env.setdefault(TOKEN_ENV[inputs.get("forge", "github")][0], inputs.get("token"))
    argv = build_argv(command, inputs)
    if command == "targets":
        return _targets(argv, env)
    if command in ("bump", "revert"):
        code, markdown, outputs = _pull_request_command(command, argv, env)
    else:
        code, markdown, outputs = _report(command, argv, inputs, env, work)
    if markdown and inputs.boolean("summary", True):
        append_summary(markdown, env)
    if inputs.boolean("comment", False):
        outputs["comment-url"] = _comment(command, inputs, env, work, markdown, outputs)
    outputs["exit-code"] = code
    set_outputs(outputs, env)
    if code == EXIT_FINDINGS and inputs.boolean("fail-on-findings", True) is False:
        print(f"::notice title=kubepush {command}::findings reported; not failing (fail-on-findings: false)")
        return EXIT_OK
    return code


def _report(command: str, argv: list[str], inputs: Inputs, env: dict[str, str],
            work: Path) -> tuple[int, str, dict[str, object]]:
    sarif = Path(inputs.get("sarif-path") or work / f"kubepush-{command}.sarif").absolute()
    report = work / f"kubepush-{command}.json"
    summary = work / f"kubepush-{command}.md"
    stdout = "github" if inputs.boolean("annotations", True) and spec.writes(command, "github") else "text"
    html = work / f"kubepush-{command}.html"
    reviewer = ["--report", f"html={html}"] if command in results.HTML_COMMANDS else []
    argv = [*argv[:1], "-o", stdout, *spec.report_flags(command, {"sarif": str(sarif), "json": str(report),
                                                                  "markdown": str(summary)}), *reviewer, *argv[1:]]
    code = kubepush(argv, env).returncode
    outputs: dict[str, object] = {"summary-path": summary if summary.exists() else ""}
    if reviewer:
        outputs["html-path"] = html if html.exists() else ""
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        outputs.update({"report-path": report, "sarif-path": sarif if sarif.exists() else "",
                        **results.derive(command, data)})
        if command == "status":  # small enough to hand over whole, like bump's and revert's result
            outputs["result"] = data
    return code, summary.read_text(encoding="utf-8") if summary.exists() else "", outputs


def _pull_request_command(command: str, argv: list[str], env: dict[str, str]) -> tuple[int, str, dict[str, object]]:
    """bump or revert: their ``-o json`` result becomes the outputs (pull requests, branches) and the summary."""
    proc = kubepush([*argv[:1], "-o", "json", *argv[1:]], env, capture=True)
    try:
        result = json.loads(proc.stdout) if proc.stdout.strip() else None
    except ValueError:
        result = None
    if result is None:
        return proc.returncode or EXIT_USAGE, "", {}
    print(json.dumps(result, indent=2), flush=True)
    outputs: dict[str, object] = {**results.derive(command, result), "result": result}
    return proc.returncode, results.pull_request_markdown(command, result), outputs


def _targets(argv: list[str], env: dict[str, str]) -> int:
    proc = kubepush([*argv[:1], "--format", "github-matrix", *argv[1:]], env, capture=True)
    if proc.returncode:
        return proc.returncode
    outputs = results.derive("targets", json.loads(proc.stdout))
    names = [row["target"] for row in json.loads(proc.stdout)["include"]]
    print(f"kubepush targets: {', '.join(names) or 'none affected'}", flush=True)
    set_outputs(outputs, env)
    return EXIT_OK


def _comment(command: str, inputs: Inputs, env: dict[str, str], work: Path, markdown: str,
             outputs: Mapping[str, object]) -> str:
    """Post the report as this target's sticky comment; a failure warns instead of failing the job."""
    from kubepush.ci.context import detect

    pr = outputs.get("pr-number") if command in ("bump", "revert") else detect(env).pr
    if not pr:
        print(f"::notice title=kubepush {command}::comment: not a pull request run; no comment posted")
        return ""
    if not markdown:
        return ""
    body = work / "comment.md"
    body.write_text(markdown, encoding="utf-8")
    target = ", ".join(inputs.items("target")) or "all"
    argv = ["comment", "--pr", str(pr), "--target", target, "--section", command, "--from", str(body), "-o", "json"]
    for name in ("repo", "forge", "forge-url") if command in ("bump", "revert") else ("forge", "forge-url"):
        if inputs.get(name):
            argv += [f"--{name}", inputs.get(name)]
    proc = kubepush(argv, env, capture=True)
    if proc.returncode:
        print(f"::warning title=kubepush comment::could not comment on #{pr} (see the error above); "
              "the report is in the step summary", flush=True)
        return ""
    url = json.loads(proc.stdout).get("url", "")
    print(f"kubepush: {json.loads(proc.stdout)['action']} comment {url}", flush=True)
    return str(url)


def main() -> int:
    env = dict(os.environ)
    try:
        inputs = Inputs(json.loads(env.get("KUBEPUSH_INPUTS") or "{}"))
    except ValueError:
        return _fail("KUBEPUSH_INPUTS is not JSON: the action must pass ${{ toJSON(inputs) }}")
    command = env.get("KUBEPUSH_COMMAND") or inputs.get("command")
    directory = inputs.get("working-directory", ".")
    try:
        os.chdir(directory)
    except OSError as exc:
        return _fail(f"working-directory {directory}: {exc.strerror}")
    return run(command, inputs, env)


if __name__ == "__main__":
    sys.exit(main())
