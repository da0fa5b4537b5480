"""Real git remotes for the git-layer tests: bare repositories and a smart-HTTP server.

- :func:`make_remote` creates a bare repository with one commit of the given
  files (built with ``git fast-import``, so 5,000 files take milliseconds) and
  returns a :class:`Remote` that can read refs and commit on the server side
  (the "someone else pushed meanwhile" of the race tests).
- :class:`GitHTTPServer` serves a directory of bare repositories over HTTP on
  127.0.0.1 with the real ``git http-backend`` CGI, run once per request from an
  ``http.server`` handler, behind HTTP Basic auth: a request without the right
  ``Authorization`` gets ``401`` with ``WWW-Authenticate: Basic``, like a forge.
  It records every request (method, path+query, all headers but Authorization,
  and separately whether Authorization was sent) so tests can prove where the
  token went, and can cut the connection on the next request for a service
  (``cut_next("git-receive-pack")``) to simulate a network failure mid-push.

Fixtures: ``git_remote_root`` (a directory for bare repos), ``git_http``
(a running server with user ``bot`` / token :data:`TOKEN`, stopped afterwards). A server
given ``authorize(user, token)`` asks it instead, so the forge that issued a token (a fake
GitHub minting App installation tokens) decides whether git may use it.
Test modules load them with ``pytest_plugins = ["tests.support.git_fixtures"]`` and import
the helpers directly; that import comes first, so pytest cannot rewrite this
module's asserts (PYTEST_DONT_REWRITE says so instead of a warning).
"""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

TOKEN = "glpat-SECRETtoken-7f3a9c2e41b8d6"
USER = "bot"
BACKEND = Path(subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True)
               .stdout.strip()) / "git-http-backend"

_ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_AUTHOR_NAME": "Someone Else", "GIT_AUTHOR_EMAIL": "else@example.test",
        "GIT_COMMITTER_NAME": "Someone Else", "GIT_COMMITTER_EMAIL": "else@example.test",
        "GIT_CONFIG_NOSYSTEM": "1", "HOME": os.devnull}


def git(*args: str, cwd: Path | None = None, input: bytes | None = None) -> str:
    """Run git as "someone else" (not through kubepush); fails the test on error."""
    proc = subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, env=_ENV, check=False)
    if proc.returncode:
        raise AssertionError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode()


@dataclass
class Remote:
    """A bare repository on disk; ``url`` is its ``file://`` URL."""

    path: Path

    @property
    def url(self) -> str:
        return self.path.as_uri()

    def sha(self, branch: str) -> str | None:
        out = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
                             cwd=self.path, capture_output=True, text=True, env=_ENV, check=False)
        return out.stdout.strip() or None

    def read(self, rev: str, path: str) -> str:
        return git("show", f"{rev}:{path}", cwd=self.path)

    def log(self, rev: str, fmt: str = "%H") -> list[str]:
        return git("log", f"--format={fmt}", rev, cwd=self.path).splitlines()

    def commit(self, branch: str, files: Mapping[str, str], message: str = "someone else's change") -> str:
        """Commit ``files`` on top of ``branch`` directly in the bare repository (a concurrent push)."""
        return _fast_import(self.path, branch, files, message, parent=self.sha(branch))


def _fast_import(repo: Path, branch: str, files: Mapping[str, str], message: str, parent: str | None) -> str:
    lines = [f"commit refs/heads/{branch}", "mark :1",
             "committer Someone Else <else@example.test> 1700000000 +0000",
             f"data {len(message.encode())}", message]
    if parent:
        lines.append(f"from {parent}")
    chunks = ["\n".join(lines).encode() + b"\n"]
    for name, text in files.items():
        data = text.encode()
        chunks.append(f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n")
    git("fast-import", "--quiet", "--force", cwd=repo, input=b"".join(chunks) + b"done\n")
    sha = git("rev-parse", f"refs/heads/{branch}", cwd=repo).strip()
    return sha


def make_remote(root: Path, name: str, files: Mapping[str, str], branch: str = "main") -> Remote:
    """A bare repository ``root/name`` whose ``branch`` (also HEAD) holds ``files``."""
    path = root / name
    git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(path))
    git("config", "http.receivepack", "true", cwd=path)
    _fast_import(path, branch, files, "initial", parent=None)
    return Remote(path)


@dataclass
class Recorded:
    method: str
    target: str  # path and query
    headers: dict[str, str]  # without Authorization
    authorized: bool


@dataclass
class GitHTTPServer:
    """``git http-backend`` over HTTP on 127.0.0.1 behind Basic auth (see the module docstring)."""

    root: Path
    user: str = USER
    token: str = field(default=TOKEN, repr=False)
    authorize: Callable[[str, str], bool] | None = None
    requests: list[Recorded] = field(default_factory=list)
    _cuts: dict[str, int] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None

    @property
    def expected_auth(self) -> str:
        return "Basic " + base64.b64encode(f"{self.user}:{self.token}".encode()).decode()

    def accepts(self, header: str | None) -> bool:
        """Whether an ``Authorization`` header lets the request through."""
        if self.authorize is None or not header or not header.startswith("Basic "):
            return header == self.expected_auth
        user, _, token = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
        return self.authorize(user, token)

    def start(self) -> GitHTTPServer:
        handler = type("Handler", (_Handler,), {"rig": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def url(self, remote: Remote) -> str:
        return f"http://127.0.0.1:{self.port}/{remote.path.relative_to(self.root).as_posix()}"

    def cut_next(self, service: str, times: int = 1) -> None:
        """Drop the connection, without an answer, on the next ``times`` requests for ``service``."""
        self._cuts[service] = times

    def take_cut(self, target: str) -> bool:
        for service, left in self._cuts.items():
            if left and service in target:
                self._cuts[service] = left - 1
                return True
        return False

    def pushes(self) -> int:
        return sum(1 for r in self.requests if r.method == "POST" and r.target.endswith("/git-receive-pack"))


class _Handler(BaseHTTPRequestHandler):
    rig: GitHTTPServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if not size:
                    self.rfile.readline()
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        rig = self.rig
        auth = self.headers.get("Authorization")
        rig.requests.append(Recorded(self.command, self.path,
                                     {k: v for k, v in self.headers.items() if k.lower() != "authorization"},
                                     authorized=auth is not None))
        body = self._body() if self.command == "POST" else b""
        if not rig.accepts(auth):
            message = b"authentication required\n"
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="kubepush test git"')
            self.send_header("Content-Length", str(len(message)))
            self.end_headers()
            self.wfile.write(message)
            return
        if rig.take_cut(self.path):
            self.close_connection = True
            self.connection.shutdown(2)
            return
        path, _, query = self.path.partition("?")
        env = {"PATH": os.environ.get("PATH", ""), "GIT_PROJECT_ROOT": str(rig.root), "GIT_HTTP_EXPORT_ALL": "1",
               "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
               "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
               "REMOTE_USER": rig.user, "REMOTE_ADDR": "127.0.0.1", "GIT_CONFIG_NOSYSTEM": "1",
               "HOME": os.devnull}
        for header, var in (("Git-Protocol", "GIT_PROTOCOL"), ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
            if self.headers.get(header):
                env[var] = self.headers[header]
        out = subprocess.run([str(BACKEND)], input=body, env=env, capture_output=True, check=False).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def git_remote_root(tmp_path: Path) -> Path:
    root = tmp_path / "srv"
    root.mkdir()
    return root


@pytest.fixture
def git_http(git_remote_root: Path) -> Iterator[GitHTTPServer]:
    server = GitHTTPServer(git_remote_root).start()
    yield server
    server.stop()
