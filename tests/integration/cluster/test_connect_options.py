"""What a kubeconfig may say about trust, identity and the way to the server, end to end against
the fake over TLS: client certificates, tls-server-name, proxy-url and the proxy environment,
token files that rotate, exec plugins whose token expires - and the one-line errors when they
cannot work."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubepush.cluster.client import Cluster
from kubepush.errors import UsageError
from tests.support.cluster_helpers import configmap, other_ca, run, write
from tests.support.connect_proxy import ConnectProxy
from tests.support.fakekube.tls import client_certificate


def kubeconfig(fake: Any, path: Path, user: dict[str, Any], **cluster: Any) -> str:
    config = yaml.safe_load(Path(fake.kubeconfig_path).read_text())
    config["users"][0]["user"] = user
    config["clusters"][0]["cluster"].update(cluster)
    path.write_text(yaml.safe_dump(config))
    return str(path)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def apply(capsys: pytest.CaptureFixture[str], kc: str, tmp_path: Path, name: str = "a") -> tuple[int, str]:
    write(tmp_path / "m", "m.yaml", configmap(name))
    code, _, err = run(capsys, "apply", "--kubeconfig", kc, "--no-validate", "--no-wait", str(tmp_path / "m"))
    return code, err


def error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("kubepush: error")]
    assert len(lines) == 1, err
    return lines[0]


def test_a_client_certificate_embedded_or_in_files_authenticates(fake_kube_tls, tmp_path, capsys):
    cert, key = client_certificate("ci-deployer")
    kc = kubeconfig(fake_kube_tls, tmp_path / "kc", {"client-certificate-data": b64(cert),
                                                      "client-key-data": b64(key)})
    code, err = apply(capsys, kc, tmp_path, "embedded")
    assert code == 0, err
    assert fake_kube_tls.get("ConfigMap", "default", "embedded") is not None
    assert set(fake_kube_tls.client_users) == {"ci-deployer"}
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "c.crt").write_bytes(cert)
    (tmp_path / "certs" / "c.key").write_bytes(key)
    kc = kubeconfig(fake_kube_tls, tmp_path / "kc2", {"client-certificate": "certs/c.crt",  # relative to the file
                                                       "client-key": "certs/c.key"})
    code, err = apply(capsys, kc, tmp_path, "files")
    assert code == 0, err
    assert fake_kube_tls.get("ConfigMap", "default", "files") is not None


def test_a_client_certificate_the_server_does_not_trust_or_not_pem_is_one_line(fake_kube_tls, tmp_path, capsys):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_pem = other_ca(ca_key)
    key_pem = ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
    cert, key = client_certificate("intruder", signer=(ca_pem, key_pem))
    kc = kubeconfig(fake_kube_tls, tmp_path / "kc", {"client-certificate-data": b64(cert),
                                                      "client-key-data": b64(key)})
    code, err = apply(capsys, kc, tmp_path)
    line = error_line(err)
    assert code == 2 and "is not trusted" in line and "the server does not accept it" in line, line
    assert fake_kube_tls.get("ConfigMap", "default", "a") is None
    kc = kubeconfig(fake_kube_tls, tmp_path / "kc2", {"client-certificate-data": b64(b"not a certificate"),
                                                       "client-key-data": b64(key)})
    code, err = apply(capsys, kc, tmp_path)
    assert code == 2 and "client certificate or key" in error_line(err) and "client-certificate" in err
    assert key.decode() not in err


def test_tls_server_name_is_the_name_the_certificate_is_checked_against(fake_kube_tls, tmp_path, capsys):
    """The fake's certificate names 127.0.0.1 and localhost: tls-server-name localhost works over
    the IP address, a name the certificate lacks is refused before anything is sent."""
    token = {"token": fake_kube_tls.token}
    code, err = apply(capsys, kubeconfig(fake_kube_tls, tmp_path / "ok", token, **{"tls-server-name": "localhost"}),
                      tmp_path)
    assert code == 0, err
    code, err = apply(capsys, kubeconfig(fake_kube_tls, tmp_path / "bad", token,
                                         **{"tls-server-name": "api.other.example"}), tmp_path, "b")
    line = error_line(err)
    assert code == 2 and "does not name this address" in line and "not trusted" in line
    assert fake_kube_tls.get("ConfigMap", "default", "b") is None


def test_proxy_url_tunnels_through_an_http_proxy_with_credentials(fake_kube_tls, tmp_path, capsys):
    proxy = ConnectProxy("squid", "proxy-s3cret")
    try:
        token = {"token": fake_kube_tls.token}
        kc = kubeconfig(fake_kube_tls, tmp_path / "kc", token, **{"proxy-url": proxy.url("squid:proxy-s3cret@")})
        code, err = apply(capsys, kc, tmp_path)
        assert code == 0, err
        assert proxy.tunnels and set(proxy.tunnels) == {f"127.0.0.1:{fake_kube_tls.port}"}
        kc = kubeconfig(fake_kube_tls, tmp_path / "kc2", token, **{"proxy-url": proxy.url("squid:wrong@")})
        code, err = apply(capsys, kc, tmp_path, "b")
        line = error_line(err)
        assert code == 2 and "the proxy refused the tunnel (407" in line and "proxy-url" in line, line
        assert "wrong" not in err and "proxy-s3cret" not in err
        kc = kubeconfig(fake_kube_tls, tmp_path / "kc3", token, **{"proxy-url": "socks5://127.0.0.1:1080"})
        code, err = apply(capsys, kc, tmp_path, "c")
        assert code == 2 and "HTTP proxies" in error_line(err)
    finally:
        proxy.stop()


def test_the_proxy_environment_is_honoured_unless_no_proxy_exempts_the_server(fake_kube_tls, tmp_path, capsys,
                                                                               monkeypatch):
    proxy = ConnectProxy()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url())
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        code, err = apply(capsys, fake_kube_tls.kubeconfig_path, tmp_path)
        assert code == 0, err
        tunnels = len(proxy.tunnels)
        assert tunnels >= 1
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        code, err = apply(capsys, fake_kube_tls.kubeconfig_path, tmp_path, "b")
        assert code == 0, err
        assert len(proxy.tunnels) == tunnels
    finally:
        proxy.stop()


def test_a_rotated_token_file_is_read_again_when_the_server_refuses_the_old_token(fake_kube_tls, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(fake_kube_tls.token + "\n")
    cluster = Cluster(kubeconfig(fake_kube_tls, tmp_path / "kc", {"tokenFile": "token"}))
    try:
        assert cluster.check()["gitVersion"]
        fake_kube_tls.token = "rotated-token-0002"
        token_file.write_text("rotated-token-0002")
        assert cluster.request("GET", "/api/v1/namespaces/default")["metadata"]["name"] == "default"
    finally:
        cluster.close()


def test_an_exec_plugin_runs_again_when_its_token_expired_or_was_refused(fake_kube_tls, tmp_path):
    """The plugin's ExecCredential is cached: one run for many requests, another once its
    expirationTimestamp has passed or the server answers 401 (client-go exec.go does the same)."""
    runs, source = tmp_path / "runs", tmp_path / "current-token"
    source.write_text(fake_kube_tls.token)
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json, os, pathlib\n"
        f"runs = pathlib.Path({str(runs)!r}); runs.write_text(runs.read_text() + 'x' if runs.exists() else 'x')\n"
        "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
        "assert info['spec']['cluster']['server'].startswith('https://127.0.0.1'), info\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential', 'status': {"
        f"'token': pathlib.Path({str(source)!r}).read_text(), 'expirationTimestamp': os.environ['EXPIRES']}}}}))\n")
    exec_user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
                          "args": [str(plugin)], "interactiveMode": "Never", "provideClusterInfo": True,
                          "env": [{"name": "EXPIRES", "value": "2999-01-01T00:00:00Z"}]}}
    cluster = Cluster(kubeconfig(fake_kube_tls, tmp_path / "kc", exec_user))
    try:
        for _ in range(3):
            cluster.check()
        assert runs.read_text() == "x"
        fake_kube_tls.token = "after-rotation"
        source.write_text("after-rotation")
        cluster.check()
        assert runs.read_text() == "xx"
    finally:
        cluster.close()
    exec_user["exec"]["env"] = [{"name": "EXPIRES", "value": "2000-01-01T00:00:00Z"}]  # already expired
    cluster = Cluster(kubeconfig(fake_kube_tls, tmp_path / "kc2", exec_user))
    try:
        cluster.check()
        cluster.check()
        assert runs.read_text() == "xxxxx"  # at load, then before each request
    finally:
        cluster.close()


def test_an_exec_plugin_may_answer_with_a_client_certificate(fake_kube_tls, tmp_path, capsys):
    cert, key = client_certificate("exec-user")
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import json\nprint(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', "
                      f"'kind': 'ExecCredential', 'status': {{'clientCertificateData': {cert.decode()!r}, "
                      f"'clientKeyData': {key.decode()!r}}}}}))\n")
    kc = kubeconfig(fake_kube_tls, tmp_path / "kc", {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                              "command": sys.executable, "args": [str(plugin)]}})
    code, err = apply(capsys, kc, tmp_path)
    assert code == 0, err
    assert "exec-user" in fake_kube_tls.client_users
    assert key.decode() not in err


@pytest.mark.parametrize(("output", "said"), [
    ("not json", "not JSON"),
    (json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {}}),
     "neither a token"),
    (json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1", "kind": "ExecCredential",
                 "status": {"token": "leaked-0815"}}), "answered apiVersion"),
])
def test_an_exec_plugin_answer_that_cannot_work_is_one_line(fake_kube_tls, tmp_path, capsys, output, said):
    plugin = tmp_path / "plugin.py"
    plugin.write_text(f"print({output!r})\n")
    kc = kubeconfig(fake_kube_tls, tmp_path / "kc", {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                                                              "command": sys.executable, "args": [str(plugin)],
                                                              "interactiveMode": "Never"}})
    code, err = apply(capsys, kc, tmp_path)
    line = error_line(err)
    assert code == 2 and "exec credential plugin" in line and said in line
    assert "leaked-0815" not in err


def test_basic_auth_and_the_oidc_id_token_are_sent_as_their_headers(fake_kube_tls, tmp_path):
    kc = kubeconfig(fake_kube_tls, tmp_path / "kc", {"auth-provider": {"name": "oidc", "config": {
        "id-token": fake_kube_tls.token, "idp-issuer-url": "https://issuer.example"}}})
    cluster = Cluster(kc)
    try:
        assert cluster.check()["gitVersion"]
    finally:
        cluster.close()
    basic = Cluster(kubeconfig(fake_kube_tls, tmp_path / "kc2", {"username": "admin", "password": "pw"}))
    try:  # the fake knows tokens only: the header is what a real API server's basic auth would read
        assert basic._auth.header() == "Basic " + b64(b"admin:pw")
    finally:
        basic.close()
    with pytest.raises(UsageError, match="exec credential plugin"):
        Cluster(kubeconfig(fake_kube_tls, tmp_path / "kc3", {"auth-provider": {"name": "gcp", "config": {}}}))


def test_the_ca_of_another_cluster_is_refused_before_any_credential_is_sent(fake_kube_tls, tmp_path, capsys):
    kc = kubeconfig(fake_kube_tls, tmp_path / "kc", {"token": fake_kube_tls.token},
                    **{"certificate-authority-data": b64(other_ca())})
    code, err = apply(capsys, kc, tmp_path)
    assert code == 2 and "not signed by the certificate authority" in error_line(err)
    assert fake_kube_tls.count() == 0  # the handshake failed: no request reached the server
