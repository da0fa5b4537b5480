"""HTTP layer: authentication, routing, faults, latency, request records, encoding, watch."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from . import discovery, openapi, status
from .api import Api, Call
from .faults import Record
from .schema import ResourceType

if TYPE_CHECKING:
    from .fake import FakeKube

class Route:
    """A parsed API path."""

    def __init__(self, kind: str, **kw: Any):
        self.kind = kind  # discovery | openapi | version | health | resource | unknown
        self.__dict__.update(kw)


def route(path: str, store_types) -> Route:
    parts = [p for p in path.split("/") if p]
    if path in ("/version", "/version/"):
        return Route("version")
    if parts and parts[0] in ("healthz", "readyz", "livez"):
        return Route("health")
    if parts and parts[0] == "openapi":
        return Route("openapi", parts=parts[1:])
    if parts[:1] == ["api"]:
        if len(parts) == 1:
            return Route("discovery", what="core")
        prefix, group, rest = parts[1], "", parts[2:]
        version = prefix
    elif parts[:1] == ["apis"]:
        if len(parts) == 1:
            return Route("discovery", what="groups")
        if len(parts) == 2:
            return Route("discovery", what="group", group=parts[1])
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return Route("unknown")
    if not rest:
        return Route("discovery", what="resources", group=group, version=version)
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and store_types(group, version, rest[2]) is not None \
            and store_types(group, version, rest[2]).namespaced:
        namespace, rest = rest[1], rest[2:]
    plural = rest[0]
    name = rest[1] if len(rest) > 1 else None
    sub = "/".join(rest[2:]) or None
    return Route("resource", group=group, version=version, namespace=namespace, plural=plural, name=name,
                 subresource=sub)


def _age(ts: str | None) -> str:
    if not ts:
        return "<unknown>"
    then = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    secs = int((datetime.now(UTC) - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size * 2 or (unit == "m" and secs >= 60):
            return f"{secs // size}{unit}"
    return f"{max(secs, 0)}s"


def as_table(rt: ResourceType, body: dict[str, Any]) -> dict[str, Any]:
    """meta.k8s.io/v1 Table, which ``kubectl get`` asks for (Name, [Status,] Age columns)."""
    items = body["items"] if body.get("kind", "").endswith("List") else [body]
    columns = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
                "description": "Name must be unique within a namespace."}]
    if rt.kind == "Namespace":
        columns.append({"name": "Status", "type": "string", "format": "", "priority": 0,
                        "description": "The status of the namespace"})
    columns.append({"name": "Age", "type": "string", "format": "", "priority": 0,
                    "description": "CreationTimestamp is a timestamp representing the server time when "
                                   "this object was created."})
    rows = []
    for obj in items:
        meta = obj.get("metadata", {})
        cells = [meta.get("name")]
        if rt.kind == "Namespace":
            cells.append((obj.get("status") or {}).get("phase", ""))
        cells.append(_age(meta.get("creationTimestamp")))
        rows.append({"cells": cells, "object": {"kind": "PartialObjectMetadata",
                                                 "apiVersion": "meta.k8s.io/v1", "metadata": meta}})
    meta = {"resourceVersion": body.get("metadata", {}).get("resourceVersion", "")}
    if body.get("metadata", {}).get("continue"):
        meta["continue"] = body["metadata"]["continue"]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": columns,
            "rows": rows}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle plus the client's
        # delayed ACK adds ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connections.add(self.connection)
        if self.server.ssl_context is not None:
            self.connection.settimeout(10)
            self.connection.do_handshake()
            self.connection.settimeout(None)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.connections.discard(self.connection)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    # --- plumbing ----------------------------------------------------------------------
    def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = status.dumps(body)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Audit-Id", self.audit_id)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.record.code = code

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        fake: FakeKube = self.server.fake
        self.audit_id = f"{time.monotonic_ns():x}"
        split = urlsplit(self.path)
        path, query = split.path, dict(parse_qsl(split.query, keep_blank_values=True))
        body = self._body()
        r = route(path, fake.store.resource)
        verb = self._verb(r, query)
        self.record = Record(self.command, path, query, verb, getattr(r, "plural", None),
                             getattr(r, "namespace", None), getattr(r, "name", None),
                             self.headers.get("Content-Type", ""))
        fake._record(self.record)
        if not fake.running:  # stopping: a server that went away answers nothing, on any connection
            self.close_connection = True
            return
        if not fake.faults.answering.is_set():
            fake.faults.answering.wait()  # hung: the client's own timeout is all that ends the request
            if not fake.running:
                self.close_connection = True
                return
        latency = fake.latency(self.record) if callable(fake.latency) else fake.latency
        if latency:
            time.sleep(latency)
            if not fake.running:  # it went away while this request was on its way
                self.close_connection = True
                return
        fault = fake.faults.take(self.command, verb, path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.close:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
        try:
            self._authenticate()
            if fault is not None and fault.status:
                raise self._fault_error(fault, r, verb)
            self._dispatch(r, path, query, body, verb)
        except status.ApiError as err:
            self._send(err.code, err.body, err.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - a server bug must become a 500, not a hang
            err = status.internal_error(f"fakekube: {type(exc).__name__}: {exc}")
            self._send(err.code, err.body)

    def _verb(self, r: Route, query: dict[str, str]) -> str:
        """The Kubernetes verb of the request, as RBAC and audit name it."""
        if r.kind != "resource":
            return "get"
        if r.name is None:
            verbs = {"GET": "watch" if query.get("watch") in ("true", "1") else "list",
                     "POST": "create", "DELETE": "deletecollection"}
        else:
            verbs = {"GET": "get", "DELETE": "delete", "POST": "create", "PUT": "update", "PATCH": "patch"}
        return verbs.get(self.command, "unknown")

    def _authenticate(self) -> None:
        """Bearer token check, or a client certificate the fake's CA signed (TLS verified it);
        no credentials at all is the anonymous user when allowed."""
        fake: FakeKube = self.server.fake
        header = self.headers.get("Authorization")
        if header is None and fake.tls:
            from .tls import client_common_name

            user = client_common_name(self.connection)
            if user is not None:
                fake.client_users.append(user)
                return
        if header is None and fake.allow_anonymous:
            return
        if header != f"Bearer {fake.token}":
            raise status.unauthorized()

    def _fault_error(self, fault, r: Route, verb: str) -> status.ApiError:
        fake: FakeKube = self.server.fake
        rt = fake.store.resource(r.group, r.version, r.plural) if r.kind == "resource" else None
        if fault.status == 403:
            return status.forbidden(fake.user, verb, rt, getattr(r, "namespace", None),
                                    getattr(r, "name", None), self.path)
        if fault.status == 409 and rt is not None and r.name and not fault.message:
            return status.conflict(rt, r.name)
        if fault.status == 422 and rt is not None and not fault.message:
            return status.invalid(rt, r.name or "", [("FieldValueInvalid", "spec", "Invalid value: injected")])
        return status.generic(fault.status, fault.message)

    def _dispatch(self, r: Route, path: str, query: dict[str, str], body: bytes, verb: str) -> None:
        fake: FakeKube = self.server.fake
        store = fake.store
        if r.kind == "version":
            return self._send(200, discovery.VERSION)
        if r.kind == "health":
            return self._send(200, "ok")
        if r.kind == "openapi":
            doc = openapi.document(store, r.parts)
            if doc is None:
                raise status.ApiError(404, "NotFound", "the server could not find the requested resource")
            return self._send(200, doc)
        if r.kind == "discovery":
            return self._discovery(r)
        if r.kind != "resource":
            raise status.ApiError(404, "NotFound", "the server could not find the requested resource")
        rt = store.resource(r.group, r.version, r.plural)
        if rt is None:
            raise status.ApiError(404, "NotFound", "the server could not find the requested resource")
        if r.subresource not in (None, "status", "scale"):
            raise status.ApiError(404, "NotFound", "the server could not find the requested resource")
        if r.subresource == "status" and (self.command != "GET" or not rt.has_status):
            # Status is what controllers write; here the test does, via FakeKube.set_status.
            raise status.method_not_allowed()
        if rt.namespaced and r.namespace is None:
            if r.name is not None:
                raise status.ApiError(404, "NotFound", "the server could not find the requested resource")
            if verb not in ("list", "watch"):
                raise status.method_not_allowed()  # writes need the namespaced collection path
        if rt.crd:
            fake.admission.check_routed(rt.group, rt.version)
        fake.admission.check_write(rt.plural, verb)
        if query.get("dryRun") not in (None, "All"):
            raise status.bad_request(f'Invalid dry run value "{query["dryRun"]}": valid values are: All')
        call = Call(verb=verb, rt=rt, namespace=r.namespace if rt.namespaced else None, name=r.name,
                    subresource=r.subresource, query=query, body=body,
                    content_type=self.headers.get("Content-Type", "application/json"),
                    user_agent=self.headers.get("User-Agent", ""))
        if verb == "watch":
            return self._watch(call)
        api: Api = fake.api
        if r.subresource == "scale":
            code, result = api.scale(call)
            return self._send(code, result)
        handlers = {"get": api.get, "list": api.list, "create": api.create, "update": api.update,
                    "patch": api.patch, "delete": api.delete, "deletecollection": api.delete_collection}
        if verb not in handlers:
            raise status.method_not_allowed()
        code, result = handlers[verb](call)
        headers = {"Warning": ", ".join(f'299 - {json.dumps(w)}' for w in call.warnings)} if call.warnings else {}
        if verb in ("get", "list") and "as=Table" in self.headers.get("Accept", ""):
            result = as_table(rt, result)
        self._send(code, result, headers)

    def _discovery(self, r: Route) -> None:
        types = self.server.fake.store.types()
        if r.what == "core":
            host = f"{self.server.server_address[0]}:{self.server.server_address[1]}"
            doc = discovery.core_versions(host)
        elif r.what == "groups":
            doc = discovery.group_list(types)
        elif r.what == "group":
            doc = discovery.group_of(types, r.group)
        else:
            doc = discovery.resource_list(types, r.group, r.version)
            self.server.fake.admission.discovered(r.group, r.version)
        if doc is None:
            raise status.ApiError(404, "NotFound", "the server could not find the requested resource")
        self._send(200, doc)

    def _watch(self, call: Call) -> None:
        """Stream watch events (JSON lines, chunked) until timeoutSeconds or server stop."""
        from .selectors import field_selector, label_selector

        fake: FakeKube = self.server.fake
        store = fake.store
        labels = label_selector(call.query.get("labelSelector"))
        fields = field_selector(call.query.get("fieldSelector"))
        deadline = time.monotonic() + float(call.query.get("timeoutSeconds") or 1800)
        key = (call.rt.group, call.rt.plural)

        def wanted(obj: dict[str, Any]) -> bool:
            meta = obj["metadata"]
            return ((call.namespace is None or meta.get("namespace") == call.namespace)
                    and labels(meta.get("labels") or {}) and fields(obj))

        since = call.query.get("resourceVersion")
        if since not in (None, "") and not since.isdigit():
            raise status.bad_request(f'invalid resource version: "{since}"')
        with store.lock:
            if since in (None, "", "0"):
                pending = [("ADDED", o) for o in store.items(call.rt, call.namespace) if wanted(o)]
                cursor = store.resource_version
            elif int(since) < store.compacted:
                expired = status.ApiError(410, "Expired", f"too old resource version: {since} "
                                          f"({store.compacted + 1})")
                pending, cursor = [("ERROR", expired.body)], store.resource_version
            else:
                pending, cursor = [], int(since)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Audit-Id", self.audit_id)
        self.end_headers()
        self.record.code = 200
        try:
            while True:
                for event, obj in pending:
                    if event != "ERROR":
                        obj = dict(obj, apiVersion=call.rt.group_version, kind=call.rt.kind)
                    self._chunk(json.dumps({"type": event, "object": obj}).encode() + b"\n")
                if pending and pending[-1][0] == "ERROR":
                    break
                with store.lock:
                    pending = [(e, o) for rv, e, k, o in store.events if rv > cursor and k == key and wanted(o)]
                    cursor = store.resource_version
                    remaining = deadline - time.monotonic()
                    if not pending:
                        if remaining <= 0 or not fake.running:
                            break
                        store.changed.wait(min(remaining, 0.2))
            self._chunk(b"")
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    #: socketserver's default backlog is 5: a client opening 16 connections at once on a busy machine
    #: got resets. Go's net.Listen (kube-apiserver) uses the system's somaxconn.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], fake: FakeKube, ssl_context=None):
        self.fake = fake
        self.ssl_context = ssl_context
        self.connections: set[socket.socket] = set()
        super().__init__(address, Handler)

    def get_request(self):
        conn, addr = super().get_request()
        if self.ssl_context is not None:
            # The handshake runs lazily in the handler thread, not in the accept loop.
            conn = self.ssl_context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        return conn, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Dropped connections and failed TLS handshakes are expected here; stay quiet."""

    def close_all(self) -> None:
        """Drop every open connection: what clients see when the apiserver goes away."""
        for conn in list(self.connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

