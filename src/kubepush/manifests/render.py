"""Render kustomize overlays and Helm charts to plain YAML.

Both tools are run as subprocesses (kustomize: the ``kustomize`` binary when on
PATH, else ``kubectl kustomize``; Helm: ``helm template``). Rendered documents
must still point back to the file a human edits, so kustomize is asked for
``originAnnotations`` (through a throw-away wrapper kustomization: the user's
files are never touched) and Helm's ``# Source:`` comments are kept.

A tool that runs and fails raises :class:`RenderFailed` (a finding about the manifests,
see :mod:`kubepush.manifests.render_errors`); a tool that is missing, does not start or
hangs is :class:`UsageError` (the environment).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from kubepush.errors import UsageError
from kubepush.manifests.kustomization import FILES as KUSTOMIZATION_FILES

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
#: which directory of a joint build (:func:`kustomize_many`) an object came from; removed again on load
PART_ANNOTATION = "kubepush.dev/render-part"
RENDER_TIMEOUT_S = 120


#: renders kept by :func:`reused` while its block runs (None: every call renders)
_kept: dict[tuple[str, ...], Any] | None = None
T = TypeVar("T")


@contextlib.contextmanager
def reused() -> Iterator[None]:
    """Within the block a directory is rendered once: ``apply`` validates a target and then loads it
    to apply it, and must apply what it validated - not a second build, which costs kustomize's
    time again and could differ (a remote base moved, a generator's input edited meanwhile). A
    failed render is not kept: the next step tries and reports it itself."""
    global _kept
    outer, _kept = _kept, {} if _kept is None else _kept
    try:
        yield
    finally:
        _kept = outer


def _once(key: tuple[str, ...], build: Callable[[], T]) -> T:
    if _kept is None:
        return build()
    if key not in _kept:
        _kept[key] = build()
    kept: T = _kept[key]
    return kept


class RenderFailed(Exception):
    """The renderer ran and exited non-zero; ``stderr`` is what it printed."""

    def __init__(self, stderr: str, returncode: int) -> None:
        super().__init__(stderr.strip() or f"exit code {returncode}")
        self.stderr = stderr or f"exit code {returncode}"


def is_kustomization_dir(path: Path) -> bool:
    return any((path / name).is_file() for name in KUSTOMIZATION_FILES)


def is_chart_dir(path: Path) -> bool:
    return (path / "Chart.yaml").is_file()


def _kustomize_command() -> list[str]:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    raise UsageError(
        "rendering a kustomization needs `kustomize` or `kubectl` on PATH: "
        "install kubectl (it has kustomize built in) or pass rendered YAML instead"
    )


def kustomize(directory: Path) -> tuple[str, Path]:
    """Render a kustomization directory; resources carry an origin annotation.

    The wrapper kustomization sits in a temporary directory and refers to the
    target by relative path (kustomize refuses absolute ones). Origin paths are
    relative to the wrapper, so its (by then removed) directory is returned to
    resolve them with :func:`origin_file`.
    """
    return _once(("kustomize", str(directory.resolve())), lambda: _kustomize(directory))


def _kustomize(directory: Path) -> tuple[str, Path]:
    import tempfile  # here and in _run: validating plain files never starts a renderer

    command = _kustomize_command()
    with tempfile.TemporaryDirectory(prefix="kubepush-kustomize-") as tmp:
        target = os.path.relpath(directory.resolve(), tmp)
        Path(tmp, "kustomization.yaml").write_text(
            f"resources:\n- {target}\nbuildMetadata: [originAnnotations]\n", encoding="utf-8"
        )
        return _run([*command, tmp], what=f"kustomize build of {directory}"), Path(tmp)


def kustomize_many(directories: list[Path]) -> tuple[str, Path]:
    """Render several kustomization directories in one kustomize process.

    One build costs about as much as starting kustomize does, so a preview of twenty overlays
    builds them together: a wrapper lists one part per directory, each part refers to its
    directory and marks what it yields with :data:`PART_ANNOTATION` (its index), and
    :func:`kubepush.manifests.sources.split_parts` hands each directory its own objects with the
    mark removed. The parts add nothing else, so every object is what its directory's own build
    gives. Objects of two directories with the same identity make kustomize refuse the joint
    build (:class:`RenderFailed`, as does any one directory failing): the caller then builds them
    one by one, which also tells which directory failed.
    """
    import tempfile

    command = _kustomize_command()
    with tempfile.TemporaryDirectory(prefix="kubepush-kustomize-") as tmp:
        parts = []
        for i, directory in enumerate(directories):
            part = Path(tmp, f"part-{i}")
            part.mkdir()
            target = os.path.relpath(directory.resolve(), part)
            (part / "kustomization.yaml").write_text(
                f"resources:\n- {target}\ncommonAnnotations:\n  {PART_ANNOTATION}: \"{i}\"\n", encoding="utf-8")
            parts.append(f"- part-{i}\n")
        Path(tmp, "kustomization.yaml").write_text(
            "resources:\n" + "".join(parts) + "buildMetadata: [originAnnotations]\n", encoding="utf-8")
        return _run([*command, tmp], what=f"kustomize build of {len(directories)} directories"), Path(tmp)


def helm_template(chart: Path, values: list[Path] | None = None, release: str = "release") -> str:
    """Render a chart with ``helm template`` (no cluster access)."""
    if not shutil.which("helm"):
        raise UsageError(
            f"{chart} is a Helm chart, and rendering it needs `helm` on PATH "
            "(see https://helm.sh/docs/intro/install/), or render it yourself and validate the output"
        )
    command = ["helm", "template", release, str(chart)]
    for v in values or []:
        command += ["--values", str(v)]
    key = ("helm", str(chart.resolve()), release, *(str(Path(v).resolve()) for v in values or []))
    return _once(key, lambda: _run(command, what=f"helm template of {chart}"))


def _run(command: list[str], what: str) -> str:
    import subprocess

    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=RENDER_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"{what} did not finish within {RENDER_TIMEOUT_S}s") from None
    except OSError as exc:
        raise UsageError(f"{what} could not start: {exc}") from None
    if proc.returncode != 0:
        raise RenderFailed(proc.stderr, proc.returncode)
    return proc.stdout


def origin_file(annotation: str, wrapper: Path) -> str:
    """The source file named by kustomize's origin annotation, relative to cwd when possible.

    Origins of remote resources (``repo:``) have no local file: empty string.
    """
    fields = dict(line.split(":", 1) for line in annotation.splitlines() if ":" in line)
    if "repo" in fields or "path" not in fields:
        return ""
    return os.path.relpath(os.path.normpath(wrapper / fields["path"].strip()))
