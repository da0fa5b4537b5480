"""Manifest bytes to text: the one decoding every reader shares (files, stdin, image discovery).

Kubernetes reads YAML as UTF-8 only. Decoding here, strictly, means a stray
Latin-1 byte is a finding at its line and column wherever the bytes came from;
text decoded any other way (``sys.stdin.read()`` keeps bad bytes as lone
surrogates) would reach the parser and crash it instead.
"""

from __future__ import annotations

import codecs

from kubepush.manifests.errors import YAMLError


def decode_utf8(data: bytes, *, offset: int = 0, line_base: int = 0) -> str:
    """``data`` as UTF-8; :class:`YAMLError` at the first bad byte.

    ``offset`` and ``line_base`` say where ``data`` starts in its file (a part of
    a large file), so the message names the file's offset and line.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = line_base + data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YAMLError(
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x} at offset {offset + exc.start}); manifests must be UTF-8",
            line,
            column,
            hint="re-save the file as UTF-8",
        ) from None


def manifest_text(data: bytes, *, offset: int = 0, line_base: int = 0) -> str:
    """A manifest stream's text: a UTF-8 BOM dropped, binaries and invalid UTF-8 refused (:class:`YAMLError`)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if data.find(b"\0", 0, 8192) >= 0:
        raise YAMLError("not a text file (it contains NUL bytes): is this a binary?", 1, 1)
    return decode_utf8(data, offset=offset, line_base=line_base)
