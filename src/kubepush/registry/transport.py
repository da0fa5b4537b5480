"""How a registry request is sent: HTTPS (or plain HTTP when listed), a timeout, retries.

One logical request answers the auth challenge once (:class:`~kubepush.registry.auth.RegistryAuth`)
and retries 429/5xx honouring ``Retry-After`` and connection errors with backoff, through the
policy every HTTP client of kubepush shares (:class:`kubepush.net.retry.RetryPolicy`, capped at
``max_wait``: waited out, not failed fast, since a registry's limit resets within the run).
Failures to reach the registry become a one-line :class:`RegistryError`; an HTTP error status
is returned for the caller to explain, since only it knows what was asked.

``Authorization`` is dropped by ``requests`` on a redirect to another origin (host, port, or
scheme other than an http -> https upgrade: ``SessionRedirectMixin.should_strip_auth`` in
psf/requests src/requests/sessions.py), so Basic credentials or a token never follow a
registry's redirect to its storage elsewhere (tested in the registry fault tests).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import requests

from kubepush.images.reference import ImageRef
from kubepush.net.origin import origin
from kubepush.net.retry import RetryPolicy
from kubepush.registry.auth import RegistryAuth
from kubepush.registry.credentials import DOCKER_HUB_ALIASES
from kubepush.registry.errors import INSECURE, PROTOCOL, UNREACHABLE, RegistryError

DOCKER_HUB_API = "registry-1.docker.io"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "kubepush-registry-client"


class Transport:
    """Sessions (one per thread), the base URL per registry, and :meth:`request`; thread-safe."""

    def __init__(self, auth: RegistryAuth, *, insecure: frozenset[str], timeout: float, retries: int,
                 backoff: float, max_retry_after: float) -> None:
        self.auth = auth
        self.insecure = insecure
        self.timeout = timeout
        self.retries = retries
        self.retry = RetryPolicy(attempts=retries + 1, max_wait=max_retry_after, backoff=backoff)
        self._local = threading.local()

    def base(self, registry: str) -> str:
        """``https://host`` of a registry's API (``http://`` for an insecure one; Docker Hub's API host)."""
        host = DOCKER_HUB_API if registry in DOCKER_HUB_ALIASES else registry
        scheme = "http" if registry.lower() in self.insecure else "https"
        return f"{scheme}://{host}"

    def session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
        return session

    def request(
        self,
        method: str,
        ref: ImageRef,
        url: str,
        *,
        what: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        """One logical request: auth challenge (once), retries for 429/5xx
        and connection errors. Returns the final response, whatever its status."""
        registry, scope = ref.registry, f"repository:{ref.repository}:pull"
        authenticated = False
        attempt = 0
        while True:
            send = dict(headers or {})
            auth = self.auth.header(registry, scope)
            if auth:
                send["Authorization"] = auth
            try:
                response = self.session().request(method, url, headers=send, params=params,
                                                  timeout=self.timeout, allow_redirects=True)
            except requests.exceptions.SSLError:
                raise RegistryError(INSECURE, registry, f"TLS handshake with {registry} failed while "
                                    f"fetching the {what}: if it serves plain HTTP, list it as an "
                                    "insecure registry") from None
            except requests.exceptions.Timeout:
                raise RegistryError(UNREACHABLE, registry, f"registry {registry} is unreachable: no "
                                    f"answer within {self.timeout:g}s for the {what}") from None
            except requests.exceptions.ConnectionError:
                if attempt < self.retries:
                    attempt += 1
                    self.retry.sleep(self.retry.delay(attempt))
                    continue
                raise RegistryError(UNREACHABLE, registry, f"registry {registry} is unreachable "
                                    f"(cannot connect to {origin(url)}) for the {what}") from None
            except requests.exceptions.RequestException as exc:  # broken encoding, redirect loop, ...
                raise RegistryError(PROTOCOL, registry, f"registry {registry} sent a broken answer for "
                                    f"the {what} ({exc.__class__.__name__})") from None
            if response.status_code == 401 and not authenticated:
                authenticated = True
                if self.auth.answer(registry, scope, response, self.session()):
                    continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                attempt += 1
                self.retry.sleep(self.retry.delay(attempt, response.headers.get("Retry-After")))
                continue
            return response
