"""The CI integrations' one input/output spec (``spec.json``) and the input -> flag mapping.

The GitHub Action, the GitLab templates and the Jenkins steps take the same inputs under
the same names (Jenkins in camelCase); ``spec.json`` declares them once. This module reads
it and turns a platform's input values into the ``kubepush`` arguments, so every runner
(:mod:`kubepush.ci.github`, :mod:`kubepush.ci.gitlab`, :mod:`kubepush.ci.jenkins`) maps inputs
the same way; :mod:`kubepush.ci.generate` writes the platforms' declarations from the same file.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

#: how an input becomes flags: value (``--f V``), list (``--f A --f B``), flag (``--f`` when
#: true), negate (``--f`` when false), tristate (``--f`` / ``--no-f``), paths (positional)
VALUE, LIST, FLAG, NEGATE, TRISTATE, PATHS = "value", "list", "flag", "negate", "tristate", "paths"
#: list inputs split on lines only (their items may contain commas)
LINES_ONLY = frozenset({"paths", "registry-auth"})


@dataclass(frozen=True)
class Flag:
    input: str
    kind: str
    flag: str = ""
    #: what an empty boolean input means (None: leave it to kubepush.yaml / kubepush's default)
    default: bool | None = None


@cache
def load() -> dict[str, Any]:
    """The parsed ``spec.json`` (package data)."""
    data: dict[str, Any] = json.loads(files("kubepush.ci").joinpath("spec.json").read_text(encoding="utf-8"))
    return data


def commands() -> tuple[str, ...]:
    return tuple(load()["commands"])


def flags(command: str) -> tuple[Flag, ...]:
    """The inputs of ``command`` that become flags, in argument order."""
    spec = load()
    defaults = spec["commands"][command].get("defaults", {})
    return tuple(Flag(name, spec["inputs"][name]["kind"], spec["inputs"][name].get("flag", ""), defaults.get(name))
                 for name in spec["commands"][command]["flags"])


def writes(command: str, report: str) -> bool:
    """Whether ``command`` writes the report format ``report`` (``reports`` in spec.json; every
    format when it lists none): ``status`` writes json and markdown, no annotations, SARIF or JUnit."""
    formats = load()["commands"][command].get("reports")
    return formats is None or report in formats


def report_flags(command: str, paths: dict[str, str]) -> list[str]:
    """``--report FORMAT=PATH`` (``--summary-md PATH`` for markdown) for each of ``paths`` that
    ``command`` writes: what a runner asks for, in its order."""
    argv: list[str] = []
    for report, path in paths.items():
        if writes(command, report):
            argv += ["--summary-md", path] if report == "markdown" else ["--report", f"{report}={path}"]
    return argv


def camel(name: str) -> str:
    """An input's Jenkins option name: ``fail-on-drift`` -> ``failOnDrift``."""
    head, *rest = name.split("-")
    return head + "".join(part.title() for part in rest)


def split_items(name: str, text: str) -> list[str]:
    """A list input: one item per line (commas too, except for inputs whose items may contain them)."""
    lines = text.splitlines() if name in LINES_ONLY else text.replace(",", "\n").splitlines()
    return [s.strip() for s in lines if s.strip()]


class BadInput(ValueError):
    """An input value the mapping cannot take (a boolean that is neither true nor false)."""


#: an input's value as a platform gives it: text (one item per line / comma) or, from a Jenkins
#: step's config, a list of items taken as they are
Given = str | Sequence[str]


def parse_bool(name: str, text: str, default: bool | None = None) -> bool | None:
    value = text.strip().lower()
    if not value:
        return default
    if value not in ("true", "false"):
        raise BadInput(f"input {name}: expected true or false, got {value!r}")
    return value == "true"


def given_items(name: str, given: Given) -> list[str]:
    if isinstance(given, str):
        return split_items(name, given)
    return [s.strip() for s in given if s.strip()]


def given_text(given: Given) -> str:
    return given if isinstance(given, str) else ", ".join(given)


def build_argv(command: str, value: Callable[[str], Given], args: Given = "",
               label: Callable[[str], str] = str) -> tuple[list[str], list[str]]:
    """``(argv, positional)`` for ``command``: ``argv`` is the command and its flags from the inputs
    (``value(name)`` gives an input's text, '' when unset) with ``args`` shell-split last (a list:
    one argument each); the positional paths go after ``--``, which the caller adds once it has put
    its own flags in. ``label`` spells an input's name as the platform does in an error."""
    argv, positional = [command], []
    for spec in flags(command):
        given = value(spec.input)
        if spec.kind == VALUE and given_text(given).strip():
            argv += [spec.flag, given_text(given).strip()]
        elif spec.kind == LIST:
            for item in given_items(spec.input, given):
                argv += [spec.flag, item]
        elif spec.kind == PATHS:
            positional += given_items(spec.input, given)
        elif spec.kind != VALUE:
            on = parse_bool(label(spec.input), given_text(given), spec.default)
            if spec.kind == FLAG and on or spec.kind == NEGATE and on is False:
                argv.append(spec.flag)
            elif spec.kind == TRISTATE and on is not None:
                argv.append(f"--{spec.flag}" if on else f"--no-{spec.flag}")
    if not isinstance(args, str):
        return argv + given_items("args", args), positional
    try:
        return argv + shlex.split(args), positional
    except ValueError as exc:  # an unclosed quote
        raise BadInput(f"input {label('args')}: {exc} in {args!r}") from None


def with_positional(argv: list[str], positional: list[str]) -> list[str]:
    return argv + (["--", *positional] if positional else [])

