"""The bundled ``_definitions.json``, parsed one definition at a time.

The file holds every definition of a Kubernetes version (1.8 MB, ~860 of them); checking a
Deployment needs ~120, a ConfigMap 4. Parsing the whole file costs ~10-15 ms of every run,
most of a one-file validate's schema work, so :class:`Definitions` finds where each
definition's text is and parses only those asked for.

That is exact because the file is pretty-printed JSON: a JSON string holds no raw newline,
so at the indentation of ``$defs``' members only its members' keys begin a line, and each
member's text runs to the next such key. The spans are checked before use (every line at
that indentation is a key this reader understood; each span parses as one JSON value) and
anything unexpected - a minified or differently laid out file, a key with an escape - falls
back to parsing the whole file, so the result is always what ``orjson.loads`` gives.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from kubepush import lazy_re

_DEFS_OPEN = lazy_re.compile(rb'\n( +)"\$defs": \{\n( +)"')
_GVK = b'"x-kubernetes-group-version-kind": '


class Definitions(Mapping[str, Any]):
    """``$defs`` of one ``_definitions.json``: a read-only mapping, each value parsed when first read."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._parsed: dict[str, Any] = {}
        self._all: dict[str, Any] | None = None
        #: the definitions' keys: where each line starts, the name, where its value starts
        self._keys: list[tuple[int, str, int]] = []
        self._spans: dict[str, tuple[int, int]] = {}
        self._indent = self._step = b""
        self._kinds: dict[tuple[str, str, str], str] | None = None
        if not self._find_spans():
            self._all = self._parse_all()

    def _find_spans(self) -> bool:
        """Each definition's value as a byte range; False when the layout is not the expected one."""
        data = self._data
        opened = _DEFS_OPEN.search(data)
        if opened is None or data[: opened.start()].strip() != b"{":
            return False  # not the root's first member (a nested "$defs" is no definition table)
        outer, inner = opened.group(1), opened.group(2)
        if not inner.startswith(outer) or len(inner) == len(outer):
            return False
        start = opened.end() - len(inner) - 2  # the newline before the first key
        # every line at the members' indentation (the key, when one this reader understands), up to
        # the first line closing at $defs' own depth: $defs' end
        lines = re.compile(rb"\n(?:" + inner + rb'"(?:([^"\\\n]*)": )?|' + outer + rb"(\}))")
        end = -1
        for line in lines.finditer(data, start):
            name = line.group(1)
            if name is None:
                if line.group(2) is None:
                    return False  # an escape in a key, or not a key: read it all
                end = line.start()
                break
            self._keys.append((line.start(), name.decode(), line.end()))
        if not self._keys or end < 0:
            return False
        stops = [line for line, _, _ in self._keys[1:]] + [end]
        self._spans = {name: (begin, stop) for (_, name, begin), stop in zip(self._keys, stops, strict=True)}
        self._indent, self._step = inner, inner[len(outer):]
        return True

    def _parse_all(self) -> dict[str, Any]:
        defs: dict[str, Any] = orjson.loads(self._data)["$defs"]
        return defs

    def _fall_back(self) -> dict[str, Any]:
        if self._all is None:
            self._all = self._parse_all()
        return self._all

    def __getitem__(self, name: str) -> Any:
        if self._all is not None:
            return self._all[name]
        try:
            return self._parsed[name]
        except KeyError:
            pass
        begin, stop = self._spans[name]
        text = self._data[begin:stop].rstrip()
        try:
            value = orjson.loads(text[:-1] if text.endswith(b",") else text)
        except orjson.JSONDecodeError:
            return self._fall_back()[name]
        self._parsed[name] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._all if self._all is not None else self._spans)

    def __len__(self) -> int:
        return len(self._all if self._all is not None else self._spans)

    def kinds(self) -> dict[tuple[str, str, str], str]:
        """(group, version, kind) -> definition name, from each definition's
        ``x-kubernetes-group-version-kind`` (a later definition wins, as in the file's order).
        Made once: the schemas and the rules' index share it, and neither changes it."""
        if self._kinds is None:
            self._kinds = self._kinds_from_text() if self._all is None else None
        if self._kinds is None:
            self._kinds = {}
            for name, definition in self._fall_back().items():
                for gvk in definition.get("x-kubernetes-group-version-kind", ()):
                    self._kinds[(gvk["group"], gvk["version"], gvk["kind"])] = name
        return self._kinds

    def _kinds_from_text(self) -> dict[tuple[str, str, str], str] | None:
        """The same, reading only the group-version-kind lists: each is a member of its definition,
        one indentation step deeper than the definitions' keys. None when one does not read as a list."""
        data, member = self._data, b"\n" + self._indent + self._step
        needle, closing = member + _GVK, member + b"]"
        starts = [line for line, _, _ in self._keys]
        out: dict[tuple[str, str, str], str] = {}
        at = data.find(needle)
        while at >= 0:
            stop = data.find(closing, at)
            owner = bisect.bisect(starts, at) - 1
            if stop < 0 or owner < 0:
                return None
            try:
                listed = orjson.loads(data[at + len(needle) : stop + len(closing)])
            except orjson.JSONDecodeError:
                return None
            if not isinstance(listed, list):
                return None
            for gvk in listed:
                out[(gvk["group"], gvk["version"], gvk["kind"])] = self._keys[owner][1]
            at = data.find(needle, stop)
        return out
