"""TLS: verified by default, a private CA bundle works, insecure only when explicitly asked,
and an explicit ``verify=False`` is not silently overridden by ``REQUESTS_CA_BUNDLE``."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kubepush.forges import errors as E
from kubepush.forges.errors import ForgeError
from kubepush.forges.gitea import Gitea
from kubepush.net.retry import RetryPolicy

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


class _EmptyList(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def https_forge(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate (its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubepush test forge")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmptyList)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}/api/v1", str(cert_file)
    server.shutdown()
    server.server_close()


def _client(url, **kw):
    return Gitea("octo", "app", token="t0ken-value", api_url=url,
                 retry=RetryPolicy(backoff=0.01, sleep=lambda s: None), timeout=(2, 2), **kw)


def test_untrusted_certificate_fails_once_with_a_clear_message(https_forge):
    url, _ = https_forge
    with pytest.raises(ForgeError) as info:
        _client(url).find_open("x", "main")
    assert info.value.kind == E.NETWORK
    assert "TLS verification failed" in str(info.value) and "after 1 attempt(s)" in str(info.value)


def test_private_ca_bundle_is_trusted(https_forge):
    url, ca = https_forge
    assert _client(url, verify=ca).find_open("x", "main") is None


def test_explicit_insecure_wins_over_requests_ca_bundle(https_forge, monkeypatch, tmp_path):
    url, _ = https_forge
    bogus = tmp_path / "other-ca.pem"
    bogus.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bogus))
    from urllib3.exceptions import InsecureRequestWarning

    with pytest.warns(InsecureRequestWarning):
        assert _client(url, verify=False).find_open("x", "main") is None
