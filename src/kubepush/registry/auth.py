"""Who a registry request goes as: the Docker registry token flow and Basic auth.

A registry answers an anonymous request with 401 and a ``WWW-Authenticate`` challenge:

- ``Bearer realm,service,scope``: get a token from the realm (anonymously, with Basic
  credentials, or with an OAuth2 refresh token for ``identitytoken`` logins) and send it as
  ``Authorization: Bearer``; tokens are cached per (registry, repository scope), so concurrent
  lookups across repositories and registries never trample each other's token;
- ``Basic``: send the credentials themselves (ECR's ``AWS:<token>``, htpasswd registries).

The realm is a URL the registry chose: credentials go to it only over HTTPS (plain HTTP only
for a registry listed as insecure). Credentials come from the caller (``--registry-auth``),
else the Docker config; every secret seen is known here, so messages can be scrubbed of them.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import requests

from kubepush.registry.credentials import DOCKER_HUB_ALIASES, Credentials, load_docker_credentials
from kubepush.registry.errors import AUTH, INSECURE, PROTOCOL, UNREACHABLE, RegistryError

_CHALLENGE_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


class RegistryAuth:
    """Credentials per registry and what they bought (tokens, Basic); thread-safe.

    ``explicit`` maps a registry (``ghcr.io``, ``localhost:5000``, ``docker.io``) to
    :class:`Credentials`; others use the Docker config (``docker_config``, default
    ``$DOCKER_CONFIG`` or ``~/.docker/config.json``) or go anonymous.
    """

    def __init__(self, explicit: Mapping[str, Credentials], docker_config: Path | None,
                 insecure: frozenset[str], timeout: float) -> None:
        self._explicit = {registry.lower(): creds for registry, creds in explicit.items()}
        self._docker_config = docker_config
        self._insecure = insecure
        self.timeout = timeout
        self._lock = threading.Lock()
        self._creds: dict[str, Credentials | None] = {}
        self._tokens: dict[tuple[str, str], str] = {}
        self._basic: set[str] = set()

    def credentials(self, registry: str) -> Credentials | None:
        """The credentials for ``registry`` (looked up once): explicit, else the Docker config."""
        key = registry.lower()
        with self._lock:
            if key in self._creds:
                return self._creds[key]
        found = self._explicit.get(key)
        if found is None and key in DOCKER_HUB_ALIASES:
            found = next((c for r, c in self._explicit.items() if r in DOCKER_HUB_ALIASES), None)
        if found is None:
            found = load_docker_credentials(registry, self._docker_config)
        with self._lock:
            self._creds[key] = found
        return found

    def header(self, registry: str, scope: str) -> str:
        """The ``Authorization`` value for a request to ``registry`` in ``scope`` ("" for none yet)."""
        creds = self.credentials(registry)
        if creds is not None and creds.registry_token:
            return f"Bearer {creds.registry_token}"
        with self._lock:
            token = self._tokens.get((registry, scope))
            basic = registry in self._basic
        if token:
            return f"Bearer {token}"
        if basic and creds is not None and creds.password:
            userpass = f"{creds.username}:{creds.password}".encode()
            return "Basic " + base64.b64encode(userpass).decode("ascii")
        return ""

    def answer(self, registry: str, scope: str, response: requests.Response, session: requests.Session) -> bool:
        """Answer a 401 challenge; True if the request should be retried (with :meth:`header`)."""
        scheme, params = parse_challenge(response.headers.get("WWW-Authenticate", ""))
        creds = self.credentials(registry)
        if scheme == "basic":
            if creds is None or not creds.password:
                return False
            with self._lock:
                self._basic.add(registry)
            return True
        if scheme != "bearer" or not params.get("realm"):
            return False
        token = self._fetch_token(registry, params, scope, creds, session)
        with self._lock:
            self._tokens[(registry, scope)] = token
        return True

    def rejected(self, registry: str, repo: str = "") -> str:
        """What to say when ``registry`` refuses us: the credentials are wrong, or there are none."""
        if self.credentials(registry) is not None:
            return f"credentials rejected for {registry}: check docker config / --registry-auth"
        what = f"{registry}/{repo}" if repo else registry
        return (f"{what} requires credentials (private, or the repository does not exist): "
                "check docker config / --registry-auth")

    def secrets(self) -> list[str]:
        """Every token and password seen so far, for scrubbing what a server sends back."""
        with self._lock:
            found = [*self._tokens.values()]
            found += [s for c in self._creds.values() if c is not None for s in c.secrets()]
        return found + [s for c in self._explicit.values() for s in c.secrets()]

    def _fetch_token(self, registry: str, challenge: dict[str, str], scope: str,
                     creds: Credentials | None, session: requests.Session) -> str:
        realm = challenge["realm"]
        parts = urlsplit(realm)
        if parts.scheme != "https" and not (parts.scheme == "http" and registry.lower() in self._insecure):
            raise RegistryError(INSECURE, registry, f"{registry} asks for a token from a non-HTTPS "
                                f"realm ({parts.scheme}://{parts.netloc}); refusing to send credentials")
        query = {"service": challenge.get("service", ""), "scope": challenge.get("scope") or scope}
        query = {k: v for k, v in query.items() if v}
        try:
            if creds is not None and creds.identity_token:
                form = {**query, "grant_type": "refresh_token", "client_id": "kubepush",
                        "refresh_token": creds.identity_token}
                answer = session.post(realm, data=form, timeout=self.timeout)
            else:
                auth = (creds.username, creds.password) if creds is not None and creds.password else None
                answer = session.get(realm, params=query, auth=auth, timeout=self.timeout)
        except requests.exceptions.RequestException as exc:
            raise RegistryError(UNREACHABLE, registry, f"token service for {registry} "
                                f"({parts.netloc}) is unreachable: {exc.__class__.__name__}") from None
        if answer.status_code in (401, 403):
            raise RegistryError(AUTH, registry, self.rejected(registry))
        if answer.status_code != 200:
            raise RegistryError(AUTH, registry, f"token service for {registry} ({parts.netloc}) "
                                f"answered HTTP {answer.status_code}")
        try:
            body = answer.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryError(PROTOCOL, registry, f"token service for {registry} ({parts.netloc}) "
                                "returned no token")
        return token


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``WWW-Authenticate: Bearer realm="...",service="..."`` as ("bearer", {"realm": ..., ...})."""
    scheme, _, rest = header.strip().partition(" ")
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
              for m in _CHALLENGE_PARAM.finditer(rest)}
    return scheme.lower(), params
