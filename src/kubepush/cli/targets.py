"""``kubepush targets``: the targets of kubepush.yaml a change affects, for CI fan-out.

Each CI system spreads the targets over parallel jobs with its own engine:
``--format github-matrix`` for ``strategy.matrix: ${{ fromJSON(...) }}``, ``--format
gitlab`` for a child pipeline (``trigger: include: artifact``) with ``parallel:matrix``,
``--format json`` for Jenkins ``parallel`` (``readJSON``). Each target carries its dependency
*wave* (``dependsOn``, :mod:`kubepush.dependencies`, among the targets listed): a matrix cannot
order its jobs, so a pipeline runs one job per wave (``needs:`` on the previous one, GitLab
stages, Jenkins ``parallel`` per wave), or selects a wave with ``--wave N``. Exit codes: 0 listed
(also when nothing is affected), 2 usage or environment error (no config, unknown ref).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubepush import config as configuration
from kubepush import dependencies
from kubepush.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from kubepush.manifests.affected import Affected

FORMATS = ("text", "json", "github-matrix", "gitlab")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--changed-since", metavar="REF",
                        help="only targets touched by files changed on HEAD since it forked from REF "
                             "(git diff REF...HEAD; needs that history, e.g. fetch-depth: 0)")
    parser.add_argument("-f", "--format", choices=FORMATS, default="text",
                        help="text (default), json (a list for Jenkins), github-matrix ({\"include\": [...]} "
                             "for fromJSON), gitlab (a child pipeline with parallel:matrix)")
    parser.add_argument("--wave", type=int, metavar="N",
                        help="only the targets of dependency wave N (0: those depending on none of the listed "
                             "targets; N: those whose deepest dependency is in wave N-1)")
    gitlab = parser.add_argument_group("--format gitlab")
    gitlab.add_argument("--gitlab-extends", default=".kubepush", metavar="JOB",
                        help="hidden job each matrix job extends (default .kubepush)")
    gitlab.add_argument("--gitlab-include", action="append", default=[], metavar="FILE",
                        help="local file of the repository defining that job (repeatable)")


def run(args: argparse.Namespace) -> int:
    from kubepush.manifests.affected import Affected, affected

    cfg = configuration.load(args.config)
    if cfg.path is None:
        raise UsageError("no kubepush.yaml here: targets come from its targets list (or pass --config FILE)")
    if not cfg.targets:
        raise UsageError(f"{cfg.path}: no targets defined")
    pairs = [(t.name, t.path) for t in cfg.targets]
    if args.changed_since:
        root, changed = _changed_files(args.changed_since)
        selected = affected(pairs, changed, root, Path(cfg.path))
    else:
        selected = [Affected(name, path, ["all targets"]) for name, path in pairs]
    names = [a.name for a in selected]
    waves = {name: n for n, wave in enumerate(dependencies.waves(dependencies.within(
        {t.name: t.depends_on for t in cfg.targets}, names))) for name in wave}
    if args.wave is not None:
        if args.wave < 0:
            raise UsageError("--wave must be 0 or more")
        selected = [a for a in selected if waves[a.name] == args.wave]
    if not selected and args.format == "github-matrix" and args.quiet == 0:
        # GitHub rejects a strategy.matrix without a single entry: the job must not start at all
        sys.stderr.write("kubepush targets: no target affected; the matrix is empty, which GitHub refuses as "
                         "strategy.matrix: skip the job with if: needs.<job>.outputs.count != '0' (the Action's "
                         "count output)\n")
    sys.stdout.write(render(selected, args.format, args.gitlab_extends, args.gitlab_include, waves))
    return EXIT_OK


def _changed_files(ref: str) -> tuple[Path, list[str]]:
    """The work tree's top directory and the files changed since ``ref``, relative to it."""
    from kubepush.gitops import Repo
    from kubepush.gitops.runner import Git

    top = Git(Path.cwd()).run("rev-parse", "--show-toplevel", what="finding the git checkout").stdout.strip()
    root = Path(top)
    return root, Repo(root, "", Git(root)).changed_since(ref)


def render(selected: list[Affected], fmt: str, extends: str = ".kubepush", includes: list[str] | None = None,
           waves: dict[str, int] | None = None) -> str:
    """The list in one of :data:`FORMATS` (newline-terminated), each target with its ``wave``."""
    waves = waves or {}
    rows: list[dict[str, Any]] = [{"target": a.name, "path": a.path, "wave": waves.get(a.name, 0)}
                                  for a in selected]
    if fmt == "github-matrix":
        return json.dumps({"include": rows}, separators=(",", ":")) + "\n"
    if fmt == "json":
        return json.dumps([{**row, "reasons": a.reasons} for row, a in zip(rows, selected)], indent=2) + "\n"
    if fmt == "gitlab":
        return _gitlab(rows, extends, includes or [])
    width = max((len(a.name) for a in selected), default=0)
    ordered = len(set(waves.values())) > 1
    lines = [f"{a.name:{width}}  {f'wave {waves.get(a.name, 0)}  ' if ordered else ''}{a.path}  "
             f"({'; '.join(a.reasons[:3])}"
             f"{f' and {len(a.reasons) - 3} more' if len(a.reasons) > 3 else ''})" for a in selected]
    return "".join(line + "\n" for line in lines) or "no target affected\n"


def _gitlab(rows: list[dict[str, Any]], extends: str, includes: list[str]) -> str:
    """A child pipeline: one ``parallel:matrix`` job over the targets - one per dependency wave,
    each in its own stage so a wave starts when the one before passed - or one no-op job when
    none is affected (GitLab rejects a pipeline without jobs)."""
    import yaml

    pipeline: dict[str, Any] = {}
    if includes:
        pipeline["include"] = [{"local": path} for path in includes]
    present = sorted({r["wave"] for r in rows})
    if len(present) > 1:
        pipeline["stages"] = [f"wave-{n}" for n in present]
    for n in present:
        job: dict[str, Any] = {"extends": extends}
        if len(present) > 1:
            job["stage"] = f"wave-{n}"
        job["parallel"] = {"matrix": [{"KUBEPUSH_TARGET": r["target"], "KUBEPUSH_PATH": r["path"]}
                                      for r in rows if r["wave"] == n]}
        pipeline["kubepush" if len(present) == 1 else f"kubepush-wave-{n}"] = job
    if not rows:
        pipeline["kubepush-nothing-to-do"] = {"script": ["echo 'kubepush: no target affected by this change'"]}
    header = "# generated by kubepush targets: one job per affected target\n"
    return header + yaml.safe_dump(pipeline, sort_keys=False, default_flow_style=False)
