"""Refuse pathologically nested YAML before a parser sees it.

libyaml's composer (and yaml-rs) recurse once per nesting level in native code;
tens of thousands of levels (``[[[[...`` or ``- - - ...``, a few hundred KB of
crafted text) overflow the C stack and kill the process - no exception, no
message. Real manifests nest a few dozen levels, so anything past
:data:`MAX_NESTING` flow or sequence levels is refused with a finding instead.
"""

from __future__ import annotations

from kubepush import lazy_re

MAX_NESTING = 256
_DEEP = r"[\[{](?:[^\[\]{}]{0,64}[\[{]){%d}|(?:-[ \t]+){%d}" % (MAX_NESTING, MAX_NESTING)  # noqa: UP031 - braces of the pattern itself
_DEEP_TEXT = lazy_re.compile(_DEEP)
_DEEP_BYTES = lazy_re.compile(_DEEP.encode())


def too_deep(data: str | bytes) -> bool:
    """True when ``data`` nests collections more than MAX_NESTING levels (cheap counts first)."""
    if isinstance(data, bytes):
        if data.count(b"[") + data.count(b"{") < MAX_NESTING and data.count(b"-") < MAX_NESTING:
            return False
        return _DEEP_BYTES.search(data) is not None
    if data.count("[") + data.count("{") < MAX_NESTING and data.count("-") < MAX_NESTING:
        return False
    return _DEEP_TEXT.search(data) is not None
