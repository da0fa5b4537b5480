"""HTTP transport shared by the forge clients: auth, timeouts, retries, pagination, errors.

One place decides how kubepush talks HTTP to a forge so the three clients only
describe *what* to call. Rules that matter for a CI bot:

* every call has a timeout; TLS verification is on unless the caller explicitly
  passes ``verify=False`` (a warning is logged then);
* 429s and rate-limit 403s are retried after ``Retry-After`` / ``x-ratelimit-reset``
  (bounded: a wait longer than ``RetryPolicy.max_wait`` fails fast with the reset
  time instead of hanging the pipeline); 5xx and network errors back off
  exponentially; read timeouts are retried only for idempotent methods, because a
  POST that timed out may already have created the pull request or comment;
* the token lives only in ``TokenAuth`` (its repr hides it), is stripped when a
  redirect leaves the API host, and every message we build passes ``_redact``;
* pagination follows ``Link: rel="next"`` (and GitLab's ``X-Next-Page``) but only
  to the API's own origin, so a hostile ``Link`` cannot make us send the token
  elsewhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from kubepush.forges import errors as E
from kubepush.forges.errors import ForgeError
from kubepush.net.origin import origin, same_origin
from kubepush.net.retry import RetryPolicy, retry_after
from kubepush.redact import MASK, redact

log = logging.getLogger("kubepush.forges")

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
MAX_PAGES = 200


class TokenAuth(AuthBase):
    """Puts the token in one header; never shows it in repr/str."""

    def __init__(self, token: str, header: str = "Authorization", scheme: str | None = "Bearer"):
        if not token or token != token.strip():
            raise ValueError("token must be a non-empty string without surrounding whitespace")
        self._token = token
        self.header = header
        self.scheme = scheme

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers[self.header] = f"{self.scheme} {self._token}" if self.scheme else self._token
        return r

    def redact(self, text: str) -> str:
        return redact(text, (self._token,))

    def __repr__(self) -> str:
        return f"TokenAuth(header={self.header!r}, token={MASK})"

    __str__ = __repr__


class _Session(requests.Session):
    """A Session that also drops our custom auth header when a redirect changes host.

    requests strips ``Authorization`` on cross-host redirects but not headers such as
    GitLab's ``PRIVATE-TOKEN``/``JOB-TOKEN``.
    """

    auth_header: str = "Authorization"

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        # types-requests leaves both redirect hooks unannotated (str, str -> bool; -> None)
        if self.should_strip_auth(response.request.url, prepared_request.url):  # type: ignore[no-untyped-call]
            prepared_request.headers.pop(self.auth_header, None)
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]


@dataclass
class Dialect:
    """What differs between forges at the HTTP level. Forge modules subclass it."""

    forge: str = "forge"
    token_env: str = "the token"
    #: the scope/permission a write needs, for 403 messages
    permission_hint: str = "the token lacks the permission for this operation"

    def error_message(self, body: Any) -> str:
        """The forge's own error text from a decoded JSON error body."""
        if isinstance(body, dict):
            for key in ("message", "error"):
                if body.get(key):
                    return _flatten(body[key])
        return ""

    def is_already_exists(self, status: int, message: str) -> bool:
        return False

    def rate_limit_wait(self, resp: requests.Response, now: float) -> float | None:
        """Seconds to wait if ``resp`` is a rate-limit answer, else ``None``."""
        if resp.status_code == 429:
            return header_retry_after(resp, now) or 1.0
        return None

    def next_page(self, resp: requests.Response) -> str | None:
        nxt = resp.links.get("next", {}).get("url")
        return nxt or None

    def forbidden_advice(self, resp: requests.Response, message: str) -> str:
        return f"permission denied ({message or 'forbidden'}): {self.permission_hint}"


def _flatten(value: Any) -> str:
    """GitLab sends ``{"message": {"field": ["msg"]}}``; make one line of it."""
    if isinstance(value, dict):
        return "; ".join(f"{k} {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_flatten(v) for v in value)
    return str(value)


def header_retry_after(resp: requests.Response, now: float) -> float | None:
    """The answer's ``Retry-After`` in seconds, if present and readable."""
    return retry_after(resp.headers.get("Retry-After"), now)


@dataclass
class Transport:
    """Sends one logical API call (with retries) and turns failures into ``ForgeError``."""

    api_url: str
    dialect: Dialect
    auth: TokenAuth | None
    subject: str = "the repository"
    timeout: tuple[float, float] = (10.0, 30.0)
    verify: bool | str = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    user_agent: str = "kubepush"

    def __post_init__(self) -> None:
        self.api_url = self.api_url.rstrip("/")
        if urlsplit(self.api_url).scheme not in ("http", "https"):
            raise ValueError(f"forge API URL must be http(s): {self.api_url!r}")
        self._origin = origin(self.api_url)
        self.session = _Session()
        self.session.auth = self.auth
        if self.auth is not None:
            self.session.auth_header = self.auth.header
        self.session.verify = self.verify
        self.session.headers["User-Agent"] = self.user_agent
        if self.verify is False:
            log.warning("TLS certificate verification is disabled for %s (explicitly requested)",
                        self._origin)

    def __repr__(self) -> str:
        return f"Transport(api_url={self.api_url!r}, forge={self.dialect.forge!r}, auth={self.auth!r})"

    # -- public -------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        ok: tuple[int, ...] = (200, 201, 204),
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One API call. ``path`` is relative to the API URL, or an absolute same-origin URL."""
        url = self._url(path, operation)
        policy = self.retry
        for attempt in range(1, policy.attempts + 1):
            last = attempt == policy.attempts
            started = time.monotonic()
            try:
                # verify per request: a session-level False loses to REQUESTS_CA_BUNDLE
                resp = self.session.request(
                    method, url, params=params, json=json, headers=headers,
                    timeout=self.timeout, verify=self.verify, allow_redirects=True,
                )
            except requests.RequestException as exc:
                if last or not _retryable_exc(exc, method):
                    raise self._network_error(exc, operation, attempt) from None
                wait = policy.delay(attempt)
                log.warning("%s %s: %s; retrying in %.1fs (attempt %d/%d)", self.dialect.forge,
                            operation, type(exc).__name__, wait, attempt, policy.attempts)
                policy.sleep(wait)
                continue
            log.debug("%s %s %s -> %d (%.2fs)", self.dialect.forge, method, urlsplit(url).path,
                      resp.status_code, time.monotonic() - started)
            if resp.status_code in ok:
                return resp
            limited = self.dialect.rate_limit_wait(resp, policy.clock())
            if limited is not None:
                if limited > policy.max_wait or last:
                    raise self._rate_limit_error(resp, operation, limited)
                log.warning("%s rate limit on %s (HTTP %d); waiting %.1fs (attempt %d/%d)",
                            self.dialect.forge, operation, resp.status_code, limited, attempt,
                            policy.attempts)
                policy.sleep(limited)
                continue
            if resp.status_code >= 500 and not last:
                wait = policy.delay(attempt, resp.headers.get("Retry-After"))
                log.warning("%s %s: server error %d; retrying in %.1fs (attempt %d/%d)",
                            self.dialect.forge, operation, resp.status_code, wait, attempt,
                            policy.attempts)
                policy.sleep(wait)
                continue
            raise self._http_error(resp, operation, attempt)
        raise AssertionError("unreachable")  # pragma: no cover - loop always returns/raises

    def json(self, method: str, path: str, *, operation: str, **kw: Any) -> Any:
        resp = self.call(method, path, operation=operation, **kw)
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise ForgeError(
                f"{self.dialect.forge} {operation}: the answer (HTTP {resp.status_code}) is not "
                f"JSON; is {self.api_url} really the {self.dialect.forge} API URL?",
                operation=operation, status=resp.status_code, kind=E.OTHER) from None

    def json_object(self, method: str, path: str, *, operation: str, **kw: Any) -> dict[str, Any]:
        """:meth:`json` for an answer that must be one JSON object (a pull request, the token's user):
        anything else names the API URL here instead of failing later as a ``TypeError``."""
        data = self.json(method, path, operation=operation, **kw)
        if not isinstance(data, dict):
            raise ForgeError(
                f"{self.dialect.forge} {operation}: the answer is not a JSON object but {type(data).__name__}; "
                f"is {self.api_url} really the {self.dialect.forge} API URL?",
                operation=operation, kind=E.OTHER)
        return data

    def paginate(self, path: str, *, operation: str,
                 params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Yield the items of every page of a list endpoint."""
        url: str | None = path
        query: Mapping[str, Any] | None = params
        for _ in range(MAX_PAGES):
            assert url is not None
            resp = self.call("GET", url, operation=operation, params=query, ok=(200,))
            page = resp.json()
            if not isinstance(page, list):
                raise ForgeError(f"{self.dialect.forge} {operation}: expected a JSON list",
                                 operation=operation, status=resp.status_code)
            yield from page
            url = self.dialect.next_page(resp)
            if not url or not page:
                return
            query = None  # the next link carries the full query
        raise ForgeError(f"{self.dialect.forge} {operation}: more than {MAX_PAGES} pages; "
                         "giving up rather than acting on a partial list", operation=operation)

    # -- internals ------------------------------------------------------------
    def _url(self, path: str, operation: str) -> str:
        if path.startswith(("http://", "https://")):
            if not same_origin(path, self._origin):
                raise ForgeError(
                    f"{self.dialect.forge} {operation}: refusing to follow a link to "
                    f"{origin(path)} (not the API host {self._origin}); the token stays here",
                    operation=operation, kind=E.OTHER)
            return path
        return self.api_url + "/" + path.lstrip("/")

    def _redact(self, text: str) -> str:
        return self.auth.redact(text) if self.auth else redact(text)

    def _body_message(self, resp: requests.Response) -> str:
        try:
            body = resp.json()
        except ValueError:
            body = None
        msg = self.dialect.error_message(body) if body is not None else ""
        if not msg:
            msg = resp.reason or ""
        return self._redact(" ".join(msg.split())[:500])

    def _http_error(self, resp: requests.Response, operation: str, attempts: int) -> ForgeError:
        d = self.dialect
        status = resp.status_code
        fmsg = self._body_message(resp)
        kind = E.OTHER
        if status == 401:
            kind = E.AUTH
            advice = (f"token rejected ({fmsg}): check {d.token_env}" if self.auth else
                      f"no token given: set {d.token_env}")
        elif status == 403:
            kind = E.PERMISSION
            advice = d.forbidden_advice(resp, fmsg)
        elif status == 404:
            kind = E.NOT_FOUND
            advice = (f"{self.subject} not found at {self.api_url}, or the token cannot see it: "
                      f"check the repository URL and that {d.token_env} has access to it")
        elif status == 405:
            kind = E.VALIDATION
            advice = (f"not allowed in its current state ({fmsg}): a draft, conflicting, closed "
                      "or already merged pull request cannot be merged")
        elif status in (409, 422) or status == 400:
            kind = E.EXISTS if d.is_already_exists(status, fmsg) else E.VALIDATION
            advice = f"rejected: {fmsg}"
        elif status >= 500:
            kind = E.SERVER
            advice = (f"server error ({fmsg}) after {attempts} attempt(s); the forge may be "
                      "down, try again later")
        else:
            advice = fmsg or "unexpected answer"
        return ForgeError(self._redact(f"{d.forge} {operation} failed (HTTP {status}): {advice}"),
                          operation=operation, status=status, kind=kind, forge_message=fmsg)

    def _rate_limit_error(self, resp: requests.Response, operation: str, wait: float) -> ForgeError:
        until = time.strftime("%H:%M:%S UTC", time.gmtime(self.retry.clock() + wait))
        fmsg = self._body_message(resp)
        return ForgeError(
            self._redact(f"{self.dialect.forge} {operation} failed (HTTP {resp.status_code}): "
                         f"rate limited ({fmsg}); the limit resets in {wait:.0f}s (at {until}); "
                         "retry later or use a token with a higher limit"),
            operation=operation, status=resp.status_code, kind=E.RATE_LIMIT, forge_message=fmsg)

    def _network_error(self, exc: Exception, operation: str, attempts: int) -> ForgeError:
        what = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
        if isinstance(exc, requests.exceptions.SSLError):
            what = ("TLS verification failed (use a CA bundle for a private CA; disable "
                    "verification only if you must)")
        return ForgeError(
            self._redact(f"{self.dialect.forge} {operation} failed: {what} talking to "
                         f"{self._origin} after {attempts} attempt(s) ({type(exc).__name__})"),
            operation=operation, kind=E.NETWORK)


def _retryable_exc(exc: Exception, method: str) -> bool:
    if isinstance(exc, requests.exceptions.SSLError):
        return False  # a certificate problem does not fix itself
    if isinstance(exc, requests.ConnectTimeout):
        return True  # nothing was sent
    if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
        return method.upper() in IDEMPOTENT
    return False
