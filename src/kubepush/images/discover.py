"""Find every image reference in a config repository, with the exact text to edit.

``bump`` and ``kubepush images`` both call :func:`discover_paths`, so what the
listing shows is exactly what bump would touch. Each
:class:`~kubepush.images.sites.ImageSite` carries the parsed reference *and*
where its parts are written: the character span of the tag, of the digest, or
of the whole scalar. :mod:`kubepush.images.edit` changes only those characters,
which is why discovery works on libyaml's node tree (positions, quoting style)
rather than on loaded Python objects.

The pipeline: the paths are walked like every command walks them
(:mod:`kubepush.manifests.walk`), each file is read by :mod:`.scan`, and each
document goes to the detectors of :mod:`.detect`, one per source kind
(``container``, ``kustomize``, ``helm-values``, ``marker``).

Unrendered placeholders (``{{ .Values.x }}``, ``${IMAGE}``, ``<image>``,
``SED_STYLE_PLACEHOLDERS``) are reported as ``image-placeholder`` (info) and
skipped; an invalid reference where an image must be is an
``invalid-image-reference`` finding, never an exception.

Speed: a cheap byte search skips files that cannot hold an image key before
anything is parsed, files that hold nothing but CRDs are not composed,
subtrees in which no candidate key is written are not walked, and a large
repository is shared with a second process when a core is idle
(``benchmarks/discover.py`` measures it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubepush.errors import UsageError
from kubepush.images.detect import markers
from kubepush.images.detect.helm import parse_value_paths
from kubepush.images.scan import candidate_keys, scan_bytes, scan_file
from kubepush.images.sites import Discovery, ImageSite, Path_
from kubepush.manifests import walk


def list_images(paths: Sequence[str | os.PathLike[str]], **options: Any) -> list[ImageSite]:
    """Every image site under ``paths`` - what ``kubepush images`` prints and bump edits."""
    return discover_paths(paths, **options).sites


def discover_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    extra_value_paths: Sequence[Mapping[str, str]] = (),
    values_files: Iterable[str | os.PathLike[str]] = (),
    mentions: Iterable[str] = (),
    jobs: int | None = None,
) -> Discovery:
    """Discover images in files and directories (walked for ``*.yaml``/``*.yml``/``Kustomization``).

    ``mentions`` narrows the search for bump: only files whose text contains
    one of these strings (say the last path component of the repository being
    bumped, which every way of writing that image contains) or a Flux marker are
    parsed. Files are still counted, so the result says how many were looked at.

    ``jobs`` processes share the files (default: two for large repositories
    when it is safe to fork); the result is the same, in the same order.
    """
    files = list(iter_files(paths))
    scan = _Scan(
        value_paths=parse_value_paths(extra_value_paths),
        declared=frozenset(os.path.normpath(os.fspath(p)) for p in values_files),
        wanted=tuple(m.encode("utf-8") for m in mentions if m) + ((markers.TOKEN.encode(),) if mentions else ()),
    )
    workers = _workers(len(files)) if jobs is None else max(1, jobs)
    if workers == 1:
        return scan(files)
    import multiprocessing  # only large repositories pay for the import

    # The others also pickle their results, which this process unpickles only once
    # they arrive: it scans a slightly larger share so that everyone ends together.
    own = int(len(files) * 1.1 / workers)
    chunk = -(-(len(files) - own) // (workers - 1))
    parts = [files[i:i + chunk] for i in range(own, len(files), chunk)]
    with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
        pending = [pool.apply_async(scan, (part,)) for part in parts]
        result = scan(files[:own])
        for job in pending:
            result.extend(job.get())
    return result


#: Below this many files a second process costs more than it saves.
PARALLEL_MIN_FILES = 1500


def _workers(files: int) -> int:
    """Two processes for a large repository when a core is idle and forking is safe.

    A second process only pays off on an idle core: on a saturated CI runner it
    competes with the first and adds pickling, so the load average decides. Forking
    a process that runs other threads can deadlock the child, so then never.
    """
    import threading

    if files < PARALLEL_MIN_FILES or threading.active_count() > 1 or sys.platform != "linux":
        return 1
    cpus = len(os.sched_getaffinity(0))
    return 2 if cpus >= 2 and cpus - os.getloadavg()[0] >= 1 else 1


@dataclass(frozen=True, slots=True)
class _Scan:
    """Discovery over a list of files, picklable so a forked worker can run a share."""

    value_paths: list[dict[str, Path_]]
    declared: frozenset[str]
    wanted: tuple[bytes, ...]

    def __call__(self, files: list[str]) -> Discovery:
        keys = candidate_keys(self.value_paths)
        result = Discovery()
        for path in files:
            result.extend(
                scan_file(path, self.value_paths, os.path.normpath(path) in self.declared, keys, self.wanted)
            )
        return result


def discover(
    path_or_text: str | bytes | os.PathLike[str],
    *,
    file: str = "",
    extra_value_paths: Sequence[Mapping[str, str]] = (),
    values_file: bool | None = None,
) -> Discovery:
    """Discover images in one file (a path) or in YAML text (``str``/``bytes``).

    ``file`` names text for messages and decides, like a real file name would,
    whether it is a kustomization or a values file; ``values_file=True`` declares
    it a Helm values file whatever its name.
    """
    value_paths = parse_value_paths(extra_value_paths)
    if isinstance(path_or_text, os.PathLike):
        path = os.fspath(path_or_text)
        return scan_file(path, value_paths, bool(values_file), candidate_keys(value_paths))
    data = path_or_text.encode("utf-8") if isinstance(path_or_text, str) else path_or_text
    return scan_bytes(data, file or "<text>", value_paths, values_file, candidate_keys(value_paths))


def iter_files(paths: Sequence[str | os.PathLike[str]]) -> Iterator[str]:
    """YAML files under ``paths`` in a stable order, found as every command finds them."""
    for arg in paths:
        path = os.fspath(arg)
        if os.path.isfile(path):
            yield path
        elif os.path.isdir(path):
            yield from walk.files(path, _is_yaml)
        else:
            raise UsageError(f"{path}: no such file or directory")


def _is_yaml(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) or name == "Kustomization"
