"""The runner behind every GitLab job template: ``python3 -m kubepush.ci.gitlab COMMAND REPORTS``.

The templates hold no mapping: they pass each input as a ``KP_<INPUT>`` job variable (a value,
never shell text) and call this module, which maps them to flags (:mod:`kubepush.ci.spec`, the
same mapping as the GitHub Action's), runs kubepush with the job's reports (JUnit, Code Quality,
JSON, Markdown) in ``REPORTS``, writes the outputs (:mod:`kubepush.ci.results`) as the dotenv
report ``KUBEPUSH_<COMMAND>_<OUTPUT>`` and, with ``comment: true``, posts the sticky merge
request comment. Exit status: kubepush's (0, 1 findings, 2 usage/environment), 1 becoming 0
with ``fail-on-findings: false``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from kubepush.ci import results, spec
from kubepush.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE


def value(name: str, env: Mapping[str, str]) -> str:
    """The input ``name`` (``KP_<NAME>``); an empty forge-url on GitLab is this GitLab's API."""
    given = env.get("KP_" + name.upper().replace("-", "_"), "").strip()
    if not given and name == "forge-url" and value("forge", env) == "gitlab":
        return env.get("CI_API_V4_URL", "")
    return given


def dotenv(command: str, outputs: Mapping[str, object]) -> dict[str, str]:
    """The outputs as dotenv variables: lists space-separated, booleans lowercase."""
    def text(v: object) -> str:
        return " ".join(map(str, v)) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else str(v)
    prefix = f"KUBEPUSH_{command.upper()}_"
    return {prefix + k.upper().replace("-", "_"): text(v) for k, v in outputs.items() if not isinstance(v, dict)}


def run(command: str, reports: Path, env: Mapping[str, str]) -> int:
    reports.mkdir(parents=True, exist_ok=True)
    try:
        argv, positional = spec.build_argv(command, lambda name: value(name, env), value("args", env))
    except spec.BadInput as exc:
        print(f"kubepush: {exc}", file=sys.stderr)
        return EXIT_USAGE
    pull_request = command in results.PULL_REQUEST_COMMANDS
    if pull_request:  # their result is JSON on stdout, no findings reports
        argv[1:1] = ["-o", "json"]
    else:
        argv += spec.report_flags(command, {"junit": f"{reports}/{command}.junit.xml",
                                            "codequality": f"{reports}/{command}.codequality.json",
                                            "json": f"{reports}/{command}.json", "markdown": f"{reports}/{command}.md"})
        if command in results.HTML_COMMANDS:
            argv += ["--report", f"html={reports}/{command}.html"]
    for stale in reports.glob(f"{command}.*"):  # never an earlier run's result
        stale.unlink()
    proc = subprocess.run(["kubepush", *spec.with_positional(argv, positional)], env=dict(env), text=True,
                          stdout=subprocess.PIPE if pull_request else None, check=False)
    code = proc.returncode
    source = proc.stdout if pull_request else _read(reports / f"{command}.json")
    try:
        data = json.loads(source) if source.strip() else {}
    except ValueError:
        data = {}
    if pull_request:
        print("\n".join(results.pull_request_lines(command, data, "merge request !")))
    variables = dotenv(command, {"exit-code": code, **results.derive(command, data)})
    (reports / "kubepush.env").write_text("".join(f"{k}={v}\n" for k, v in variables.items()), encoding="utf-8")
    print("kubepush outputs (dotenv):", " ".join(f"{k}={v}" for k, v in variables.items()))
    if value("comment", env) == "true" and not pull_request:
        _comment(command, reports / f"{command}.md", env)
    # fail-on-findings: false -> findings (exit 1) are reported, the job passes
    return EXIT_OK if code == EXIT_FINDINGS and value("fail-on-findings", env) == "false" else code


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _comment(command: str, summary: Path, env: Mapping[str, str]) -> None:
    """This command's section of the target's sticky merge request comment; not commenting only warns."""
    target = ", ".join(spec.split_items("target", value("target", env))) or "all"
    if not env.get("CI_MERGE_REQUEST_IID"):
        print("kubepush: comment: not a merge request pipeline, no comment")
    elif summary.exists() and subprocess.run(["kubepush", "comment", "--target", target, "--section", command,
                                              "--from", str(summary)], env=dict(env), check=False).returncode:
        print("kubepush: comment: could not post the comment (see above); the reports are the job's artifacts")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in spec.commands():
        print(f"usage: python -m kubepush.ci.gitlab {{{','.join(spec.commands())}}} REPORTS", file=sys.stderr)
        return EXIT_USAGE
    return run(argv[0], Path(argv[1]), os.environ)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
