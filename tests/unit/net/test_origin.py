"""net/origin.py: the same-origin check every HTTP client makes before a credential is sent to a URL."""

from __future__ import annotations

import pytest

from kubepush.net.origin import origin, same_origin


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
