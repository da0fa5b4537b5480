"""Output formats: one module per format behind :class:`~kubepush.report.base.Reporter`.

Only the chosen format's module is imported, so adding a format costs nothing to
the others and ``kubepush --help`` stays fast. A new format is one module plus one
line in :data:`FORMATS`.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO

from kubepush.errors import UsageError

if TYPE_CHECKING:
    from kubepush.report.base import Reporter

#: format name -> ``module:Class`` of its reporter. Order is the order help lists them.
FORMATS: dict[str, str] = {
    "text": "kubepush.report.text:TextReporter",
    "json": "kubepush.report.json:JSONReporter",
    "junit": "kubepush.report.junit:JUnitReporter",
    "sarif": "kubepush.report.sarif:SARIFReporter",
    "codequality": "kubepush.report.codequality:CodeQualityReporter",
    "github": "kubepush.report.github:GitHubReporter",
    "tap": "kubepush.report.tap:TAPReporter",
    "markdown": "kubepush.report.markdown:MarkdownReporter",
    "html": "kubepush.report.html:HTMLReporter",
}


def choose_format(name: str, formats: Iterable[str], what: str, listing: str) -> str:
    """``name`` normalised if it is one of ``formats``, else :class:`UsageError`: ``unknown <what>``,
    the closest name, then ``listing`` and the names - one rule for every command's format names."""
    names = list(formats)
    key = name.strip().lower()
    if key in names:
        return key
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(f"unknown {what} {name!r}{hint}; {listing}{', '.join(names)}")


def check_format(name: str) -> str:
    """Return ``name`` normalised, or raise :class:`UsageError` with the valid names."""
    return choose_format(name, FORMATS, "report format", "valid formats: ")


def make_reporter(name: str, stream: TextIO, **kw: Any) -> Reporter:
    """A reporter of format ``name`` writing to ``stream``; ``kw`` go to its constructor."""
    module, _, cls = FORMATS[check_format(name)].partition(":")
    reporter: Reporter = getattr(importlib.import_module(module), cls)(stream, **kw)
    return reporter
