"""A throwaway self-signed certificate for serving HTTPS on 127.0.0.1.

Why TLS at all: client-go (so kubectl) only loads a kubeconfig user's credentials when
the transport is TLS; over plain http it sends no Authorization header. Checking that
kubectl really presents the kubeconfig token therefore needs an https endpoint.

The certificate is also the client CA: a client certificate it signed authenticates as its
common name, as kube-apiserver's ``--client-ca-file`` does
(https://kubernetes.io/docs/reference/access-authn-authz/authentication/#x509-client-certificates).
"""

from __future__ import annotations

import atexit
import datetime
import functools
import ipaddress
import os
import shutil
import ssl
import tempfile


@functools.lru_cache(maxsize=1)
def certificate() -> tuple[str, str, bytes]:
    """(cert file, key file, cert PEM) generated once per process (EC P-256, 127.0.0.1)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fakekube")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tempfile.mkdtemp(prefix="fakekube-tls-")
    atexit.register(shutil.rmtree, directory, True)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = os.path.join(directory, "tls.crt"), os.path.join(directory, "tls.key")
    with open(cert_file, "wb") as fh:
        fh.write(cert_pem)
    with open(os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return cert_file, key_file, cert_pem


def client_certificate(common_name: str, signer: tuple[bytes, bytes] | None = None) -> tuple[bytes, bytes]:
    """(certificate PEM, key PEM) of a client ``common_name``, signed by the fake's CA, or by
    ``signer`` (a (cert PEM, key PEM) of another CA: a certificate the server must refuse)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    if signer is None:
        cert_file, key_file, _ = certificate()
        with open(cert_file, "rb") as fh, open(key_file, "rb") as kh:
            signer = (fh.read(), kh.read())
    ca = x509.load_pem_x509_certificate(signer[0])
    ca_key = serialization.load_pem_private_key(signer[1], password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


def server_context() -> ssl.SSLContext:
    cert_file, key_file, _ = certificate()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    ctx.verify_mode = ssl.CERT_OPTIONAL  # a client certificate is asked for, not required
    ctx.load_verify_locations(cafile=cert_file)
    return ctx


def client_common_name(connection: object) -> str | None:
    """The verified client certificate's common name on this connection, if one was presented."""
    getpeercert = getattr(connection, "getpeercert", None)
    peer = getpeercert() if getpeercert is not None else None
    for rdn in (peer or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None
