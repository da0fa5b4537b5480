"""Which files under a directory kubepush reads: one rule for every command.

validate, diff and apply read manifests and bump edits images from the same walk,
so what bump would change is always something validate checks:

- a name starting with ``.`` is skipped, file or directory: ``.git``, ``.github``,
  editor files and CI configurations (``.gitlab-ci.yml``) are never manifests;
- a symbolic link to a directory is not followed: it can point outside the
  checkout (bump would edit, validate would print, files the repository does not
  hold) or back into it (a loop, or every file under two names); git records
  such a link, not the files behind it. A link to a file is read as that file;
  anything else that is not a regular file (a dangling link, a pipe) is skipped;
- entries come in name order, depth first, a directory's files and
  subdirectories interleaved by name (as Go's ``filepath.Walk`` does), so every
  command lists the same files in the same order;
- a directory that cannot be read is an error naming it, never silently left out.

A path given on the command line is taken as given (a link to a directory named
there is walked): the rule is about what a walk finds, not what the user names.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from kubepush.errors import UsageError


def walk(
    directory: str,
    accept: Callable[[str], bool],
    unit: Callable[[str], str | None] | None = None,
) -> Iterator[tuple[str, str | None]]:
    """``(path, None)`` for every file under ``directory`` whose name ``accept`` takes.

    A directory (``directory`` itself included) for which ``unit`` returns a kind
    is yielded as ``(path, kind)`` instead of being walked: a kustomization or a
    Helm chart is rendered as one unit, its files are the renderer's inputs.
    """
    kind = unit(directory) if unit else None
    if kind is not None:
        yield directory, kind
        return
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        raise UsageError(f"{directory}: cannot read directory: {exc.strerror}") from None
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from walk(entry.path, accept, unit)
        elif accept(name) and entry.is_file():
            yield entry.path, None


def files(directory: str, accept: Callable[[str], bool]) -> Iterator[str]:
    """Every file under ``directory`` whose name ``accept`` takes (no units)."""
    for path, _ in walk(directory, accept):
        yield path
