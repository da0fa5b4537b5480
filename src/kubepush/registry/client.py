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

The protocol bits, per the distribution spec:

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
- auth: a 401 carries ``WWW-Authenticate``. ``Bearer realm,service,scope``:
  get a token from the realm (anonymously, with Basic credentials, or with an
  OAuth2 refresh token for ``identitytoken`` logins) and retry; tokens are
  cached per (registry, repository). ``Basic``: retry with the credentials
  (ECR's ``AWS:<token>``, htpasswd registries). Docker Hub's API host is
  ``registry-1.docker.io``.
- HTTPS always, except for registries explicitly listed as insecure (and
  their token realms); 429 and 5xx are retried honouring ``Retry-After``
  (capped); every call has a timeout.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from kubepush.images.reference import ImageRef, digest_reason, parse_reference
from kubepush.net.origin import origin, same_origin
from kubepush.net.retry import RetryPolicy
from kubepush.redact import redact
from kubepush.registry.credentials import (
    DOCKER_HUB_ALIASES,
    Credentials,
    load_docker_credentials,
)
from kubepush.registry.errors import (
    AUTH,
    INSECURE,
    NOT_FOUND,
    PROTOCOL,
    RATE_LIMITED,
    SERVER,
    UNREACHABLE,
    RegistryError,
)

MANIFEST_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
DOCKER_HUB_API = "registry-1.docker.io"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "kubepush-registry-client"
_CHALLENGE_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


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
        self._explicit = {registry.lower(): creds for registry, creds in (credentials or {}).items()}
        self._docker_config = docker_config
        self._insecure = frozenset(registry.lower() for registry in insecure)
        self.timeout = timeout
        self.retries = retries
        #: 429/5xx honour Retry-After and connection errors back off, capped at max_retry_after
        #: (waited out, not failed fast: a registry's limit resets within the run)
        self.retry = RetryPolicy(attempts=retries + 1, max_wait=max_retry_after, backoff=backoff)
        self.page_size = page_size
        self.max_pages = max_pages
        self._lock = threading.Lock()
        self._local = threading.local()
        self._creds: dict[str, Credentials | None] = {}
        self._tokens: dict[tuple[str, str], str] = {}
        self._basic: set[str] = set()
        self._tags: dict[str, Future[list[str]]] = {}

    def __repr__(self) -> str:
        return f"RegistryClient(insecure={sorted(self._insecure)}, timeout={self.timeout})"

    # Public API -------------------------------------------------------------

    def list_tags(self, ref: ImageRef | str) -> list[str]:
        """All tags of ``ref``'s repository, deduped, in the order served.

        Listed once per repository per client: later calls (any tag of the
        same repository) return the cached listing or raise the cached error.
        """
        ref = _as_ref(ref)
        with self._lock:
            future = self._tags.get(ref.name)
            owner = future is None
            if owner:
                future = self._tags[ref.name] = Future()
        if owner:
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
        url = f"{self._base(ref.registry)}/v2/{ref.repository}/manifests/{reference}"
        headers = {"Accept": ", ".join(MANIFEST_MEDIA_TYPES)}
        what = f"manifest {ref.name}:{reference}"
        head = self._request("HEAD", ref, url, headers=headers, what=what)
        digest = head.headers.get("Docker-Content-Digest", "")
        if head.status_code == 200 and digest and not digest_reason(digest):
            return digest
        if head.status_code in RETRY_STATUSES or head.status_code in (401, 403):
            raise self._error(head, ref, what, tag=reference)  # GET would only repeat this
        # No usable header (or HEAD not allowed / an error without a body):
        # GET gives the body to hash and the error code to report.
        response = self._request("GET", ref, url, headers=headers, what=what)
        if response.status_code != 200:
            raise self._error(response, ref, what, tag=reference)
        digest = response.headers.get("Docker-Content-Digest", "")
        if digest and not digest_reason(digest):
            return digest
        return "sha256:" + hashlib.sha256(response.content).hexdigest()

    # Tags -------------------------------------------------------------------

    def _fetch_tags(self, ref: ImageRef) -> list[str]:
        base = self._base(ref.registry)
        url = f"{base}/v2/{ref.repository}/tags/list"
        params: dict[str, Any] | None = {"n": self.page_size}
        seen: dict[str, None] = {}
        for _ in range(self.max_pages):
            response = self._request("GET", ref, url, params=params, what=f"tag list of {ref.name}")
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

    # HTTP -------------------------------------------------------------------

    def _base(self, registry: str) -> str:
        host = DOCKER_HUB_API if registry in DOCKER_HUB_ALIASES else registry
        scheme = "http" if registry.lower() in self._insecure else "https"
        return f"{scheme}://{host}"

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
        return session

    def _request(
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
            auth = self._auth_header(registry, scope)
            if auth:
                send["Authorization"] = auth
            try:
                response = self._session().request(method, url, headers=send, params=params,
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
                if self._authenticate(registry, scope, response):
                    continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                attempt += 1
                self.retry.sleep(self.retry.delay(attempt, response.headers.get("Retry-After")))
                continue
            return response

    # Auth -------------------------------------------------------------------

    def _credentials(self, registry: str) -> Credentials | None:
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

    def _auth_header(self, registry: str, scope: str) -> str:
        creds = self._credentials(registry)
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

    def _authenticate(self, registry: str, scope: str, response: requests.Response) -> bool:
        """Answer a 401 challenge; True if the request should be retried."""
        scheme, params = _parse_challenge(response.headers.get("WWW-Authenticate", ""))
        creds = self._credentials(registry)
        if scheme == "basic":
            if creds is None or not creds.password:
                return False
            with self._lock:
                self._basic.add(registry)
            return True
        if scheme != "bearer" or not params.get("realm"):
            return False
        token = self._fetch_token(registry, params, scope, creds)
        with self._lock:
            self._tokens[(registry, scope)] = token
        return True

    def _fetch_token(self, registry: str, challenge: dict[str, str], scope: str,
                     creds: Credentials | None) -> str:
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
                answer = self._session().post(realm, data=form, timeout=self.timeout)
            else:
                auth = (creds.username, creds.password) if creds is not None and creds.password else None
                answer = self._session().get(realm, params=query, auth=auth, timeout=self.timeout)
        except requests.exceptions.RequestException as exc:
            raise RegistryError(UNREACHABLE, registry, f"token service for {registry} "
                                f"({parts.netloc}) is unreachable: {exc.__class__.__name__}") from None
        if answer.status_code in (401, 403):
            raise RegistryError(AUTH, registry, self._auth_message(registry, creds))
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

    # Errors -----------------------------------------------------------------

    def _auth_message(self, registry: str, creds: Credentials | None, repo: str = "") -> str:
        if creds is not None:
            return f"credentials rejected for {registry}: check docker config / --registry-auth"
        what = f"{registry}/{repo}" if repo else registry
        return (f"{what} requires credentials (private, or the repository does not exist): "
                "check docker config / --registry-auth")

    def _error(self, response: requests.Response, ref: ImageRef, what: str,
               tag: str | None = None) -> RegistryError:
        status, registry = response.status_code, ref.registry
        code, message = self._server_error(response)
        if status in (401, 403):
            creds = self._credentials(registry)
            if status == 403 and creds is not None:
                return RegistryError(AUTH, registry, f"credentials for {registry} do not grant pull "
                                     f"access to {ref.repository}: check docker config / --registry-auth")
            return RegistryError(AUTH, registry, self._auth_message(registry, creds, ref.repository))
        if status == 404:
            if tag is not None and code != "NAME_UNKNOWN":
                return RegistryError(NOT_FOUND, registry, f"tag {tag!r} not found in {ref.name}")
            return RegistryError(NOT_FOUND, registry, f"repository {ref.repository} not found on {registry}")
        detail = f": {code} {message}".rstrip() if code or message else ""
        if status == 429:
            return RegistryError(RATE_LIMITED, registry, f"rate limited by {registry} (HTTP 429) "
                                 f"fetching the {what}, {self.retries} retries used{detail}; "
                                 "retry later or authenticate for a higher limit")
        if status >= 500:
            return RegistryError(SERVER, registry, f"registry {registry} failed with HTTP {status} "
                                 f"fetching the {what}, {self.retries} retries used{detail}")
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
        with self._lock:
            secrets = [*self._tokens.values()]
            secrets += [s for c in self._creds.values() if c is not None for s in c.secrets()]
        secrets += [s for c in self._explicit.values() for s in c.secrets()]
        return redact(text, secrets)


def _as_ref(value: ImageRef | str) -> ImageRef:
    return value if isinstance(value, ImageRef) else parse_reference(value)


def _settle(future: Future[list[str]], fn: Any, *args: Any) -> None:
    try:
        future.set_result(fn(*args))
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


def _parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
              for m in _CHALLENGE_PARAM.finditer(rest)}
    return scheme.lower(), params


