"""When to ask an HTTP server again: its ``Retry-After``, else exponential backoff.

``Retry-After`` is delta-seconds or an HTTP-date (RFC 9110, section 10.2.3). What a client does
with the answer (cap it, or fail fast when it is too long) is its own policy; parsing it and the
backoff steps are the same for the forges, the registries and the API server.
"""

from __future__ import annotations

import email.utils


def retry_after(header: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now`` (a Unix time), or ``None`` when absent or unreadable."""
    if header is None:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - now)


def backoff(attempt: int, first: float) -> float:
    """The wait before retry number ``attempt`` (1, 2, ...): ``first``, doubled each time."""
    return first * 2 ** (attempt - 1)
