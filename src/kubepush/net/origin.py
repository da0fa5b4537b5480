"""The origin of a URL (RFC 6454: scheme, host, port), the one check before a credential is sent.

A pagination ``Link`` or a token realm names a URL the server chose; a token goes to it only
when it is the origin the client was configured for. Written once so every client agrees:
scheme and host compare case-insensitively, a default port (80 for http, 443 for https) is the
same as none, and user info is never part of the origin (``https://api.example@evil.test``
is evil.test's).
"""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> str:
    """``scheme://host[:port]``, normalised (lowercase, no default port, no user info)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: keep it, so it matches nothing but itself
        port = None
        host = parts.netloc.rpartition("@")[2].lower()
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def same_origin(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` have one origin (a credential for one may go to the other)."""
    return origin(a) == origin(b)
