"""Fast path for reading manifests: a Rust YAML parser, checked against YAML 1.1.

``yaml-rs`` parses about six times faster than PyYAML's C loader, which is what
lets validate beat kubeconform. But it resolves scalars by YAML 1.2 rules, and
Kubernetes uses YAML 1.1 (see :mod:`.yaml11`). The two only disagree on a few
plain-scalar spellings (``yes``/``on``/``y``, leading-zero and ``0b`` numbers,
``<<`` merges), on non-string keys and on a block scalar at the very end of a
file. Cheap checks on the text and on the parsed value find every one of them;
such a document, or one yaml-rs rejects, goes to the exact slow path instead,
so the fast path never returns a value the reference parser would not.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import yaml_rs

from kubepush import lazy_re
from kubepush.manifests import blockscalars
from kubepush.manifests.errors import YAMLError
from kubepush.manifests.nesting import MAX_NESTING, too_deep

# A document marker: '---' or '...' at column 0 followed by blank/end of line. Searched from the
# newline before it (a literal first: 5x faster than a multi-line '^', tried at every character),
# and at the very start of the text on its own.
_MARKER = lazy_re.compile(r"\n(---|\.\.\.)(?=[ \t\r\n]|$)")
_FIRST_MARKER = lazy_re.compile(r"(---|\.\.\.)(?=[ \t\r\n]|$)")

# Text that yaml-rs (YAML 1.2) reads differently from libyaml, searched for before
# parsing. One pattern per risk: a pattern that starts with a literal character is
# searched fast, an alternation of them is not (measured: 30x slower on JSON).
# A scalar-start match counts only after a character that can precede a scalar:
# - leading-zero and 0b numbers: octal/float/binary in YAML 1.1, not in 1.2;
# - a scalar starting with '_' or '0_': yaml-rs reads ``_1`` as 1 and ``0_10`` as 10,
#   go-yaml keeps the string / reads octal 8;
# - anchors, aliases and tags: yaml-rs reads a recursive alias as null and an empty
#   anchored or tagged node differently (``&a: v``, ``[!x]``); rare in manifests, so
#   any node property goes slow (``&&`` or ``* `` in a shell line do not; any ``!`` does,
#   ``! 1`` being the non-specific tag).


def _at_scalar_start(literal: str, rest: str) -> re.Pattern[str]:
    """``literal`` then ``rest``, where a scalar may start (after an optional sign): ``-012`` and
    ``[+0b1]`` do, the ``01`` of ``web-01`` does not - a sign inside a word is no sign. The literal
    comes first, so the search is fast; look-behinds then check the one or two characters before
    it (the text's start counts as a line's)."""
    before = r"[ \t:\[{,\n]"
    starts = (rf"(?<={before}{literal})", rf"(?<={before}[+-]{literal})", rf"(?<=^{literal})", rf"(?<=^[+-]{literal})")
    return lazy_re.compile(rf"{literal}(?:{'|'.join(starts)}){rest}")


#: (a character the pattern needs, the pattern): the C-speed ``in`` test skips most searches,
#: and each pattern starts with a literal so that the search itself is fast too.
_SCALAR_START_RISKS = (
    ("0", _at_scalar_start("0", "[0-9bB_]")),
    ("_", _at_scalar_start("_", "[0-9._]")),
    ("&", _at_scalar_start("&", r"(?![&*]?(?:[ \r\n]|$))")),
    ("*", _at_scalar_start(r"\*", r"(?![&*]?(?:[ \r\n]|$))")),
    ("!", _at_scalar_start("!", "")),
)
# Anywhere: a line starting with ':' or '?' and a colon right before a flow indicator
# or '?': yaml-rs accepts ``{a\n: b}``, ``{a:}`` and ``[a:?b]``, libyaml does not. Also
# characters libyaml's reader refuses (YAML 1.1 c-printable) and a carriage return
# that is not part of CRLF (the two break such lines differently).
_TEXT_RISKS = (
    lazy_re.compile(r"\.[iInN][nNaA][fFnN]"),  # yaml-rs reads .iNf/.NAn as floats, YAML 1.1 only 3 spellings each
    lazy_re.compile(r"\n *[:?]"),
    lazy_re.compile(r":[,?\[\]{}]"),
)
_CONTROL = lazy_re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NON_ASCII_RISK = lazy_re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LONE_CR = lazy_re.compile("\r(?!\n)")
# Checked on the compact JSON of yaml-rs's result:
# - YAML 1.1 booleans that YAML 1.2 reads as strings, as whole JSON strings (quoted
#   "yes" in YAML matches too: harmless, it only sends the document to the exact path);
# - a string starting with an indicator: yaml-rs accepts ``[|x]``, ``{a: >x}``,
#   ``{:x: 1}`` and ``[?x]`` as plain scalars where libyaml refuses them or reads ``?``
#   as a complex key;
# - a key with a space or newline: yaml-rs folds a multi-line implicit key (``{a\nb: c}``,
#   ``{a\n\nb: c}``) that libyaml refuses (Kubernetes keys never hold either);
# - a string that is one newline: an empty block scalar ending a document, "" to libyaml.
# Every JSON string starts with a quote, so each pattern is tried at every quote: the literal
# quote first (searched fast), then a one-character look-ahead that turns nearly every quote
# away before the alternatives, or the look-behind at the preceding character, are tried
# (measured: 2.3x faster than the alternatives first).
_VALUE_RISKS = (
    lazy_re.compile(rb'"(?=[yYnNoO])(?:[yYnN]|[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF)"'),
    # an indicator first, or a whole string that is one newline (not an escaped quote ending one: ``exec "$@"``)
    lazy_re.compile(rb'"(?=[|>:?\\])(?<=[\[{,:]")(?:[|>:?]|\\n")'),
)
# (or a newline: a blank line inside the key folds to "\n", not a space)
_SPACED_KEY = lazy_re.compile(rb'[{,]"(?:[^" \\]|\\[^n])*(?: |\\n)(?:[^"\\]|\\.)*":')
# A key can only span lines inside a flow collection that spans lines: an opener not
# closed on its line, or an inner collection followed by more of its parent (a ',' or
# ':' after it, or a ',' at the start of the next line). Only then is the (slower)
# spaced-key search needed. (One pattern per closer: each starts with its literal.)
_FLOW_ACROSS_LINES = (
    lazy_re.compile(r"\{[^}\n]*\n"),
    lazy_re.compile(r"\[[^\]\n]*\n"),
    lazy_re.compile(r"\}[ \t]*(?:[,:]|\n[ \t]*,)"),
    lazy_re.compile(r"\][ \t]*(?:[,:]|\n[ \t]*,)"),
)


@dataclass(slots=True)
class RawDocument:
    """One document's text and where it starts in its file (0-based line)."""

    text: str
    line_offset: int
    index: int


def split_documents(text: str, line_base: int = 0) -> Iterator[RawDocument]:
    """Split a YAML stream at document markers, keeping each document's first line.

    Splitting first (instead of parsing the whole stream) is what lets one broken
    document be reported while its neighbours are still validated, and keeps
    memory per document. Markers inside block scalars cannot be at column 0, so
    a line-based split is exact for well-formed streams. ``line_base`` is the
    line ``text`` starts at in its file (for a part of a large file).
    """
    index = 0
    start = 0
    start_line = line_base
    line = line_base
    pos = 0
    first = _FIRST_MARKER.match(text)
    for match in itertools.chain((first,) if first else (), _MARKER.finditer(text)):
        at = match.start(1)
        line += text.count("\n", pos, at)
        pos = at
        chunk = text[start:at]
        if _has_content(chunk):
            yield RawDocument(chunk, start_line, index)
            index += 1
        if match.group(1) == "---":
            start, start_line = at, line
        else:  # '...' ends a document; skip the marker line itself
            end = text.find("\n", match.end())
            start = len(text) if end < 0 else end + 1
            start_line = line + 1
    chunk = text[start:]
    if _has_content(chunk):
        yield RawDocument(chunk, start_line, index)


_CONTENT = lazy_re.compile(r"^(?![ \t]*(?:#|---[ \t]*(?:#.*)?$|$)).", re.M)


def _has_content(chunk: str) -> bool:
    """True when a chunk has anything but blank lines, comments and a bare '---'."""
    return _CONTENT.search(chunk) is not None


def plain(stream: str) -> bool:
    """True when no document of ``stream`` (as :func:`split_documents` cuts it) holds what the
    per-document text checks look for, so :func:`parse` may skip them - one search of the whole
    file instead of a dozen per document.

    Exact because each check looks for characters or a run of them inside the text, and every
    document is a run of the stream's lines: what is not in the stream is in none of them. The
    one check that reads a document's edge is its first character (a document starting with
    ``&``, ``0``...), and every document starts at the stream's start or at a ``---`` line -
    except after a ``...`` marker, so a stream with one is not plain.
    """
    if "\n..." in stream or stream.startswith("..."):
        return False
    return not _risky(stream) and not _unreadable(stream)


def parse(raw: RawDocument, plain: bool = False) -> Any:
    """Parse one document with Kubernetes semantics; fast when it is safe to be.

    ``plain``: :func:`plain` said so of the stream the document was cut from.
    Raises :class:`~kubepush.manifests.errors.YAMLError` (with file-relative lines)
    for invalid YAML.
    """
    if too_deep(raw.text):
        raise YAMLError(f"collections nested more than {MAX_NESTING} levels deep: refusing to parse "
                        "(YAML parsers crash on such input)", raw.line_offset + 1, 1)
    value = _fast(raw.text, plain)
    if value is _UNSAFE:
        from kubepush.manifests import yaml11  # lazy: PyYAML costs ~20 ms to import

        return yaml11.parse_document(raw.text, raw.line_offset).value
    return value


_UNSAFE = object()


def _fast(text: str, plain: bool = False) -> Any:
    """yaml-rs's result when it provably equals the reference parser's, else ``_UNSAFE``.

    At the end of a file without a final newline, yaml-rs keeps a newline at the end
    of a block scalar that libyaml (and so kubectl) does not; merge keys, leading-zero
    numbers and YAML 1.1 booleans differ too; non-string keys make ``orjson`` refuse
    the value. Anything but a mapping (several documents, a top-level sequence or
    scalar: no manifest anyway) takes the exact path, which words the error. A BOM
    is content to yaml-rs, and it accepts tabs where libyaml does not (``-\tx``):
    both are rare, so both go slow. What libyaml's reader refuses is searched for in
    the whole text; the spellings only a parser interprets are searched for outside
    block scalar bodies (:mod:`.blockscalars`), which are text to both parsers.
    """
    if not text.endswith("\n") or "\ufeff" in text or (not plain and _unreadable(text)):
        return _UNSAFE
    structure: str | None = None  # the text without block scalar bodies, made only when needed
    if not plain and _risky(text):
        structure = blockscalars.structure(text)
        if structure is None or _risky(structure):
            return _UNSAFE
    try:
        value = yaml_rs.loads(text, parse_datetime=False)
        if not isinstance(value, dict):
            return _UNSAFE
        dumped = orjson.dumps(value)
        if any(risk.search(dumped) for risk in _VALUE_RISKS):
            return _UNSAFE
        if _flow_across_lines(text) and (structure is None or _flow_across_lines(structure)):
            # a brace in a block scalar (``server {``) spans no lines for a parser; the structure
            # made for the checks above is asked first, the (slower) spaced-key search only then
            if _SPACED_KEY.search(dumped):
                if structure is None:
                    structure = blockscalars.structure(text)
                if structure is None or _flow_across_lines(structure):
                    return _UNSAFE
    except (ValueError, TypeError, OverflowError):
        return _UNSAFE  # the reference parser produces the authoritative error
    return value


def _flow_across_lines(text: str) -> bool:
    return any(flow.search(text) for flow in _FLOW_ACROSS_LINES)


def _risky(text: str) -> bool:
    """True when the text holds a spelling yaml-rs may read unlike libyaml (see the patterns)."""
    if "<<" in text or "\t" in text or text[:1] in ("&", "*", "!", ":", "?", "_", "0"):
        return True
    if any(needle in text and risk.search(text) for needle, risk in _SCALAR_START_RISKS):
        return True
    return any(risk.search(text) for risk in _TEXT_RISKS)


def _unreadable(text: str) -> bool:
    """True when the text holds a character libyaml's reader refuses, or a lone carriage return."""
    # str.isprintable() (C speed) is False for every control character; only then search
    if not text.replace("\n", "").replace("\r", "").isprintable() and _CONTROL.search(text):
        return True
    if "\r" in text and _LONE_CR.search(text):
        return True
    return not text.isascii() and _NON_ASCII_RISK.search(text) is not None
