"""Write every CI integration's declarations from ``spec.json``: ``python -m kubepush.ci.generate [--check]``.

Run in the repository root. It writes the GitHub Actions (``action.yml``, ``actions/*/action.yml``:
their inputs and outputs, around the one step layout all share), the GitLab templates' generated
blocks (``spec: inputs``, the ``KP_<INPUT>`` variables and the job script ``gitlab/common.sh``:
a template must stand alone - a nested include resolves differently through include:project,
include:local and a CI/CD catalog component - so these are written into each between markers)
and the Jenkins steps' Returns lines (the Jenkins library holds no table: its steps run
:mod:`kubepush.ci.jenkins`, which reads ``spec.json`` itself). ``--check`` writes nothing
and exits 1 naming the files
that are out of date (the tests run it), so no declaration drifts from the mapping the runners use.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

from kubepush.ci import results, spec
from kubepush.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

GENERATED = "generated from src/kubepush/ci/spec.json by python -m kubepush.ci.generate; edit it there"
BLOCK = re.compile(r"(?P<indent>[ ]*)(?P<open>#|//) >>> (?P<name>\S+).*?\n.*?(?P=open) <<< (?P=name)\n", re.DOTALL)
#: GitLab inputs the job definition uses itself (no KP_ variable)
JOB_ONLY = frozenset({"job-image"})
#: the composite steps every action runs (tests/integration/ci/test_action_lint.py checks they stay one layout)
STEPS = """runs:
  using: composite
  steps:
    - id: prepare
      shell: bash
      env:
        KUBEPUSH_TOKEN: ${{ inputs.token }}
      run: bash "$GITHUB_ACTION_PATH/@LIB@/kubepush.sh" prepare
    - id: cache
      if: steps.prepare.outputs.present != 'true'
      uses: actions/cache/restore@v4
      with:
        path: ${{ steps.prepare.outputs.venv }}
        key: ${{ steps.prepare.outputs.key }}
    - id: install
      if: steps.prepare.outputs.present != 'true' && steps.cache.outputs.cache-hit != 'true'
      shell: bash
      env:
        KUBEPUSH_VENV: ${{ steps.prepare.outputs.venv }}
      run: bash "$GITHUB_ACTION_PATH/@LIB@/kubepush.sh" install
    - if: steps.install.outcome == 'success'
      uses: actions/cache/save@v4
      with:
        path: ${{ steps.prepare.outputs.venv }}
        key: ${{ steps.prepare.outputs.key }}
    - id: run
      shell: bash
      env:
        KUBEPUSH_COMMAND: @COMMAND@
        KUBEPUSH_INPUTS: ${{ toJSON(inputs) }}
        KUBEPUSH_VENV: ${{ steps.prepare.outputs.venv }}
      run: bash "$GITHUB_ACTION_PATH/@LIB@/kubepush.sh" run
"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def action(command: str | None) -> str:
    """One action.yml: the root action (``command`` None, input ``command``) or ``actions/<command>``."""
    data = spec.load()
    own = data["action"] if command is None else data["commands"][command]["action"]
    label = "kubepush" if command is None else f"kubepush {command}"
    out = [f"# {label}: {GENERATED}.",
           "# The logic is in actions/_lib/kubepush.sh and the Python module kubepush.ci.github.",
           f"name: {_quote(own['name'])}", f"description: {_quote(own['description'])}", "author: kubepush",
           "branding:", "  icon: upload-cloud", "  color: blue", "inputs:"]
    for name in own["inputs"]:
        entry = {**data["inputs"][name], **own.get("inputs-override", {}).get(name, {})}
        out += [f"  {name}:", f"    description: {_quote(entry['description'])}",
                f"    required: {'true' if entry.get('required') else 'false'}"]
        if "default" in entry:
            out.append(f"    default: {_quote(entry['default'])}")
    out.append("outputs:")
    for name in own["outputs"]:
        description = own.get("outputs-override", {}).get(name, data["outputs"][name]["description"])
        out += [f"  {name}:", f"    description: {_quote(description)}",
                f"    value: ${{{{ steps.run.outputs.{name} }}}}"]
    steps = STEPS.replace("@LIB@", "actions/_lib" if command is None else "../_lib")
    return "\n".join(out) + "\n" + steps.replace("@COMMAND@", "${{ inputs.command }}" if command is None else command)


def gitlab_inputs(command: str) -> list[str]:
    """The inputs a GitLab template declares besides its job placement (stage, job-name, rules, ...)."""
    names: list[str] = spec.load()["commands"][command]["gitlab"]["inputs"]
    return names


def _gitlab_block(command: str, name: str, indent: str, root: Path) -> str:
    data = spec.load()
    if name == "common.sh":  # one literal block: the script item that defines the functions
        text = (root / "gitlab" / "common.sh").read_text(encoding="utf-8")
        return f"{indent}- |\n{_indent(text, indent + '  ')}"
    if name == "inputs":
        overrides = data["commands"][command]["gitlab"].get("inputs-override", {})
        entries = {n: overrides.get(n, data["inputs"][n]["gitlab"]) for n in gitlab_inputs(command)}
        return _indent(yaml.safe_dump(entries, sort_keys=False, width=100, allow_unicode=True), indent)
    if name == "variables":
        return "".join(f'{indent}KP_{n.upper().replace("-", "_")}: "$[[ inputs.{n} ]]"\n'
                       for n in gitlab_inputs(command) if n not in JOB_ONLY)
    raise ValueError(f"gitlab/templates/{command}.yml: unknown generated block {name!r}")


def _indent(text: str, prefix: str) -> str:
    return "".join(prefix + line if line.strip() else line for line in text.splitlines(keepends=True))


def _blocks(text: str, body: Callable[[str, str], str]) -> str:
    def block(match: re.Match[str]) -> str:
        indent, mark, name = match["indent"], match["open"], match["name"]
        return f"{indent}{mark} >>> {name} ({GENERATED})\n{body(name, indent)}{indent}{mark} <<< {name}\n"
    return BLOCK.sub(block, text)


def gitlab_template(command: str, text: str, root: Path) -> str:
    return _blocks(text, lambda name, indent: _gitlab_block(command, name, indent, root))


#: the help file's Returns line (the Snippet Generator shows it); the rest of the help is prose
RETURNS = re.compile(r"^<p><b>Returns</b>.*$", re.MULTILINE)


def jenkins_help(command: str, text: str) -> str:
    """A step's help file with its Returns line listing what :func:`kubepush.ci.results.derive` gives."""
    names = ", ".join(spec.camel(name) for name in ("exit-code", *results.derive(command, {})))
    line = (f"<p><b>Returns</b> a Map: {names}, report (kubepush's JSON). "
            "<code>exitCode</code> is kubepush's exit code.</p>")
    return RETURNS.sub(lambda _: line, text, count=1)


def expected(root: Path) -> dict[Path, str]:
    """Every generated file under ``root`` and the text it must have."""
    files = {root / "action.yml": action(None)}
    for command, entry in spec.load()["commands"].items():
        if "action" in entry:
            files[root / "actions" / command / "action.yml"] = action(command)
        template = root / "gitlab" / "templates" / f"{command}.yml"
        if "gitlab" in entry:
            files[template] = gitlab_template(command, template.read_text(encoding="utf-8"), root)
        step = root / "jenkins" / "vars" / f"kubepush{command.title()}.txt"
        files[step] = jenkins_help(command, step.read_text(encoding="utf-8"))
    return files


def stale(root: Path) -> Iterable[tuple[Path, str]]:
    for path, text in expected(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            yield path, text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    roots = [a for a in argv if a != "--check"]
    root = Path(roots[0] if roots else ".")
    if not (root / "action.yml").exists() or not (root / "gitlab").is_dir():
        print(f"kubepush.ci.generate: {root.resolve()} is not the kubepush repository (no action.yml, gitlab/); "
              "run it in the repository root", file=sys.stderr)
        return EXIT_USAGE
    try:
        changes = list(stale(root))
    except (OSError, ValueError) as exc:
        print(f"kubepush.ci.generate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out_of_date = []
    for path, text in changes:
        out_of_date.append(str(path.relative_to(root)))
        if not check:
            path.write_text(text, encoding="utf-8")
    if out_of_date and check:
        print(f"out of date: {', '.join(out_of_date)}; run python -m kubepush.ci.generate", file=sys.stderr)
        return EXIT_FINDINGS
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
