"""Where a document's block scalar bodies are - exactly, or not at all.

The fast path (:mod:`.fastyaml`) searches the text for spellings that yaml-rs
reads unlike libyaml (``!``, ``&``, ``*``, ``<<``, a tab, a leading ``0``, a line
starting with ``:``...). Inside the body of a block scalar (``key: |`` and the
more indented lines after it) no parser interprets anything: a shell script's
``#!/bin/sh``, ``cat <<EOF``, ``a && b``, a Makefile's tabs or an nginx
``server {`` are text to both. :func:`structure` returns the document without
those bodies, so the checks run on what a parser does interpret, and embedded
scripts and config files no longer push their ConfigMap onto the slow path.

It is exact by being conservative. A body is only cut out when libyaml's
scanner provably reads it as one (``yaml_parser_scan_block_scalar`` in libyaml's
scanner.c: the content indentation is the first non-blank line's, at least one
more than the enclosing collection's; the body ends at the first non-blank line
indented less). That needs every other line to be self-contained: a key, a dash,
a one-line quoted or flow value, a plain value not continued on the next line.
Anything else - a multi-line quoted, flow or plain scalar, an explicit
indentation indicator, an anchor or tag on the header, a tab in the indentation,
leading blank lines longer than the content's indentation - returns ``None`` and
the caller keeps its verdict on the whole text.
"""

from __future__ import annotations

from kubepush import lazy_re

_KEY = r"""(?:[A-Za-z0-9_./][A-Za-z0-9_./-]*|"[^"\\\n]*"|'[^'\n]*')"""
_QUOTED = r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*')"""
_END = r"(?:[ ]+#[^\n]*|[ ]*)\r?"  # after a complete value: spaces, a comment
_ATOM = rf"""(?:[^\[\]{{}}"'\n\r#,]|{_QUOTED})"""
_FLOW1 = rf"(?:\[(?:{_ATOM}|,)*\]|\{{(?:{_ATOM}|,)*\}})"
_FLOW = rf"(?:\[(?:{_ATOM}|,|{_FLOW1})*\]|\{{(?:{_ATOM}|,|{_FLOW1})*\}})"  # on one line, two levels deep
_PLAIN = r"""(?:[^\s\-?:,\[\]{}#&*!|>'"%@`]|[-?:](?=[^\s]))[^\n]*"""
_HEADER = r"[|>][+-]?"
_VALUE = rf"(?:{_QUOTED}{_END}|{_FLOW}{_END}|{_HEADER}{_END}|#[^\n]*|{_PLAIN}|\r?)"
_DASH = r"-(?=[ \r\n]|$)[ ]*"
_KEY_COLON = rf"{_KEY} *:(?=[ \r\n]|$)[ ]*"
#: One entry line: dashes and/or a key, then a value that ends on the line.
_ENTRY = lazy_re.compile(rf"(?P<lead> *(?:{_DASH})*)(?P<key>{_KEY_COLON})?(?P<value>{_VALUE})")
#: A header's indicator (searched from its literal space: fast), and what may come before it on its line.
_INDICATOR = lazy_re.compile(rf" {_HEADER}{_END}\n")
_HEADER_PREFIX = lazy_re.compile(rf"( *)((?:-[ ]+)*)({_KEY} *: +)?")
#: A body: leading blank lines, the first content line (its spaces are the indentation), then lines
#: indented at least as much, or blank (spaces only: a tab before the indentation is libyaml's error).
_BODY = lazy_re.compile(r"((?: *\r?\n)*)( +)(?=[^ \t\r\n])[^\n]*\n(?:(?:\2[^\n]*| *\r?)\n)*")
#: A line that is neither blank, a comment, a document start, a dash nor a key: a value continued
#: from above, a complex key, a flow collection's next line. Searched from the newline before it.
_BARE = lazy_re.compile(rf"\n *(?!-[ \r\n]|#|{_KEY} *:[ \r\n]|---[ \r\n]|\r?\n)[^ \n]")
#: Where a quoted scalar or a flow collection may begin: its line must end it.
_OPENERS = lazy_re.compile(r"""["'\[{]""")


def structure(text: str) -> str | None:
    """``text`` without its block scalar bodies, or ``None`` when that cannot be proven exact.

    ``text`` is one document ending with a newline. The result keeps every other
    line, header lines included, so the caller's searches see the same neighbours.
    """
    kept: list[str] = []
    headers: list[int] = []  # where each header line starts in the result
    pos = size = 0
    for indicator in _INDICATOR.finditer(text):
        if indicator.start() < pos:
            continue  # inside the body just cut out
        start = text.rfind("\n", 0, indicator.start()) + 1
        prefix = _HEADER_PREFIX.fullmatch(text, start, indicator.start() + 1)
        if prefix is None:
            continue  # not a header this module knows: its body stays, and is searched
        indent, dashes = len(prefix.group(1)), prefix.group(2)
        if prefix.group(3) is not None:
            column = indent + len(dashes)  # the key's: its mapping's indentation
        elif dashes:
            column = indent + dashes.rstrip(" ").rfind("-")  # the last dash's: its sequence's
        else:
            return None  # a header alone on its line: its parent's column is on another line
        body = _BODY.match(text, indicator.end())
        if body is None or len(body.group(2)) <= column:
            continue  # no line indented past the collection follows: an empty scalar
        content = len(body.group(2))
        leading = body.group(1)
        if leading and max(len(line.rstrip("\r")) for line in leading.split("\n")) > content:
            return None  # libyaml would take that blank line's length as the indentation
        kept.append(text[pos : indicator.end()])
        headers.append(size + start - pos)
        size += indicator.end() - pos
        pos = body.end()
    if not kept:
        return None
    kept.append(text[pos:])
    cut = "".join(kept)
    if _BARE.search("\n" + cut) or not _one_line_openers(cut):
        return None
    return None if any(_continues(cut, at) for at in headers) else cut


def _one_line_openers(text: str) -> bool:
    """Every line with a quote or a bracket is one entry that closes them (no multi-line scalar or flow)."""
    end = -1
    for opener in _OPENERS.finditer(text):
        if opener.start() < end:
            continue  # this line was checked
        start = text.rfind("\n", 0, opener.start()) + 1
        end = text.find("\n", opener.start())
        if _ENTRY.fullmatch(text, start, end) is None:
            return False
    return True


def _continues(text: str, at: int) -> bool:
    """Whether the line at ``at`` may continue a scalar begun on a line above it.

    A plain scalar goes on over the following lines indented past its collection's
    column (libyaml's scan_plain_scalar: ``column < parser->indent + 1`` ends it).
    Every line here has a dash or a key, so its collection's column is at least its
    indentation: walking up, only a line less indented than every line below it can
    have begun one. If that line has a value (rather than ``key:`` or ``-`` alone,
    whose lines below are its children), the header may be text, not a header.
    """
    lowest = len(text) - at - len(text[at:].lstrip(" "))
    end = at
    while lowest > 0 and end > 0:
        start = text.rfind("\n", 0, end - 1) + 1
        line = text[start : end - 1]
        end = start
        indent = len(line) - len(line.lstrip(" "))
        stripped = line.strip(" \r")
        if indent >= lowest or not stripped or stripped.startswith(("#", "---")):
            continue
        match = _ENTRY.fullmatch(line)
        if match is None:
            return True
        value, lead = match.group("value").rstrip("\r"), match.group("lead")
        if value and not value.startswith("#"):
            column = len(lead) if match.group("key") is not None else lead.rfind("-")
            if column < lowest:
                return True
        lowest = indent
    return False
