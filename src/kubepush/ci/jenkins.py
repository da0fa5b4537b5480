"""The Jenkins steps' results: ``python3 -m kubepush.ci.jenkins COMMAND EXIT_CODE JSON_FILE``.

kubepush.groovy runs kubepush itself (its credentials are bound around the call) and then this
module, which prints what the step returns as one JSON object: the outputs every integration
derives the same way (:mod:`kubepush.ci.results`) under the steps' camelCase names, the exit code,
the command's JSON (``report``), and ``log``, the lines the step echoes (a bump's or revert's
account). The Groovy library keeps no table and no rule set of its own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kubepush.ci import results, spec
from kubepush.errors import EXIT_OK, EXIT_USAGE


def step_result(command: str, code: int, text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        data = {}
    out: dict[str, Any] = {"command": command, "exitCode": code}
    out.update({spec.camel(name): value for name, value in results.derive(command, data).items()})
    out["report"] = data
    log = results.pull_request_lines(command, data) if command in results.PULL_REQUEST_COMMANDS else []
    return {"result": out, "log": log}


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in spec.commands() or not argv[1].lstrip("-").isdigit():
        print(f"usage: python -m kubepush.ci.jenkins {{{','.join(spec.commands())}}} EXIT_CODE JSON_FILE",
              file=sys.stderr)
        return EXIT_USAGE
    path = Path(argv[2])
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    print(json.dumps(step_result(argv[0], int(argv[1]), text)))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
