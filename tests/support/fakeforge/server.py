"""The machinery the three fake forges share: a threaded HTTP server on 127.0.0.1,
routing by the contract's operations, token auth, pagination, fault injection, and
contract validation of every request and response.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from .contract import Contract, Operation


@dataclass
class Request:
    method: str
    path: str                      # raw (still percent-encoded), forge prefix included
    query: dict[str, list[str]]
    body: Any
    body_present: bool
    headers: dict[str, str]
    op_id: str = ""
    params: dict[str, str] = field(default_factory=dict)
    user: str = ""
    can_write: bool = True

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """One request as the fake received it; ``status`` is set once it was answered."""

    method: str
    target: str
    op_id: str
    headers: dict[str, str]
    status: int | None = None
    received: float = 0.0


@dataclass
class Fault:
    op_id: str
    status: int | None
    times: int
    headers: dict[str, str]
    body: Any
    delay: float


@dataclass
class Uncontracted:
    """A route the contract files do not describe; ``doc`` says where it is documented."""

    op_id: str
    method: str
    regex: re.Pattern[str]
    doc: str


def route(op_id: str, method: str | None = None, path: str | None = None, doc: str = ""):
    """Mark a fake's method as the handler of a contract operation (or a documented extra)."""
    def mark(fn: Callable[..., Response]) -> Callable[..., Response]:
        fn._route = (op_id, method, path, doc)  # type: ignore[attr-defined]
        return fn
    return mark


class FakeForge:
    """Base class: subclasses set ``contract_cls`` and implement the routes and auth."""

    contract_cls: type[Contract]
    forge = "forge"
    #: cap on page sizes so that even small test data spans several pages
    page_cap = 2

    def __init__(self, owner: str = "octo", repo: str = "app") -> None:
        self.contract = self.contract_cls()
        self.owner, self.repo = owner, repo
        self.lock = threading.RLock()
        self.violations: list[str] = []
        self.log: list[Call] = []
        self.uncontracted_used: set[str] = set()
        self.faults: list[Fault] = []
        self.bot = "kubepush-bot"
        self.token = f"tok{secrets.token_hex(12)}"
        self.readonly_token = f"ro{secrets.token_hex(12)}"
        self.tokens = {self.token: (self.bot, True), self.readonly_token: ("reader", False)}
        self.handlers: dict[str, Callable[[Request], Response]] = {}
        self.extra: list[Uncontracted] = []
        for name in dir(type(self)):
            spec = getattr(getattr(type(self), name), "_route", None)
            if spec is None:
                continue
            op_id, method, path, doc = spec
            self.handlers[op_id] = getattr(self, name)
            if method is not None:
                assert path is not None and doc, f"uncontracted route {op_id} needs path and doc"
                pattern = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p)
                                  for p in re.split(r"(\{[^}]+\})", path))
                self.extra.append(Uncontracted(op_id, method, re.compile(f"^{pattern}$"), doc))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True,
                                        name=f"fake-{self.forge}")
        self._thread.start()

    # -- test-facing API ----------------------------------------------------------
    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, op_id: str, status: int | None = None, *, times: int = 1,
             headers: dict[str, str] | None = None, body: Any = None, delay: float = 0.0) -> None:
        """Answer the next ``times`` requests to ``op_id`` (``"*"``: any) with ``status``
        (the forge's real error body unless ``body`` is given), or just delay them."""
        with self.lock:
            self.faults.append(Fault(op_id, status, times, headers or {}, body, delay))

    def calls(self, op_id: str | None = None) -> list[Call]:
        """The requests received (to ``op_id``), in order, answered or not yet."""
        with self.lock:
            return [c for c in self.log if op_id is None or c.op_id == op_id]

    # -- to implement ---------------------------------------------------------------
    def error(self, status: int, message: str, **extra: Any) -> Response:
        raise NotImplementedError

    def auth_token(self, headers: dict[str, str]) -> str | None:
        """The token if the request carries it in a form the forge accepts, else None."""
        raise NotImplementedError

    def authorize(self, req: Request, token: str | None) -> tuple[str, bool] | None:
        """(user, may write) for a known token, else None (-> 401)."""
        return self.tokens.get(token) if token else None

    def unauthorized(self) -> Response:
        raise NotImplementedError

    def forbidden(self, req: Request) -> Response:
        raise NotImplementedError

    def scope(self, req: Request) -> Response | None:
        """A 404 if the request names another repository than the one this fake hosts."""
        return None

    def common_headers(self, req: Request, resp: Response) -> None:
        """Headers the forge adds to every answer (rate-limit counters...)."""

    # -- pagination ---------------------------------------------------------------
    def paginate(self, req: Request, items: list[Any], *, size_param: str = "per_page",
                 default_size: int = 30, extra_headers: bool = False) -> Response:
        """Slice ``items`` per ``page``/``size_param`` and add RFC 5988 ``Link`` headers."""
        size = min(int(req.arg(size_param) or default_size), self.page_cap)
        page = max(1, int(req.arg("page") or 1))
        last = max(1, -(-len(items) // size))
        chunk = items[(page - 1) * size: page * size]
        links = []
        # GitHub and Gitea: next/last unless on the last page, first/prev unless on the
        # first; GitLab (extra_headers): first and last always
        for rel, num, show in (("prev", page - 1, page > 1), ("next", page + 1, page < last),
                               ("first", 1, page > 1 or extra_headers),
                               ("last", last, page < last or extra_headers)):
            if show:
                links.append(f'<{self._page_url(req, num)}>; rel="{rel}"')
        headers = {"Link": ", ".join(links)} if links else {}
        if extra_headers:  # GitLab
            headers.update({"X-Page": str(page), "X-Per-Page": str(size), "X-Total": str(len(items)),
                            "X-Total-Pages": str(last),
                            "X-Next-Page": str(page + 1) if page < last else "",
                            "X-Prev-Page": str(page - 1) if page > 1 else ""})
        return Response(200, chunk, headers)

    def _page_url(self, req: Request, page: int) -> str:
        query = {k: v[0] for k, v in req.query.items()}
        query["page"] = str(page)
        return f"{self.origin}{req.path}?{urlencode(query)}"

    # -- request pipeline -----------------------------------------------------------
    def route_for(self, method: str, path: str) -> tuple[Operation | None, str, dict[str, str]] | None:
        found = self.contract.match(method, path)
        if found:
            op, params = found
            if op.op_id in self.handlers:
                return op, op.op_id, params
        for ex in self.extra:
            m = ex.regex.match(path) if ex.method == method else None
            if m:
                return None, ex.op_id, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Response:
        parts = urlsplit(target)
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                with self.lock:
                    self.violations.append(f"{method} {target}: request body is not JSON")
                return self.error(400, "Problems parsing JSON")
        req = Request(method, parts.path, parse_qs(parts.query, keep_blank_values=True), body,
                      bool(raw), headers)
        found = self.route_for(method, parts.path)
        if found is None:
            with self.lock:
                self.violations.append(f"{method} {parts.path}: no such route in the contract")
            return self.error(404, "Not Found")
        op, req.op_id, req.params = found
        call = Call(method, target, req.op_id, headers, received=time.monotonic())
        # validate every request, including those a fault will answer
        problems = self.contract.check_request(op, req.params, req.query, body,
                                               req.body_present) if op is not None else []
        with self.lock:
            self.log.append(call)
            self.violations.extend(f"request {method} {target}: {p}" for p in problems)
            if op is None:
                self.uncontracted_used.add(req.op_id)
        fault = self._take_fault(req.op_id)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                resp = Response(fault.status, fault.body, dict(fault.headers)) if fault.body \
                    is not None else self.error(fault.status, _REASONS.get(fault.status, "error"))
                resp.headers.update(fault.headers)
                return self._finish(req, op, resp, call)
        identity = self.authorize(req, self.auth_token(headers))
        if identity is None:
            return self._finish(req, op, self.unauthorized(), call)
        req.user, req.can_write = identity
        if method != "GET" and not req.can_write:
            return self._finish(req, op, self.forbidden(req), call)
        try:
            with self.lock:
                resp = self.scope(req) or self.handlers[req.op_id](req)
        except Exception as exc:  # a bug in the fake: make it loud
            with self.lock:
                self.violations.append(f"fake {self.forge} crashed on {method} {target}: {exc!r}")
            resp = self.error(500, "fake crashed")
        return self._finish(req, op, resp, call)

    def _take_fault(self, op_id: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.op_id in (op_id, "*"):
                    fault.times -= 1
                    return fault
        return None

    def _finish(self, req: Request, op: Operation | None, resp: Response, call: Call) -> Response:
        self.common_headers(req, resp)
        if op is not None:
            problems = self.contract.check_response(op, resp.status, resp.body)
            with self.lock:
                self.violations.extend(f"response to {req.method} {req.path}: {p}" for p in problems)
        call.status = resp.status
        return resp


_REASONS = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
            422: "Validation Failed", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable"}


def _make_handler(fake: FakeForge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            resp = fake.handle(self.command, self.path, dict(self.headers.items()), raw)
            raw_body = isinstance(resp.body, bytes)
            payload = resp.body if raw_body else (
                b"" if resp.body is None else json.dumps(resp.body).encode())
            try:
                self.send_response(resp.status)
                for k, v in resp.headers.items():
                    self.send_header(k, v)
                if payload:
                    self.send_header("Content-Type", "text/html" if raw_body else
                                     "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout fault): nothing to do

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            pass

    return Handler
