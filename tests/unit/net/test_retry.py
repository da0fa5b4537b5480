"""net/retry.py: the wait ``Retry-After`` asks for, and the backoff when it asks for none."""

from __future__ import annotations

import pytest

from kubepush.net.retry import RetryPolicy, backoff, retry_after


@pytest.mark.parametrize(("header", "wait"), [
    (None, None), ("", None), ("soon", None), ("-5", None), ("1.5", None),  # delta-seconds are digits
    ("0", 0.0), (" 120 ", 120.0),
    ("Thu, 01 Jan 1970 00:01:40 GMT", 60.0),   # an HTTP-date, 60s after "now"
    ("Thu, 01 Jan 1970 00:00:10 GMT", 0.0),    # already past: no wait, never a negative one
])
def test_retry_after(header: str | None, wait: float | None) -> None:
    assert retry_after(header, now=40.0) == wait


def test_backoff_doubles_from_the_first_step() -> None:
    assert [backoff(n, 0.5) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]


def test_retry_policy_delay_prefers_the_server_and_is_capped() -> None:
    policy = RetryPolicy(max_wait=30.0, backoff=0.5, clock=lambda: 40.0)
    assert [policy.delay(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert policy.delay(1, "7") == 7.0 and policy.delay(3, "0") == 0.0
    assert policy.delay(1, "3600") == 30.0 and policy.delay(1, "Thu, 01 Jan 1970 00:01:00 GMT") == 20.0
    assert policy.delay(2, "garbage") == 1.0
