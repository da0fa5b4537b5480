"""Secrets out of every message kubepush builds: one mask, one place.

Redaction happens at the source - each client passes the secrets it holds (a forge token,
git credentials, registry passwords and tokens) through :func:`redact` before text from a
server or a subprocess becomes a message - never by filtering output afterwards. Every
secret is masked as written and URL-quoted (the form it takes in a URL), longest first so
a secret containing another is masked whole; a ``scheme://user:password@`` password is
masked whatever it is. :func:`redact_auth` is for text whose secrets are not known (a
library's exception): whatever follows ``Bearer`` or ``token`` is masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@\s:]*):[^/@\s]*@")
_AUTH_VALUE = re.compile(r"(?i)(bearer|token)[\s:=]+\S+")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` (raw and URL-quoted) and any URL password masked."""
    forms = {form for secret in secrets if secret for form in (secret, quote(secret, safe=""))}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


def redact_auth(text: str) -> str:
    """``text`` with the value after any ``Bearer``/``token`` masked (secrets not known here)."""
    return _AUTH_VALUE.sub(lambda m: f"{m[1]} {MASK}", text)


def one_line_auth(text: object) -> str:
    """A library's or a tool's message on one line with :func:`redact_auth` applied, for an error line."""
    return " ".join(redact_auth(str(text)).split())
