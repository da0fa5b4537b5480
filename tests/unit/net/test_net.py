"""What every HTTP client decides alike: the same-origin check before a credential is sent to a
URL, and the wait ``Retry-After`` asks for."""

from __future__ import annotations

import pytest

from kubepush.forges.http import Dialect, TokenAuth, Transport
from kubepush.net.origin import origin, same_origin
from kubepush.net.retry import RetryPolicy, backoff, retry_after


@pytest.mark.parametrize(("a", "b"), [
    ("https://API.Example.com/v4", "https://api.example.com/v4/projects?page=2"),  # host case
    ("HTTPS://api.example.com", "https://api.example.com/x"),                        # scheme case
    ("https://api.example.com", "https://api.example.com:443/x"),                    # default https port
    ("http://forge.example:80/api", "http://forge.example/api?page=3"),              # default http port
    ("https://bot:secret@forge.example/", "https://forge.example/x"),                # user info is not the origin
    ("http://[::1]:8080/", "http://[::1]:8080/v2/"),
])
def test_same_origin(a: str, b: str) -> None:
    assert same_origin(a, b) and same_origin(b, a)
    assert origin(a) == origin(b)


@pytest.mark.parametrize(("a", "b"), [
    ("https://api.example.com", "http://api.example.com"),          # scheme
    ("https://api.example.com", "https://api.example.com:8443/"),   # port
    ("http://forge.example:443/", "http://forge.example/"),         # 443 is not http's default
    ("https://api.example.com", "https://api.example.com.evil.test/"),
    ("https://api.example.com", "https://evil.test/?https://api.example.com"),
    ("https://api.example.com", "https://api.example.com@evil.test/"),
])
def test_different_origin(a: str, b: str) -> None:
    assert not same_origin(a, b) and not same_origin(b, a)


def test_origin_names_what_messages_show() -> None:
    assert origin("https://bot:secret@Forge.Example:443/api/v4?x=1") == "https://forge.example"
    assert origin("http://127.0.0.1:5000/v2/") == "http://127.0.0.1:5000"


def test_forge_transport_follows_a_same_origin_link_written_another_way() -> None:
    """A ``Link`` with the host in capitals or the default port is the API's own origin."""
    t = Transport("https://Forge.Example/api/v1", Dialect(), TokenAuth("t0ken"))
    for link in ("https://forge.example:443/api/v1/repos?page=2", "https://FORGE.example/api/v1/repos?page=2"):
        assert t._url(link, "list") == link


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
