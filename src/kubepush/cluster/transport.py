"""HTTP/1.1 to the API server: pooled keep-alive connections over the standard library.

``http.client`` and ``ssl`` are all a CLI needs to talk to one server, and they cost a few
milliseconds to import where the generated ``kubernetes`` client and its urllib3 stack cost
half a second of every cluster command and more CPU per request than the request itself.
Connections are kept alive and reused (one per concurrent request, like client-go's
``http.Transport``), a connection the server closed while idle is dropped before it is
reused (urllib3's ``is_connection_dropped``), and nothing is retried here: a request whose
connection broke may or may not have been applied, which the caller says.

TLS: the kubeconfig's CA (or the system's), ``tls-server-name`` for SNI and the certificate
check, a client certificate. Proxies: ``proxy-url`` (else ``HTTPS_PROXY``/``HTTP_PROXY`` and
``NO_PROXY``, as client-go's ``http.ProxyFromEnvironment``) over HTTP - CONNECT for an https
server, the absolute URL for plain http; credentials in the proxy URL go in
``Proxy-Authorization``. A SOCKS or https proxy URL is refused up front.
"""

from __future__ import annotations

import base64
import http.client
import os
import select
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from kubepush.cluster.credentials import ClientCertificate
from kubepush.errors import UsageError


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names
    data: bytes


class _HTTPS(http.client.HTTPSConnection):
    """HTTPS whose certificate is checked against ``server_name`` (tls-server-name) when given."""

    def __init__(self, host: str, port: int | None, *, context: ssl.SSLContext, server_name: str | None,
                 timeout: float) -> None:
        super().__init__(host, port, context=context, timeout=timeout)
        self._server_name = server_name

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)  # TCP, and the proxy's CONNECT tunnel when set
        tunnelled: str | None = getattr(self, "_tunnel_host", None)  # http.client's own, set by set_tunnel
        name = self._server_name or tunnelled or self.host
        self.sock = self._context.wrap_socket(self.sock, server_hostname=name)  # type: ignore[attr-defined]


class Transport:
    """A bounded pool of keep-alive connections to one API server; thread-safe."""

    def __init__(self, server: str, *, ca_file: str | None = None, ca_data: str | None = None,
                 insecure: bool = False, tls_server_name: str | None = None, proxy_url: str | None = None,
                 certificate: ClientCertificate | None = None, pool_size: int = 16, where: str = "") -> None:
        url = urlsplit(server)
        self.scheme = url.scheme
        self.host = url.hostname or ""
        self.port = url.port or (443 if self.scheme == "https" else 80)
        self.prefix = url.path.rstrip("/")  # a server behind a path (Rancher, a gateway)
        self.where = where
        self.tls_server_name = tls_server_name
        self.context = self.tls_context(ca_file, ca_data, insecure, certificate) if self.scheme == "https" else None
        self.proxy = self._proxy(proxy_url, server)
        self.pool_size = max(1, pool_size)
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    # --- TLS and proxy ---------------------------------------------------------------
    def tls_context(self, ca_file: str | None, ca_data: str | None, insecure: bool,
                    certificate: ClientCertificate | None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=ca_file, cadata=ca_data)
        if insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if certificate is not None:
            _load_certificate(context, certificate, self.where)
        return context

    def use_certificate(self, certificate: ClientCertificate) -> None:
        """A new client certificate (an exec plugin's, after a 401): new connections present it."""
        if self.context is not None:
            _load_certificate(self.context, certificate, self.where)
        self.close()

    def _proxy(self, proxy_url: str | None, server: str) -> tuple[str, int, dict[str, str]] | None:
        """``(host, port, headers)`` of the proxy requests go through, or None."""
        if proxy_url is None:
            proxy_url = _environment_proxy(self.scheme, self.host)
            if not proxy_url:
                return None
        proxy = urlsplit(proxy_url if "://" in proxy_url else f"http://{proxy_url}")
        if proxy.scheme != "http" or not proxy.hostname:
            raise UsageError(f"proxy {redact_url(proxy_url)} ({self.where}) is not supported: kubepush speaks to "
                             "HTTP proxies (http://HOST:PORT); use one, or unset proxy-url/HTTPS_PROXY")
        headers = {}
        if proxy.username:
            pair = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode()
            headers["Proxy-Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return proxy.hostname, proxy.port or 80, headers

    # --- connections -----------------------------------------------------------------
    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        if self.proxy is not None:
            host, port, headers = self.proxy
        else:
            host, port, headers = self.host, self.port, {}
        conn: http.client.HTTPConnection
        if self.context is not None:
            conn = _HTTPS(host, port, context=self.context, server_name=self.tls_server_name, timeout=timeout)
            if self.proxy is not None:
                conn.set_tunnel(self.host, self.port, headers=headers)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        return conn

    def _checkout(self, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            while self._idle:
                conn = self._idle.pop()
                if not _dropped(conn):
                    return conn, True
                conn.close()
        return self._connect(timeout), False

    def _checkin(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        if response.will_close or conn.sock is None:
            conn.close()
            return
        with self._lock:
            if len(self._idle) < self.pool_size:
                self._idle.append(conn)
                return
        conn.close()

    def request(self, method: str, target: str, headers: dict[str, str], body: bytes | None,
                timeout: float) -> Response:
        """One request; transport failures raise OSError/ssl/http.client errors for the caller to name."""
        conn, reused = self._checkout(timeout)
        path = self.prefix + target
        if self.proxy is not None and self.context is None:
            path = f"http://{self.host}:{self.port}{path}"  # through an HTTP proxy: the absolute form
            headers = {**headers, **self.proxy[2]}
        try:
            if reused and conn.sock is not None:
                conn.sock.settimeout(timeout)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except BaseException:
            conn.close()
            raise
        result = Response(response.status, response.reason or "",
                          {k.lower(): v for k, v in response.getheaders()}, data)
        self._checkin(conn, response)
        return result

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """The server closed this idle connection (it is readable: EOF, or bytes nobody asked for)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _load_certificate(context: ssl.SSLContext, certificate: ClientCertificate, where: str) -> None:
    """``load_cert_chain`` reads files only: the PEM goes through a private file, removed at once."""
    fd, path = tempfile.mkstemp(prefix="kubepush-client-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp: mode 0600, readable by this user only
            fh.write(certificate.cert.rstrip(b"\n") + b"\n" + certificate.key)
        context.load_cert_chain(path)
    except ssl.SSLError as exc:
        raise UsageError(f"the client certificate or key ({where}) cannot be loaded ({exc.reason or 'not PEM'}); "
                         "check client-certificate(-data) and client-key(-data)") from None
    finally:
        os.unlink(path)


def _environment_proxy(scheme: str, host: str) -> str | None:
    """The proxy the environment names for this server, unless NO_PROXY exempts it."""
    names = ("https_proxy", "HTTPS_PROXY") if scheme == "https" else ("http_proxy", "HTTP_PROXY")
    proxy = next((os.environ[n] for n in names if os.environ.get(n)), None)
    if not proxy:
        return None
    import urllib.request  # only when a proxy is set: its import is not free

    bypass = getattr(urllib.request, "proxy_bypass_environment")  # noqa: B009 - public, untyped in typeshed
    return None if bypass(host) else proxy


def redact_url(url: str) -> str:
    """A proxy URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def describe(exc: BaseException) -> tuple[str, str]:
    """``(kind, text)`` of a transport failure: kind is ``untrusted``, ``timeout``, ``refused``,
    ``closed``, ``handshake``, ``proxy`` or ``other``."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "untrusted", f"certificate verify failed: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        # the server ended the handshake: with TLS 1.3 a client certificate it does not trust shows
        # as an alert or as EOF on the first read
        return "handshake", str(exc.reason or type(exc).__name__).replace("_", " ").lower()
    if isinstance(exc, OSError) and str(exc).startswith("Tunnel connection failed"):
        return "proxy", str(exc).split(":", 1)[1].strip()
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timeout", str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return "refused", str(exc)
    if isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                        ConnectionAbortedError, http.client.IncompleteRead)):
        return "closed", str(exc)
    return "other", f"{type(exc).__name__}: {exc}"
