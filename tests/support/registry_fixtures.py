"""Real registries for the registry client tests, and a scripted_registry server for faults.

- :func:`start_registry` runs Debian's ``docker-registry`` (distribution v2)
  on 127.0.0.1 with a free port and a temporary storage directory: anonymous,
  htpasswd (bcrypt) Basic auth, or token auth backed by :class:`TokenServer`,
  a small realm issuing RS256 JWTs with an ``x5c`` chain the registry verifies
  against a certificate generated here (``auth: token: rootcertbundle``).
- :class:`Pusher` pushes real images with the distribution API: config and
  layer blobs (monolithic upload), an OCI manifest per tag, an OCI index for
  multi-arch. It returns the digests computed from the bytes it sent, which is
  what the client under test must find.
- :class:`ScriptedServer` is for what a real registry cannot be made to do
  (429 with Retry-After, 500s, garbage JSON, hangs, Link pagination that
  ignores ``last``): each path answers from a script, following the
  distribution spec's status codes, headers and error bodies.

Test modules load the fixtures with ``pytest_plugins = ["tests.support.registry_fixtures"]``
and import the helpers directly; that import comes first, so pytest cannot
rewrite this module's asserts (PYTEST_DONT_REWRITE says so instead of a warning).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

REGISTRY_BINARY = "/usr/bin/docker-registry"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
USERNAME = "ci-bot"
PASSWORD = "s3cr3t-Pa55-w0rd!"
IDENTITY_TOKEN = "refresh-7f3a9c1e5b2d4a6f"
SERVICE = "kubepush-test-registry"
ISSUER = "kubepush-test-issuer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until it is true, failing after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout}s")


# Real registry --------------------------------------------------------------


@dataclass
class RunningRegistry:
    """A running docker-registry: ``host`` is ``127.0.0.1:PORT`` (use it as the
    registry in image references and in the client's insecure list)."""

    host: str
    root: Path
    auth: str = "none"
    token_server: TokenServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def pusher(self) -> Pusher:
        session = requests.Session()
        if self.auth == "htpasswd":
            session.auth = (USERNAME, PASSWORD)
        elif self.auth == "token":
            assert self.token_server is not None
            session.auth = _TokenAuth(self.token_server)
        return Pusher(self.url, session)


def _registry_config(root: Path, port: int, auth: dict[str, Any] | None) -> str:
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": uuid.uuid4().hex},
    }
    if auth:
        config["auth"] = auth
    return json.dumps(config)  # JSON is YAML


@contextmanager
def start_registry(root: Path, auth: str = "none") -> Iterator[RunningRegistry]:
    """Run docker-registry in ``root`` until the context exits."""
    if not os.path.exists(REGISTRY_BINARY):
        message = f"{REGISTRY_BINARY} missing: run .ci/setup.d/20-docker-registry.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root.mkdir(parents=True, exist_ok=True)
    token_server = None
    auth_config: dict[str, Any] | None = None
    if auth == "htpasswd":
        import bcrypt

        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
        (root / "htpasswd").write_text(f"{USERNAME}:{hashed}\n")
        auth_config = {"htpasswd": {"realm": "kubepush-test", "path": str(root / "htpasswd")}}
    elif auth == "token":
        token_server = TokenServer(root)
        auth_config = {"token": {"realm": token_server.realm, "service": SERVICE, "issuer": ISSUER,
                                 "rootcertbundle": str(token_server.cert_path)}}
    process = None
    try:
        for _ in range(3):  # another xdist worker may grab the free port first
            port = free_port()
            config = root / "config.yml"
            config.write_text(_registry_config(root, port, auth_config))
            log = open(root / "registry.log", "wb")  # noqa: SIM115 - closed below
            process = subprocess.Popen([REGISTRY_BINARY, "serve", str(config)], stdout=log,
                                       stderr=subprocess.STDOUT)
            log.close()
            try:
                wait_until(lambda p=process, n=port: p.poll() is not None or _answers(n), 20, "docker-registry")
            except TimeoutError:
                process.kill()
                raise
            if process.poll() is None:
                break
        else:
            raise RuntimeError("docker-registry did not start:\n" + (root / "registry.log").read_text())
        yield RunningRegistry(host=f"127.0.0.1:{port}", root=root, auth=auth, token_server=token_server)
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if token_server is not None:
            token_server.close()


def _answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code in (200, 401)
    except requests.RequestException:
        return False


# Token realm ----------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenServer:
    """A token realm per the distribution token spec.

    ``GET /token?service=&scope=`` (anonymously or with Basic auth) and
    ``POST /token`` with ``grant_type=refresh_token`` (OAuth2, for
    ``identitytoken`` logins) answer ``{"token"|"access_token": JWT}``. The
    JWT grants the requested scope to the test user; anonymous callers get
    pull on repositories not under ``private/``. Wrong credentials get 401.
    ``requests`` records (method, query/form, had Authorization) per call.
    """

    def __init__(self, root: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(self._key, hashes.SHA256()))
        self.cert_path = root / "token-cert.pem"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.realm = f"http://127.0.0.1:{self._server.server_address[1]}/token"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def issue(self, subject: str, scope: str) -> str:
        """A signed JWT for ``scope`` (``repository:<name>:<actions>``)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        access = []
        if scope.startswith("repository:"):
            name, _, actions = scope[len("repository:"):].rpartition(":")
            wanted = actions.split(",")
            granted = wanted if subject else ([] if name.startswith("private/") else ["pull"])
            granted = [a for a in wanted if a in granted]
            access.append({"type": "repository", "name": name, "actions": granted})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300, "nbf": now - 30,
                  "iat": now, "jti": uuid.uuid4().hex, "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                auth = self.headers.get("Authorization", "")
                server.requests.append({"method": "GET", "query": query, "authorization": bool(auth)})
                subject = ""
                if auth:
                    expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
                    if auth != expected:
                        return self._answer(401, {"details": "incorrect username or password"})
                    subject = USERNAME
                self._answer(200, {"token": server.issue(subject, query.get("scope", ""))})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                server.requests.append({"method": "POST", "query": form, "authorization": False})
                if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != IDENTITY_TOKEN:
                    return self._answer(401, {"error": "invalid_grant"})
                self._answer(200, {"access_token": server.issue(USERNAME, form.get("scope", ""))})

        return Handler


class _TokenAuth(requests.auth.AuthBase):
    """Push-side auth for the token registry: a push+pull token per request."""

    def __init__(self, token_server: TokenServer) -> None:
        self.token_server = token_server

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        name = urlsplit(request.url).path.split("/v2/", 1)[1]
        for marker in ("/blobs/", "/manifests/", "/tags/"):
            name = name.split(marker, 1)[0]
        token = self.token_server.issue(USERNAME, f"repository:{name}:pull,push")
        request.headers["Authorization"] = f"Bearer {token}"
        return request


# Pushing images ---------------------------------------------------------------


@dataclass
class Pusher:
    """Pushes images with the distribution API; digests come from the bytes sent."""

    url: str
    session: requests.Session
    _blobs: dict[str, set[str]] = field(default_factory=dict)

    def blob(self, repo: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if digest in self._blobs.setdefault(repo, set()):
            return digest
        start = self.session.post(f"{self.url}/v2/{repo}/blobs/uploads/", timeout=10)
        assert start.status_code == 202, start.text
        location = start.headers["Location"]
        location = location if location.startswith("http") else self.url + location
        done = self.session.put(location, params={"digest": digest}, data=data,
                                headers={"Content-Type": "application/octet-stream"}, timeout=10)
        assert done.status_code == 201, done.text
        self._blobs[repo].add(digest)
        return digest

    def put_manifest(self, repo: str, reference: str, manifest: dict[str, Any], media_type: str) -> str:
        body = json.dumps(manifest, indent=3).encode()  # indented: digest is of the bytes as stored
        response = self.session.put(f"{self.url}/v2/{repo}/manifests/{reference}", data=body,
                                    headers={"Content-Type": media_type}, timeout=10)
        assert response.status_code == 201, response.text
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        assert response.headers["Docker-Content-Digest"] == digest
        return digest

    def image(self, repo: str, tag: str, arch: str = "amd64", layer: bytes = b"layer") -> str:
        """Push a one-layer OCI image as ``tag``; returns the manifest digest."""
        config = json.dumps({"architecture": arch, "os": "linux",
                             "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": self.blob(repo, config), "size": len(config)},
            "layers": [{"mediaType": OCI_LAYER, "digest": self.blob(repo, layer), "size": len(layer)}],
        }
        return self.put_manifest(repo, tag, manifest, OCI_MANIFEST)

    def index(self, repo: str, tag: str, archs: tuple[str, ...] = ("amd64", "arm64")) -> tuple[str, dict[str, str]]:
        """Push a multi-arch OCI index as ``tag``: (index digest, {arch: manifest digest})."""
        children = {}
        entries = []
        for arch in archs:
            digest = self.image(repo, f"{tag}-{arch}", arch=arch, layer=f"layer-{arch}".encode())
            children[arch] = digest
            size = len(self.session.get(f"{self.url}/v2/{repo}/manifests/{digest}",
                                        headers={"Accept": OCI_MANIFEST}, timeout=10).content)
            entries.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": size,
                            "platform": {"architecture": arch, "os": "linux"}})
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        return self.put_manifest(repo, tag, index, OCI_INDEX), children


# Scripted server for faults --------------------------------------------------------


@dataclass
class Reply:
    """One scripted_registry answer. ``delay`` sleeps before answering (for timeouts);
    ``body`` may be bytes or a JSON-able object."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class ScriptedServer:
    """HTTP server answering each path from a script of :class:`Reply` objects
    (consumed in order, the last one repeats). A path's script may also be a
    callable ``(method, path, query, headers) -> Reply``. Unscripted paths get
    the distribution spec's 404 NAME_UNKNOWN. ``log`` records every request."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Reply] | Callable[..., Reply]] = {}
        self.log: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self.url = f"http://{self.host}"

    def script(self, path: str, *replies: Reply | Callable[..., Reply]) -> None:
        self.scripts[path] = replies[0] if len(replies) == 1 and callable(replies[0]) else list(replies)

    def requests_to(self, path: str) -> list[dict[str, Any]]:
        return [entry for entry in self.log if entry["path"] == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.log.append({"method": method, "path": path, "query": query, "headers": headers,
                             "time": time.monotonic()})
            script = self.scripts.get(path)
            if script is None:
                return Reply(404, {"errors": [{"code": "NAME_UNKNOWN",
                                               "message": "repository name not known to registry"}]})
            if not callable(script):
                return script.pop(0) if len(script) > 1 else script[0]
        return script(method, path, query, headers)  # outside the lock: may be slow on purpose

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                reply = owner._next(method, parts.path, query, dict(self.headers.items()))
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json", **reply.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if method != "HEAD":
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_HEAD(self) -> None:
                self._serve("HEAD")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                self._serve("POST")

        return Handler


# Fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def anon_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """An anonymous docker-registry for this test session (per xdist worker)."""
    with start_registry(tmp_path_factory.mktemp("registry-anon")) as running:
        yield running


@pytest.fixture(scope="session")
def htpasswd_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """docker-registry with htpasswd Basic auth (USERNAME / PASSWORD)."""
    with start_registry(tmp_path_factory.mktemp("registry-htpasswd"), auth="htpasswd") as running:
        yield running


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """docker-registry with token auth; ``.token_server`` is its realm."""
    with start_registry(tmp_path_factory.mktemp("registry-token"), auth="token") as running:
        yield running


@pytest.fixture
def scripted_registry() -> Iterator[ScriptedServer]:
    """A fresh :class:`ScriptedServer`."""
    server = ScriptedServer()
    yield server
    server.close()


@pytest.fixture
def empty_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``$DOCKER_CONFIG`` so the developer's own logins never leak in."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    (tmp_path / "docker").mkdir()
    return tmp_path / "docker" / "config.json"


