"""Where a cluster is and how to prove who we are: a kubeconfig context or the in-cluster account.

Read the way client-go reads it, so a kubeconfig that works with kubectl works here:
``KUBECONFIG`` lists files that merge by entry name, the first file to set a name wins
(https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/,
"merging kubeconfig files"); paths in an entry are relative to the file that holds it, and an
exec plugin's ``command`` only when it contains a path separator (client-go
``clientcmd/loader.go`` ``ResolvePaths`` / ``GetAuthInfoFileReferences``).

What a user entry may say: ``token``, ``tokenFile`` (re-read, it may be rotated), ``username`` /
``password``, ``client-certificate(-data)`` / ``client-key(-data)``, an ``exec`` credential plugin
(``client.authentication.k8s.io/v1`` or ``v1beta1``; its token or client certificate, cached until
its ``expirationTimestamp`` and fetched again when the server answers 401 - client-go
``plugin/pkg/client/auth/exec/exec.go``), or the ``oidc`` auth-provider's ``id-token``. A cluster
entry: ``server`` (a path prefix is kept), ``certificate-authority(-data)``,
``insecure-skip-tls-verify``, ``tls-server-name`` and ``proxy-url``.

In a pod without a kubeconfig: the service account's token (re-read: the kubelet rotates the
bound token), CA and namespace, and ``KUBERNETES_SERVICE_HOST``/``PORT``
(client-go ``rest.InClusterConfig``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kubepush.cluster import kubeconfig as kc
from kubepush.errors import UsageError
from kubepush.redact import one_line_auth

#: Where a pod's service account is mounted (token, ca.crt, namespace).
SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
#: How long a token file is trusted before it is read again (client-go's cachingTokenSource: 1 minute).
TOKEN_FILE_TTL = 60.0
EXEC_API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
#: A plugin that hangs must not hang the pipeline (kubectl has no limit; a CI job would wait for its own).
EXEC_TIMEOUT = 120.0


@dataclass
class ClientCertificate:
    """A client certificate and key, as PEM bytes (from files or embedded data)."""

    cert: bytes
    key: bytes


class Auth:
    """The ``Authorization`` header of each request; thread-safe. The base sends none."""

    refreshable = False

    def header(self) -> str | None:
        return None

    def refresh(self) -> bool:
        """Fetch new credentials after a 401; True when they may differ from the rejected ones."""
        return False

    def certificate(self) -> ClientCertificate | None:
        """A client certificate the credentials bring (an exec plugin may return one)."""
        return None


class StaticAuth(Auth):
    def __init__(self, header: str) -> None:
        self._header = header

    def header(self) -> str | None:
        return self._header


class TokenFileAuth(Auth):
    """A bearer token read from a file, read again after a minute (or on a 401): it may be rotated."""

    refreshable = True

    def __init__(self, path: str, what: str) -> None:
        self.path, self.what = path, what
        self._lock = threading.Lock()
        self._token = ""
        self._read_at = -TOKEN_FILE_TTL
        self._read()

    def _read(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                token = fh.read().strip()
        except OSError as exc:
            raise UsageError(f"cannot read the token file {self.path} ({self.what}): {exc.strerror}") from None
        if not token:
            raise UsageError(f"the token file {self.path} ({self.what}) is empty")
        self._token, self._read_at = token, time.monotonic()

    def header(self) -> str | None:
        with self._lock:
            if time.monotonic() - self._read_at > TOKEN_FILE_TTL:
                self._read()
            return f"Bearer {self._token}"

    def refresh(self) -> bool:
        with self._lock:
            old = self._token
            self._read()
            return self._token != old


class ExecAuth(Auth):
    """An exec credential plugin: run once, its answer cached until it expires or a 401."""

    refreshable = True

    def __init__(self, spec: dict[str, Any], path: str, where: str, cluster: dict[str, Any]) -> None:
        self.spec, self.where, self.cluster = spec, where, cluster
        command = str(spec.get("command") or "")
        if os.sep in command and not os.path.isabs(command):
            command = os.path.join(os.path.dirname(os.path.abspath(path)), command)
        self.command = command
        self.api_version = str(spec.get("apiVersion") or "")
        if self.api_version not in EXEC_API_VERSIONS:
            raise UsageError(f"kubeconfig {path}: the exec plugin's apiVersion {self.api_version or '(none)'!r} is "
                             f"not supported; use {EXEC_API_VERSIONS[0]}")
        self._lock = threading.Lock()
        self._header: str | None = None
        self._certificate: ClientCertificate | None = None
        self._expires: float | None = None
        self._run()

    def _run(self) -> None:
        mode = str(self.spec.get("interactiveMode") or ("IfAvailable" if self.api_version.endswith("v1beta1")
                                                        else "Never"))
        interactive = mode != "Never" and sys.stdin is not None and sys.stdin.isatty()
        if mode == "Always" and not interactive:
            raise UsageError(f"the exec credential plugin ({self.where}) needs a terminal (interactiveMode: Always)"
                             ", and there is none; log in first or set interactiveMode: IfAvailable")
        request: dict[str, Any] = {"apiVersion": self.api_version, "kind": "ExecCredential",
                                   "spec": {"interactive": interactive}}
        if self.spec.get("provideClusterInfo"):
            request["spec"]["cluster"] = self.cluster
        env = dict(os.environ)
        for item in self.spec.get("env") or []:
            if isinstance(item, dict) and item.get("name"):
                env[str(item["name"])] = str(item.get("value", ""))
        env["KUBERNETES_EXEC_INFO"] = json.dumps(request)
        argv = [self.command, *(str(a) for a in self.spec.get("args") or [])]
        try:
            proc = subprocess.run(argv, env=env, stdin=None if interactive else subprocess.DEVNULL,
                                  capture_output=True, timeout=EXEC_TIMEOUT, check=False)
        except FileNotFoundError:
            raise UsageError(f"the exec credential plugin {self.command!r} ({self.where}) is not installed (not on "
                             "PATH); install it or fix users[].user.exec") from None
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UsageError(f"the exec credential plugin ({self.where}) failed: {one_line_auth(exc)[:300]}") from None
        if proc.returncode != 0:
            said = one_line_auth(proc.stderr.decode("utf-8", "replace"))[-300:]
            raise UsageError(f"the exec credential plugin ({self.where}) failed: process returned "
                             f"{proc.returncode}{': ' + said if said else ''}; run it by hand to see why, or fix "
                             "users[].user.exec")
        self._accept(proc.stdout)

    def _accept(self, output: bytes) -> None:
        """The plugin's ExecCredential (never quoted in an error: it holds the credential)."""
        bad = f"the exec credential plugin ({self.where}) printed no valid ExecCredential"
        try:
            answer = json.loads(output)
        except ValueError:
            raise UsageError(f"{bad} (not JSON); run it by hand to see what it prints") from None
        status = answer.get("status") if isinstance(answer, dict) else None
        if not isinstance(status, dict):
            raise UsageError(f"{bad} (no status); run it by hand to see what it prints")
        if answer.get("apiVersion") != self.api_version:
            raise UsageError(f"{bad}: it answered apiVersion {answer.get('apiVersion')!r}, asked for "
                             f"{self.api_version}")
        token = status.get("token")
        cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
        if not token and not (cert and key):
            raise UsageError(f"{bad}: its status has neither a token nor clientCertificateData and clientKeyData")
        self._header = f"Bearer {token}" if token else None
        self._certificate = ClientCertificate(str(cert).encode(), str(key).encode()) if cert and key else None
        self._expires = _timestamp(status.get("expirationTimestamp"))

    def header(self) -> str | None:
        with self._lock:
            if self._expires is not None and time.time() >= self._expires:
                self._run()
            return self._header

    def certificate(self) -> ClientCertificate | None:
        return self._certificate

    def refresh(self) -> bool:
        with self._lock:
            self._run()
            return True


@dataclass
class Endpoint:
    """Everything a connection needs: the server, how to trust it, how to authenticate."""

    server: str
    where: str  # "context 'x' in FILE" or "in-cluster service account", for messages
    namespace: str = "default"
    ca_file: str | None = None
    ca_data: str | None = None  # PEM
    insecure: bool = False
    tls_server_name: str | None = None
    proxy_url: str | None = None
    certificate: ClientCertificate | None = None
    auth: Auth = field(default_factory=Auth)


def kubeconfig_files(kubeconfig: str | None) -> str | None:
    """The kubeconfig file(s) a connection reads, as kubectl picks them (``--kubeconfig``, then
    ``$KUBECONFIG``, then ``~/.kube/config``); None for the in-cluster service account, used only
    when neither is given and the process runs in a pod."""
    if kubeconfig is None and not os.environ.get("KUBECONFIG") and _in_cluster():
        return None
    return kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")


def in_cluster_destination() -> tuple[str, str]:
    """``(server URL, namespace)`` of the in-cluster service account, from the environment the
    kubelet gives every pod."""
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST", ""), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 service address (client-go: net.JoinHostPort)
    return f"https://{host}:{port}", _incluster_namespace()


def load(kubeconfig: str | None, context: str | None) -> Endpoint:
    """The endpoint of ``context`` (else the current one), or of the in-cluster service account."""
    files = kubeconfig_files(kubeconfig)
    if files is None:
        return _in_cluster_endpoint()
    config = kc.read(files)
    name, defined_in = kc.check(config, context)  # a broken file: one line naming it
    where = f"context {name!r} in {defined_in}"
    body = config.entries["contexts"][name][0]["context"]
    cluster_entry, cluster_file = config.entries["clusters"][str(body["cluster"])]
    cluster = cluster_entry.get("cluster") or {}
    endpoint = Endpoint(
        server=str(cluster["server"]).rstrip("/"), where=where, namespace=str(body.get("namespace") or "default"),
        ca_file=_path(cluster_file, cluster.get("certificate-authority")),
        ca_data=_decoded(cluster, "certificate-authority-data", cluster_file).decode("ascii", "replace") or None,
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=str(cluster["tls-server-name"]) if cluster.get("tls-server-name") else None,
        proxy_url=str(cluster["proxy-url"]) if cluster.get("proxy-url") else None)
    if cluster.get("certificate-authority-data"):
        endpoint.ca_file = None  # embedded data wins over a file (client-go: CAData over CAFile)
    if body.get("user"):
        user_entry, user_file = config.entries["users"][str(body["user"])]
        _authenticate(endpoint, user_entry.get("user") or {}, user_file, cluster)
    return endpoint


def _authenticate(endpoint: Endpoint, user: dict[str, Any], path: str, cluster: dict[str, Any]) -> None:
    cert = _decoded(user, "client-certificate-data", path) or _file(path, user.get("client-certificate"))
    key = _decoded(user, "client-key-data", path) or _file(path, user.get("client-key"))
    if bool(cert) != bool(key):
        raise UsageError(f"kubeconfig {path}: a client certificate needs both client-certificate(-data) and "
                         "client-key(-data); add the missing one")
    if cert and key:
        endpoint.certificate = ClientCertificate(cert, key)
    if user.get("token"):
        endpoint.auth = StaticAuth(f"Bearer {user['token']}")
    elif user.get("tokenFile"):
        endpoint.auth = TokenFileAuth(str(_path(path, user["tokenFile"])), endpoint.where)
    elif user.get("username") and user.get("password") is not None:
        pair = f"{user['username']}:{user['password']}".encode()
        endpoint.auth = StaticAuth("Basic " + base64.b64encode(pair).decode())
    elif isinstance(user.get("exec"), dict):
        info = {"server": endpoint.server, "tls-server-name": endpoint.tls_server_name,
                "insecure-skip-tls-verify": endpoint.insecure, "proxy-url": endpoint.proxy_url,
                "certificate-authority-data": cluster.get("certificate-authority-data"),
                "config": (user["exec"].get("config") if isinstance(user["exec"].get("config"), dict) else None)}
        endpoint.auth = ExecAuth(user["exec"], path, endpoint.where, {k: v for k, v in info.items() if v})
        endpoint.certificate = endpoint.certificate or endpoint.auth.certificate()
    elif isinstance(user.get("auth-provider"), dict):
        provider = user["auth-provider"]
        token = (provider.get("config") or {}).get("id-token") if provider.get("name") == "oidc" else None
        if not token:
            raise UsageError(f"kubeconfig {path}: the auth-provider {provider.get('name')!r} is not supported (kubectl "
                             "dropped the cloud providers' too); use its exec credential plugin "
                             "(users[].user.exec), e.g. gke-gcloud-auth-plugin or kubelogin")
        endpoint.auth = StaticAuth(f"Bearer {token}")


def _in_cluster_endpoint() -> Endpoint:
    server, namespace = in_cluster_destination()
    where = "in-cluster service account"
    ca = os.path.join(SERVICE_ACCOUNT, "ca.crt")
    return Endpoint(server=server, where=where, namespace=namespace, ca_file=ca if os.path.exists(ca) else None,
                    auth=TokenFileAuth(os.path.join(SERVICE_ACCOUNT, "token"), where))


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and os.path.exists(os.path.join(SERVICE_ACCOUNT, "token"))


def _incluster_namespace() -> str:
    try:
        with open(os.path.join(SERVICE_ACCOUNT, "namespace"), encoding="utf-8") as fh:
            return fh.read().strip() or "default"
    except OSError:
        return "default"


def _path(kubeconfig: str, value: Any) -> str | None:
    return kc.resolve(kubeconfig, value) if value else None


def _file(kubeconfig: str, value: Any) -> bytes:
    if not value:
        return b""
    path = kc.resolve(kubeconfig, value)
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"kubeconfig {kubeconfig}: cannot read {value}: {exc.strerror}") from None


def _decoded(entry: dict[str, Any], key: str, kubeconfig: str) -> bytes:
    if not entry.get(key):
        return b""
    try:
        return base64.b64decode(str(entry[key]), validate=True)
    except (binascii.Error, ValueError):
        raise UsageError(f"kubeconfig {kubeconfig}: {key} is not base64; set it to the base64 of the PEM") from None


def _timestamp(value: Any) -> float | None:
    """An RFC 3339 ``expirationTimestamp`` as epoch seconds (None: the credential does not expire)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
