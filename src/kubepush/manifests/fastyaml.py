"""Fast path for reading manifests: a Rust YAML parser, checked against YAML 1.1.

``yaml-rs`` parses about six times faster than PyYAML's C loader, which is what
lets validate beat kubeconform. But it resolves scalars by YAML 1.2 rules, and
Kubernetes uses YAML 1.1 (see :mod:`.yaml11`). The two only disagree on a few
plain-scalar spellings (``yes``/``on``/``y``, leading-zero and ``0b`` numbers,
underscores in numbers, ``<<`` merges) and on non-string keys, all of which a
regular expression finds in the raw text. A document containing any of them,
or one yaml-rs rejects, goes to the exact slow path instead; so the fast path
never returns a value the reference parser would not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml_rs

from kubepush.manifests import yaml11

# A document marker: '---' or '...' at column 0 followed by blank/end of line.
_MARKER = re.compile(r"^(---|\.\.\.)(?=[ \t\r\n]|$)", re.M)

# Plain scalars whose meaning differs between YAML 1.1 (Kubernetes) and 1.2 (yaml-rs),
# in value position (after ': ', '- ', or inside a flow collection).
_TOKEN_11 = (
    r"(?:[yYnN]|[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF|<<"
    r"|[-+]?0[0-9_]*[0-9_]|[-+]?0[bBoOxX][0-9a-fA-F_]*"
    r"|[-+]?[0-9.]*_[0-9_.eE+-]*)"
)
_SUSPECT = re.compile(
    r"(?:(?:^|[:?-])[ \t]+|^|[,\[{][ \t]*)" + _TOKEN_11 + r"[ \t]*(?:#.*)?(?:$|[,\]}])"
    # a key that is not a plain string (number, bool, null) becomes a different JSON key
    r"|^[ \t]*(?:-[ \t]+)*(?:[0-9+~.]|-(?![ \t]))[^:\n]*:(?:[ \t]|$)"
    r"|^[ \t]*(?:-[ \t]+)*(?i:true|false|null|y|n|yes|no|on|off):(?:[ \t]|$)"
    # flow-mapping keys of the same kinds
    r"|[{,][ \t]*(?:[0-9+~.-][^:,}\n]*|(?i:true|false|null|y|n|yes|no|on|off)):[ \t]",
    re.M,
)


@dataclass(slots=True)
class RawDocument:
    """One document's text and where it starts in its file (0-based line)."""

    text: str
    line_offset: int
    index: int


def split_documents(text: str) -> Iterator[RawDocument]:
    """Split a YAML stream at document markers, keeping each document's first line.

    Splitting first (instead of parsing the whole stream) is what lets one broken
    document be reported while its neighbours are still validated, and keeps
    memory per document. Markers inside block scalars cannot be at column 0, so
    a line-based split is exact for well-formed streams.
    """
    index = 0
    start = 0
    start_line = 0
    line = 0
    pos = 0
    for match in _MARKER.finditer(text):
        line += text.count("\n", pos, match.start())
        pos = match.start()
        chunk = text[start : match.start()]
        if _has_content(chunk):
            yield RawDocument(chunk, start_line, index)
            index += 1
        if match.group(1) == "---":
            start, start_line = match.start(), line
        else:  # '...' ends a document; skip the marker line itself
            end = text.find("\n", match.end())
            start = len(text) if end < 0 else end + 1
            start_line = line + 1
    chunk = text[start:]
    if _has_content(chunk):
        yield RawDocument(chunk, start_line, index)


_CONTENT = re.compile(r"^(?![ \t]*(?:#|---[ \t]*(?:#.*)?$|$)).", re.M)


def _has_content(chunk: str) -> bool:
    """True when a chunk has anything but blank lines, comments and a bare '---'."""
    return _CONTENT.search(chunk) is not None


def parse(raw: RawDocument) -> Any:
    """Parse one document with Kubernetes semantics; fast when it is safe to be.

    Raises :class:`yaml11.YAMLError` (with file-relative lines) for invalid YAML.
    """
    # At the end of a file without a final newline, yaml-rs keeps a newline at the
    # end of a block scalar that libyaml (and so kubectl) does not: slow path.
    if raw.text.endswith("\n") and _SUSPECT.search(raw.text) is None:
        try:
            value = yaml_rs.loads(raw.text, parse_datetime=False)
        except (ValueError, TypeError, OverflowError):
            pass  # let the reference parser produce the authoritative error
        else:
            # yaml-rs returns a list for a multi-document stream too; a manifest is a
            # mapping, so a list result (rare) is settled by the reference parser.
            if not isinstance(value, list):
                return value
    return yaml11.parse_document(raw.text, raw.line_offset).value
