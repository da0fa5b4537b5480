"""The base revision's renders kept between runs, keyed by the git tree they were rendered from.

Every push to a pull request previews against the same base, and so does every other pull request
against the same commit of the base branch: rendering it again gives the same objects. A render is
kept under a key of everything it depends on - the base's root tree id (a tree id names its whole
content), the target's paths, the renderers (path, size and time of each kustomize, kubectl and
helm binary) and this kubepush - so a hit is the same render, and any change to an input is a miss.
Only renders without findings are kept: a failure is reported afresh each time.

Where: ``KUBEPUSH_CACHE_DIR`` - nothing is kept without it, so no run writes outside its workspace
unasked. CI keeps that directory between runs with its own cache (``actions/cache``, GitLab
``cache:``, keyed by the base commit). The newest :data:`KEEP` entries stay.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import orjson

from kubepush import __version__
from kubepush.atomic import AtomicFile
from kubepush.preview.compare import Placed
from kubepush.preview.load import Rendered

#: entries kept (the oldest go first): a few base commits' worth of targets
KEEP = 2000
_FORMAT = 1


def directory() -> Path | None:
    """The cache directory (``KUBEPUSH_CACHE_DIR``), or None when caching is off."""
    chosen = os.environ.get("KUBEPUSH_CACHE_DIR", "").strip()
    return Path(chosen) if chosen else None


def _renderers() -> list[Any]:
    out: list[Any] = []
    for tool in ("kustomize", "kubectl", "helm"):
        found = shutil.which(tool)
        if found:
            info = os.stat(found)
            out.append([tool, os.path.realpath(found), info.st_size, info.st_mtime_ns])
    return out


def key(tree: str, paths: list[str]) -> str:
    """The key of a target's render: its paths (relative to the repository) in the tree ``tree``."""
    data = orjson.dumps([_FORMAT, __version__, tree, sorted(paths), _renderers()])
    return hashlib.sha256(data).hexdigest()


def load(where: Path, name: str, root: Path) -> Rendered | None:
    """A kept render, its files named as the caller names them (relative to the current directory)."""
    path = where / f"{name}.json"
    try:
        data = orjson.loads(path.read_bytes())
        objects = {tuple(k): Placed(obj, os.path.relpath(root / file), line, document)
                   for k, obj, file, line, document in data["objects"]}
        os.utime(path)  # recently used: kept longest
        return Rendered(objects=objects, files=int(data["files"]))
    except (OSError, ValueError, KeyError, TypeError):  # absent, or not ours: render it
        return None


def save(where: Path, name: str, rendered: Rendered, root: Path) -> None:
    """Keep a render without findings (its files relative to the repository ``root``); a cache that
    cannot be written only costs the next run its time."""
    if rendered.findings:
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        with AtomicFile(where / f"{name}.json", binary=True) as out:
            out.stream.write(orjson.dumps({"objects": [[list(k), p.obj, os.path.relpath(os.path.abspath(p.file), root),
                                                        p.line, p.document] for k, p in rendered.objects.items()],
                                           "files": rendered.files}))
        _trim(where)
    except (OSError, TypeError):
        return


def _trim(where: Path) -> None:
    entries = sorted(where.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[KEEP:]:
        stale.unlink(missing_ok=True)
