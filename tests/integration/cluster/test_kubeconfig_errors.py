"""A kubeconfig that cannot work is one clear line, exit 2, from apply, diff and drift alike.

The line names the file, says what is wrong and how to fix it, and never carries a
credential; no traceback, whatever the shape of the file.
"""

from __future__ import annotations

import base64
import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cluster_helpers import configmap, other_ca, run, write

COMMANDS = ("apply", "diff", "drift")
SECRET_TOKEN = "sekret-token-4711"


def cluster_entry(config: dict[str, Any]) -> dict[str, Any]:
    return config["clusters"][0]["cluster"]


def with_ca_file(path: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        cluster_entry(config).pop("certificate-authority-data")
        cluster_entry(config)["certificate-authority"] = path
    return change


def with_ca_data(pem: bytes) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        cluster_entry(config)["certificate-authority-data"] = base64.b64encode(pem).decode()
    return change


def with_token(config: dict[str, Any]) -> None:
    config["users"][0]["user"]["token"] = SECRET_TOKEN


def with_user(user: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config["users"][0]["user"] = user
    return change


def with_server(server: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        cluster_entry(config)["server"] = server
    return change


def exec_plugin(command: str, *args: str) -> dict[str, Any]:
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": command, "args": list(args),
                     "interactiveMode": "Never"}}


GARBLED_PEM = b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"

#: name -> (file content: text, or a change to the working kubeconfig; what the line must say)
CASES: dict[str, tuple[str | Callable[[dict[str, Any]], None] | None, list[str]]] = {
    "not-yaml": ("clusters: [\n  - {name: x\n", ["is not valid YAML", "line 2", "fix the file"]),
    "a-list": ("[]\n", ["is not a kubeconfig", "a list", "clusters"]),
    "a-string": ("hello\n", ["is not a kubeconfig", "a string"]),
    "empty": ("", ["is empty"]),
    "missing": (None, ["kubeconfig not found"]),
    "no-current-context": (lambda c: c.pop("current-context"),
                           ["sets no current-context", "--context", "fakekube"]),
    "ca-file-missing": (with_ca_file("/nonexistent/ca.crt"), ["certificate-authority", "/nonexistent/ca.crt",
                                                              "does not exist"]),
    "ca-not-pem": (with_ca_data(b"not a certificate"), ["certificate-authority-data", "not a PEM certificate"]),
    "ca-garbled-pem": (with_ca_data(GARBLED_PEM), ["certificate-authority-data", "not a PEM certificate"]),
    "ca-other": (with_ca_data(other_ca()), ["certificate verify failed", "not signed by the certificate authority",
                                            "certificate-authority"]),
    "token-rejected": (with_token, ["(401)", "rejected", "token"]),
    "user-undefined": (lambda c: c["contexts"][0]["context"].__setitem__("user", "nobody"),
                       ["uses user 'nobody', which is not defined", "users: fakekube-user"]),
    "exec-plugin-missing": (with_user(exec_plugin("no-such-credential-plugin")),
                            ["exec plugin 'no-such-credential-plugin'", "not installed"]),
    "exec-plugin-fails": (with_user(exec_plugin(sys.executable, "-c", f"print('{SECRET_TOKEN}'); "
                                                "import sys; sys.exit('session expired, log in again')")),
                          ["exec credential plugin", "process returned 1", "session expired, log in again"]),
    "client-key-missing": (with_user({"client-certificate": "/nonexistent/c.crt", "client-key": "/nonexistent/k"}),
                           ["client-certificate /nonexistent/c.crt does not exist"]),
    "token-file-missing": (with_user({"tokenFile": "/nonexistent/token"}), ["tokenFile /nonexistent/token does not"
                                                                            " exist"]),
    "server-not-a-url": (with_server("not a url"), ["server 'not a url' is not a URL"]),
}


def bad_kubeconfig(fake: Any, tmp_path: Path, case: str) -> Path:
    content = CASES[case][0]
    path = tmp_path / f"kubeconfig-{case}"
    if content is None:
        return path
    if callable(content):
        config = copy.deepcopy(yaml.safe_load(Path(fake.kubeconfig_path).read_text()))
        content(config)
        content = yaml.safe_dump(config)
    path.write_text(content)
    return path


def error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("kubepush: error")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_broken_kubeconfig_is_one_line_naming_the_file(fake_kube_tls, tmp_path, capsys, case, command):
    manifest = write(tmp_path, "m.yaml", configmap("cfg"))
    kubeconfig = bad_kubeconfig(fake_kube_tls, tmp_path, case)
    code, _, err = run(capsys, command, "--kubeconfig", str(kubeconfig), str(manifest))
    line = error_line(err)
    assert code == 2, err
    assert str(kubeconfig) in line
    for part in CASES[case][1]:
        assert part in line, (part, line)
    for secret in (fake_kube_tls.token, SECRET_TOKEN):
        assert secret not in err
    assert fake_kube_tls.get("ConfigMap", "default", "cfg") is None


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_context_lists_the_contexts(fake_kube_tls, tmp_path, capsys, command):
    manifest = write(tmp_path, "m.yaml", configmap("cfg"))
    code, _, err = run(capsys, command, "--kubeconfig", fake_kube_tls.kubeconfig_path, "--context", "prod",
                       str(manifest))
    line = error_line(err)
    assert code == 2
    assert f"context 'prod' is not in kubeconfig {fake_kube_tls.kubeconfig_path}" in line
    assert "contexts: fakekube" in line


def test_the_console_script_prints_no_traceback_for_a_kubeconfig_that_is_not_yaml(fake_kube_tls, tmp_path):
    manifest = write(tmp_path, "m.yaml", configmap("cfg"))
    kubeconfig = bad_kubeconfig(fake_kube_tls, tmp_path, "not-yaml")
    proc = subprocess.run([sys.executable, "-m", "kubepush.cli", "apply", "--kubeconfig", str(kubeconfig),
                           str(manifest)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "is not valid YAML" in error_line(proc.stderr)


def test_of_several_kubeconfig_files_the_broken_one_is_named(fake_kube_tls, tmp_path, capsys, monkeypatch):
    manifest = write(tmp_path, "m.yaml", configmap("cfg"))
    broken = tmp_path / "team.yaml"
    broken.write_text("contexts:\n  - name: team\n    context: {cluster: nowhere}\n")
    monkeypatch.setenv("KUBECONFIG", f"{fake_kube_tls.kubeconfig_path}:{broken}")
    code, _, err = run(capsys, "drift", "--context", "team", str(manifest))
    assert code == 2
    assert f"kubeconfig {broken}: context 'team' uses cluster 'nowhere', which is not defined (clusters: fakekube)" \
        in error_line(err)
    broken.write_text("users: {name: x}\n")
    code, _, err = run(capsys, "drift", str(manifest))
    assert code == 2
    assert f"kubeconfig {broken}: 'users' must be a list" in error_line(err)
