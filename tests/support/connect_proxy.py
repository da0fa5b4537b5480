"""An HTTP CONNECT proxy on 127.0.0.1 that tunnels to 127.0.0.1 only, recording what it was asked.

Enough of RFC 9110 section 9.3.6 for a client's ``proxy-url``: ``CONNECT host:port``, an optional
``Proxy-Authorization`` it checks, ``200 Connection established``, then bytes both ways.
"""

from __future__ import annotations

import base64
import select
import socket
import threading


class ConnectProxy:
    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.credentials = f"Basic {base64.b64encode(f'{user}:{password}'.encode()).decode()}" if user else None
        self.tunnels: list[str] = []  # "host:port" of each CONNECT that was let through
        self.refused = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, with_credentials: str = "") -> str:
        return f"http://{with_credentials}127.0.0.1:{self.port}"

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
            host, _, port = target.rpartition(":")
            if method != "CONNECT" or host != "127.0.0.1":
                self.refused += 1
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            if self.credentials and headers.get("proxy-authorization") != self.credentials:
                self.refused += 1
                client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                return
            upstream = socket.create_connection(("127.0.0.1", int(port)))
            self.tunnels.append(target)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with upstream:
                self._pipe(client, upstream)

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([a, b], [], [], 0.5)
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                (b if sock is a else a).sendall(data)

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
