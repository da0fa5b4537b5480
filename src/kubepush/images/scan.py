"""Image discovery in one file: cheap tests that skip it, then each document's detectors.

Most files of a config repository hold no image (Services, RBAC, CRDs), so a
file is composed only when a byte search finds a key that can hold an image
part (or a Flux marker), it is not made of CRDs only and not a Helm template;
within a composed document, subtrees in which no such key is written are not
walked (:meth:`~kubepush.images.detect.collect.FileContext.holds_key`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import yaml

from kubepush.errors import UsageError
from kubepush.images.detect import document, markers
from kubepush.images.detect.collect import FileContext
from kubepush.images.detect.helm import is_values_file
from kubepush.images.nodes import Composer
from kubepush.images.sites import Discovery, Path_
from kubepush.manifests.encoding import decode_utf8
from kubepush.manifests.errors import YAMLError
from kubepush.manifests.kustomization import FILES as KUSTOMIZATION_FILES
from kubepush.manifests.nesting import MAX_NESTING, too_deep
from kubepush.model import Finding, Severity

_CANDIDATE_KEYS = (r"(?i:image)s?", r"repository", r"newTag", r"newName", r"digest")
_TOP_KIND = re.compile(rb"(?m)^kind:[ \t]*[\"']?([A-Za-z]+)")


@dataclass(frozen=True, slots=True)
class Keys:
    """The keys that can hold an image part: a byte search to skip files, a text search to skip subtrees."""

    in_bytes: re.Pattern[bytes]
    in_text: re.Pattern[str]


def candidate_keys(value_paths: list[dict[str, Path_]]) -> Keys:
    """The keys every detector reads, plus the last key of each path a chart declares."""
    keys = list(_CANDIDATE_KEYS)
    for spec in value_paths:
        for parts in spec.values():
            leaf = next((p for p in reversed(parts) if isinstance(p, str)), None)
            if leaf:
                keys.append(re.escape(leaf))
    pattern = "(?:" + "|".join(keys) + ")[\"']?[ \t]*:"
    return Keys(
        in_bytes=re.compile((pattern + "|" + re.escape(markers.TOKEN)).encode()),
        in_text=re.compile(pattern),
    )


def scan_file(
    path: str, value_paths: list[dict[str, Path_]], declared: bool, keys: Keys, wanted: tuple[bytes, ...] = ()
) -> Discovery:
    """The file at ``path``; with ``wanted``, only if it contains one of these byte strings."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    if wanted and not any(w in data for w in wanted):
        return Discovery(files=1)
    return scan_bytes(data, path, value_paths, True if declared else None, keys)


def scan_bytes(
    data: bytes,
    file: str,
    value_paths: list[dict[str, Path_]],
    values_file: bool | None,
    keys: Keys,
) -> Discovery:
    """``data`` as the file named ``file`` (whose name says if it is a kustomization or values file)."""
    result = Discovery(files=1)
    if not keys.in_bytes.search(data):
        return result
    if too_deep(data):  # the parser would crash the process, not raise
        result.findings.append(Finding(
            rule="yaml-syntax", severity=Severity.WARNING, file=file,
            message=f"collections nested more than {MAX_NESTING} levels deep; images not read",
        ))
        return result
    has_marker = markers.TOKEN.encode() in data
    if not has_marker and _only_crds(data):
        return result  # schemas are full of `image:` property names, never images
    name = os.path.basename(file)
    if os.sep + "templates" + os.sep in os.sep + file and b"{{" in data:
        return result  # a Helm template: its images are in the values files
    try:
        text = decode_utf8(data)
    except YAMLError as exc:  # every image in the file is unseen: an error, where validate puts it
        result.findings.append(
            Finding(rule="yaml-syntax", severity=Severity.ERROR, file=file, line=exc.line, column=exc.column,
                    message=f"{exc.message}: its images were not read", hint=exc.hint)
        )
        return result
    base = 1 if text.startswith("\ufeff") else 0
    body = text[base:]
    ctx = FileContext(
        file=file,
        text=text,
        base=base,
        kustomization=name in KUSTOMIZATION_FILES,
        values=values_file if values_file is not None else is_values_file(name),
        value_paths=value_paths,
        marker_lines=markers.locate(body) if has_marker else [],
        keys=[m.start() for m in keys.in_text.finditer(body)],
    )
    result.parsed = 1
    try:
        # compose_all only composes: any class with libyaml's parser and a resolver will do
        for index, root in enumerate(yaml.compose_all(body, Loader=Composer)):  # type: ignore[arg-type]
            if root is not None:
                document.scan(ctx, index, root, result)
    except RecursionError:
        result.findings.append(Finding(
            rule="yaml-syntax", severity=Severity.WARNING, file=file,
            message="collections nested too deeply; the rest of the file was not read for images",
        ))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        result.findings.append(
            Finding(rule="yaml-syntax", severity=Severity.WARNING, file=file,
                    line=mark.line + 1 if mark else 0, column=mark.column + 1 if mark else 0,
                    message=f"YAML syntax error, images after this point not read: {getattr(exc, 'problem', exc)}",
                    hint="fix the YAML (kubepush validate shows the details)")
        )
    return result


def _only_crds(data: bytes) -> bool:
    """Every document's top-level ``kind:`` is CustomResourceDefinition (so there is nothing to parse)."""
    kinds = _TOP_KIND.findall(data)
    return bool(kinds) and all(k == b"CustomResourceDefinition" for k in kinds)
