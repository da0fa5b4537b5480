"""When to ask an HTTP server again: its ``Retry-After``, else exponential backoff.

``Retry-After`` is delta-seconds or an HTTP-date (RFC 9110, section 10.2.3). What a client does
with the answer (cap it, or fail fast when it is too long) is its own policy; parsing it and the
backoff steps are the same for the forges, the registries and the API server.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass


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
    return first * 2.0 ** (attempt - 1)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying: total attempts, the longest single wait, the first backoff step;
    ``sleep`` and ``clock`` are injectable so tests neither wait nor depend on the time."""

    attempts: int = 4
    max_wait: float = 60.0
    backoff: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time

    def delay(self, attempt: int, header: str | None = None) -> float:
        """The wait before retry ``attempt``: the server's ``Retry-After`` ``header`` if it sent
        one, else the backoff step; never longer than ``max_wait``."""
        wait = retry_after(header, self.clock())
        return min(backoff(attempt, self.backoff) if wait is None else wait, self.max_wait)
