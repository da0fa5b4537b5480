"""Copy the shared parts into every job template: ``python3 gitlab/sync.py`` (``--check`` in tests).

A template must stand alone - a nested include resolves differently through include:project,
include:local and a CI/CD catalog component - so what the five share (common.sh, the job
script; common-inputs.yml, the inputs they all take) is written into each between markers
rather than included. Edit the shared files, never the copies.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = sorted((HERE / "templates").glob("*.yml"))
BLOCK = re.compile(r"(?P<indent>[ ]*)# >>> (?P<name>\S+).*?\n.*?# <<< (?P=name)\n", re.DOTALL)


def _indent(text: str, prefix: str) -> str:
    return "".join(prefix + line if line.strip() else line for line in text.splitlines(keepends=True))


def _body(name: str, indent: str) -> str:
    text = (HERE / name).read_text()
    if name.endswith(".sh"):  # one literal block: the script item that defines the functions
        return f"{indent}- |\n{_indent(text, indent + '  ')}"
    return _indent(text, indent)


def synced(template: str) -> str:
    def block(match: re.Match[str]) -> str:
        indent, name = match["indent"], match["name"]
        return (f"{indent}# >>> {name} (generated from gitlab/{name} by gitlab/sync.py; edit it there)\n"
                f"{_body(name, indent)}{indent}# <<< {name}\n")
    return BLOCK.sub(block, template)


def main(argv: list[str]) -> int:
    stale = []
    for path in TEMPLATES:
        text = path.read_text()
        if synced(text) != text:
            stale.append(path.name)
            if "--check" not in argv:
                path.write_text(synced(text))
    if stale and "--check" in argv:
        print(f"out of date: {', '.join(stale)}; run python3 gitlab/sync.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
