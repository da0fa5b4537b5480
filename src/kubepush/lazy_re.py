"""Regular expressions compiled when first used, not when their module is imported.

Python compiles a pattern in pure Python (~0.1-1 ms each); a command imports
modules holding a hundred or more, of which one run of ``kubepush validate`` on
one file uses a handful. :func:`compile` returns a stand-in that compiles on its
first attribute access and then binds the compiled pattern's methods to itself,
so later calls cost what calls on the real pattern cost. Module-level constants
only: pass the real ``re`` functions a real pattern.
"""

from __future__ import annotations

import re
from typing import Any, AnyStr, cast

_BOUND = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split",
          "pattern", "flags", "groups", "groupindex", "scanner")


class _Lazy:
    def __init__(self, pattern: str | bytes, flags: int) -> None:
        self._source: tuple[Any, int] = (pattern, flags)

    def __getattr__(self, name: str) -> Any:  # only reached before the first compile
        compiled = re.compile(*self._source)
        for attr in _BOUND:
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)


def compile(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:  # noqa: A001 - re.compile's stand-in
    """``re.compile(pattern, flags)``, deferred to the first use."""
    return cast("re.Pattern[AnyStr]", _Lazy(pattern, flags))
