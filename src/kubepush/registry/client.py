"""OCI distribution API client: list tags, resolve a tag to its manifest digest.

Written on ``requests`` rather than PyPI ``oras`` (checked: oras-py 0.2.x).
oras fits pushing/pulling artifacts, but not what ``bump`` needs here:

- one bearer token per client, not per registry and repository scope, so
  concurrent lookups across repositories and registries would trample it;
- tag pagination keeps requesting while a page has tags, so a registry that
  ignores ``last`` and repeats its page loops; no dedupe, no page bound;
- no timeouts on requests, a retry decorator sleeping ``2 + 3**n`` seconds that
  ignores ``Retry-After``, and auth failures surface as ``ValueError``;
- ``get_manifest`` returns parsed JSON, not the digest of the bytes as served,
  and its HEAD only accepts the OCI manifest type (no index / Docker list);
- insecure (plain HTTP) is all-or-nothing per client, not a list of registries.

This module is the API, per the distribution spec; how a request is sent (HTTPS, timeouts,
retries) is :mod:`.transport`, who it goes as (the token flow, Basic) is :mod:`.auth`.

- tags: ``GET /v2/<name>/tags/list?n=N``, following ``Link: <...>; rel="next"``
  (same origin only, so a hostile ``Link`` cannot redirect our credentials).
  Registries that send everything at once, ignore ``n``, or ignore ``last``
  (repeating a page) are handled: tags are deduped and a page without new tags
  ends the listing.
- digest: ``HEAD``, then ``GET``, ``/v2/<name>/manifests/<tag>`` accepting OCI
  index, OCI manifest, Docker manifest list and Docker v2 schema 2, so the
  registry serves the manifest as stored (a multi-arch tag resolves to its
  index). The digest is ``Docker-Content-Digest``, else sha256 of the body
  bytes exactly as served - the manifest's digest, not the config blob's.
- errors: a status becomes a :class:`RegistryError` naming the registry, the
  repository and what to do; the server's own message is scrubbed of every
  secret the client knows.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from kubepush.images.reference import ImageRef, digest_reason, parse_reference
from kubepush.net.origin import origin, same_origin
from kubepush.redact import redact
from kubepush.registry.auth import RegistryAuth
from kubepush.registry.credentials import Credentials
from kubepush.registry.errors import (
    AUTH,
    NOT_FOUND,
    PROTOCOL,
    RATE_LIMITED,
    SERVER,
    RegistryError,
)
from kubepush.registry.transport import RETRY_STATUSES, Transport

MANIFEST_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


class RegistryClient:
    """One client per run: it caches credentials, tokens and tag listings.

    ``credentials`` maps a registry (``ghcr.io``, ``localhost:5000``,
    ``docker.io``) to explicit :class:`Credentials`; registries not in it use
    the Docker config (``docker_config`` path, default ``$DOCKER_CONFIG`` or
    ``~/.docker/config.json``) or go anonymous. ``insecure`` lists registries
    (``host[:port]``) reached over plain HTTP. ``page_size`` is the ``n`` asked
    for per tag page: 100 is the largest every major registry accepts (Quay
    caps it there). Thread-safe.
    """

    def __init__(
        self,
        *,
        credentials: Mapping[str, Credentials] | None = None,
        docker_config: Path | None = None,
        insecure: Iterable[str] = (),
        timeout: float = 15.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_retry_after: float = 30.0,
        page_size: int = 100,
        max_pages: int = 1000,
    ) -> None:
        plain_http = frozenset(registry.lower() for registry in insecure)
        self._auth = RegistryAuth(credentials or {}, docker_config, plain_http, timeout)
        self._http = Transport(self._auth, insecure=plain_http, timeout=timeout, retries=retries,
                               backoff=backoff, max_retry_after=max_retry_after)
        self.page_size = page_size
        self.max_pages = max_pages
        self._lock = threading.Lock()
        self._tags: dict[str, Future[list[str]]] = {}

    def __repr__(self) -> str:
        return f"RegistryClient(insecure={sorted(self._http.insecure)}, timeout={self._http.timeout})"

    # Public API -------------------------------------------------------------

    def list_tags(self, ref: ImageRef | str) -> list[str]:
        """All tags of ``ref``'s repository, deduped, in the order served.

        Listed once per repository per client: later calls (any tag of the
        same repository) return the cached listing or raise the cached error.
        """
        ref = _as_ref(ref)
        with self._lock:
            cached = self._tags.get(ref.name)
            future: Future[list[str]] = self._tags.setdefault(ref.name, Future()) if cached is None else cached
        if cached is None:
            _settle(future, self._fetch_tags, ref)
        return list(future.result())

    def list_tags_many(
        self, refs: Iterable[ImageRef | str], max_workers: int = 8
    ) -> dict[str, list[str] | RegistryError]:
        """Tags for every distinct repository in ``refs``, keyed by ``ref.name``
        (``docker.io/library/nginx``), listed concurrently with at most
        ``max_workers`` requests in flight. A failure is returned as the
        :class:`RegistryError` for that repository, not raised, so one bad
        repository does not hide the others' results."""
        unique: dict[str, ImageRef] = {}
        for item in refs:
            ref = _as_ref(item)
            unique.setdefault(ref.name, ref)
        with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="registry") as pool:
            futures = {name: pool.submit(self.list_tags, ref) for name, ref in unique.items()}
        results: dict[str, list[str] | RegistryError] = {}
        for name, future in futures.items():
            try:
                results[name] = future.result()
            except RegistryError as exc:
                results[name] = exc
        return results

    def resolve_digest(self, ref: ImageRef | str, tag: str | None = None) -> str:
        """The manifest digest ``tag`` (default: ``ref.tag``, else ``latest``)
        points to right now: for a multi-arch image, the index's digest."""
        ref = _as_ref(ref)
        reference = ref.with_tag(tag).tag if tag else ref.tag or "latest"  # with_tag validates
        url = f"{self._http.base(ref.registry)}/v2/{ref.repository}/manifests/{reference}"
        headers = {"Accept": ", ".join(MANIFEST_MEDIA_TYPES)}
        what = f"manifest {ref.name}:{reference}"
        head = self._http.request("HEAD", ref, url, headers=headers, what=what)
        digest = head.headers.get("Docker-Content-Digest", "")
        if head.status_code == 200 and digest and not digest_reason(digest):
            return digest
        if head.status_code in RETRY_STATUSES or head.status_code in (401, 403):
            raise self._error(head, ref, what, tag=reference)  # GET would only repeat this
        # No usable header (or HEAD not allowed / an error without a body):
        # GET gives the body to hash and the error code to report.
        response = self._http.request("GET", ref, url, headers=headers, what=what)
        if response.status_code != 200:
            raise self._error(response, ref, what, tag=reference)
        digest = response.headers.get("Docker-Content-Digest", "")
        if digest and not digest_reason(digest):
            return digest
        return "sha256:" + hashlib.sha256(response.content).hexdigest()

    # Tags -------------------------------------------------------------------

    def _fetch_tags(self, ref: ImageRef) -> list[str]:
        base = self._http.base(ref.registry)
        url = f"{base}/v2/{ref.repository}/tags/list"
        params: dict[str, Any] | None = {"n": self.page_size}
        seen: dict[str, None] = {}
        for _ in range(self.max_pages):
            response = self._http.request("GET", ref, url, params=params, what=f"tag list of {ref.name}")
            if response.status_code != 200:
                raise self._error(response, ref, f"tag list of {ref.name}")
            page = _tag_page(response, ref)
            new = [tag for tag in page if tag not in seen]
            seen.update(dict.fromkeys(new))
            if not new:  # empty, or a repeated page: the registry ignores `last`
                break
            link = response.links.get("next", {}).get("url")
            if link:
                url, params = urljoin(response.url, link), None
                if not same_origin(url, base):
                    raise RegistryError(PROTOCOL, ref.registry, f"{ref.registry} sent a pagination "
                                        f"link to another host ({origin(url)}); not following it")
            elif len(page) >= self.page_size:  # full page, no Link: ask for more
                url, params = f"{base}/v2/{ref.repository}/tags/list", {"n": self.page_size, "last": page[-1]}
            else:
                break
        else:
            raise RegistryError(PROTOCOL, ref.registry, f"tag list of {ref.name} did not end after "
                                f"{self.max_pages} pages; the registry's pagination looks broken")
        return list(seen)

    # Errors -----------------------------------------------------------------

    def _error(self, response: requests.Response, ref: ImageRef, what: str,
               tag: str | None = None) -> RegistryError:
        status, registry = response.status_code, ref.registry
        code, message = self._server_error(response)
        if status in (401, 403):
            if status == 403 and self._auth.credentials(registry) is not None:
                return RegistryError(AUTH, registry, f"credentials for {registry} do not grant pull "
                                     f"access to {ref.repository}: check docker config / --registry-auth")
            return RegistryError(AUTH, registry, self._auth.rejected(registry, ref.repository))
        if status == 404:
            if tag is not None and code != "NAME_UNKNOWN":
                return RegistryError(NOT_FOUND, registry, f"tag {tag!r} not found in {ref.name}")
            return RegistryError(NOT_FOUND, registry, f"repository {ref.repository} not found on {registry}")
        detail = f": {code} {message}".rstrip() if code or message else ""
        if status == 429:
            return RegistryError(RATE_LIMITED, registry, f"rate limited by {registry} (HTTP 429) "
                                 f"fetching the {what}, {self._http.retries} retries used{detail}; "
                                 "retry later or authenticate for a higher limit")
        if status >= 500:
            return RegistryError(SERVER, registry, f"registry {registry} failed with HTTP {status} "
                                 f"fetching the {what}, {self._http.retries} retries used{detail}")
        return RegistryError(PROTOCOL, registry, f"unexpected HTTP {status} from {registry} "
                             f"fetching the {what}{detail}")

    def _server_error(self, response: requests.Response) -> tuple[str, str]:
        """(code, message) of a distribution error body, secrets scrubbed."""
        try:
            first = response.json()["errors"][0]
            code, message = str(first.get("code", "")), str(first.get("message", ""))
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            return "", ""
        return self._scrub(code)[:80], self._scrub(message)[:200]

    def _scrub(self, text: str) -> str:
        return redact(text, self._auth.secrets())


def _as_ref(value: ImageRef | str) -> ImageRef:
    return value if isinstance(value, ImageRef) else parse_reference(value)


def _settle(future: Future[list[str]], fn: Callable[[ImageRef], list[str]], ref: ImageRef) -> None:
    try:
        future.set_result(fn(ref))
    except BaseException as exc:  # noqa: BLE001 - delivered to every waiter via the future
        future.set_exception(exc)


def _tag_page(response: requests.Response, ref: ImageRef) -> list[str]:
    try:
        body = response.json()
    except ValueError:
        body = None
    tags = body.get("tags") if isinstance(body, dict) else "invalid"
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise RegistryError(PROTOCOL, ref.registry, f"{ref.registry} returned an invalid tag list for "
                            f"{ref.repository} (expected JSON {{\"tags\": [...]}})")
    return tags
