"""Connecting like kubectl: kubeconfig contexts, exec credential plugins, in-cluster, errors before changes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from tests.support.cluster_helpers import configmap, run, write


def kubeconfig_with(fake, path, users, contexts, current):
    cluster = yaml.safe_load(Path(fake.kubeconfig_path).read_text())["clusters"][0]
    dead = {"name": "dead", "cluster": {"server": "http://127.0.0.1:9"}}
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": current,
                                    "clusters": [cluster, dead], "users": users, "contexts": contexts}))
    return str(path)


def test_exec_credential_plugin_supplies_the_token(fake_kube_tls, tmp_path, capsys):
    plugin = tmp_path / "plugin.py"
    plugin.write_text("import json\nprint(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', "
                      f"'kind': 'ExecCredential', 'status': {{'token': {fake_kube_tls.token!r}}}}}))\n")
    exec_user = {"name": "exec", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                                                   "command": sys.executable, "args": [str(plugin)],
                                                   "interactiveMode": "Never"}}}
    kc = kubeconfig_with(fake_kube_tls, tmp_path / "kc", [exec_user],
                         [{"name": "ctx", "context": {"cluster": "fakekube", "user": "exec"}}], "ctx")
    write(tmp_path / "m", "m.yaml", configmap("a"))
    code, _, err = run(capsys, "apply", "--kubeconfig", kc, "--no-validate", "--no-wait", str(tmp_path / "m"))
    assert code == 0, err
    assert fake_kube_tls.get("ConfigMap", "default", "a") is not None
    assert fake_kube_tls.token not in err


def test_context_flag_and_kubeconfig_env_pick_the_cluster(fake_kube, tmp_path, capsys, monkeypatch):
    user = yaml.safe_load(Path(fake_kube.kubeconfig_path).read_text())["users"][0]
    kc = kubeconfig_with(fake_kube, tmp_path / "kc", [user], [
        {"name": "dead", "context": {"cluster": "dead", "user": user["name"]}},
        {"name": "live", "context": {"cluster": "fakekube", "user": user["name"], "namespace": "team"}}], "dead")
    write(tmp_path / "m", "m.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing'}:{kc}")
    code, _, err = run(capsys, "apply", "--no-validate", "--no-wait", str(tmp_path / "m"))
    assert code == 2 and "context 'dead'" in err and "cannot reach cluster" in err
    fake_kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    code, _, err = run(capsys, "apply", "--context", "live", "--no-validate", "--no-wait", str(tmp_path / "m"))
    assert code == 0, err
    assert fake_kube.get("ConfigMap", "team", "a") is not None  # the context's namespace is the default
    code, _, err = run(capsys, "apply", "--context", "nope", "--no-validate", str(tmp_path / "m"))
    assert code == 2 and "nope" in err


def test_in_cluster_service_account(fake_kube_tls, tmp_path, capsys, monkeypatch):
    """Without a kubeconfig, the pod's service account (token, CA and namespace files) is used."""
    import base64

    fake_kube = fake_kube_tls
    account = tmp_path / "sa"
    account.mkdir()
    (account / "token").write_text(fake_kube.token)
    (account / "namespace").write_text("ci")
    ca = yaml.safe_load(Path(fake_kube.kubeconfig_path).read_text())["clusters"][0]["cluster"]["certificate-authority-data"]
    (account / "ca.crt").write_bytes(base64.b64decode(ca))
    monkeypatch.setattr("kubepush.cluster.credentials.SERVICE_ACCOUNT", str(account))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(fake_kube.port))
    fake_kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ci"}})
    write(tmp_path / "m", "m.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
    code, _, err = run(capsys, "apply", "--no-validate", "--no-wait", str(tmp_path / "m"))
    assert code == 0, err
    assert fake_kube.get("ConfigMap", "ci", "a") is not None
    assert json.dumps(fake_kube.token) not in err


def test_help_of_the_cluster_commands_does_not_import_kubernetes():
    import subprocess

    code = ("import sys\nfrom kubepush.cli import main\n"
            "for command in ('apply', 'diff', 'drift'):\n"
            "    try:\n        main([command, '--help'])\n    except SystemExit:\n        pass\n"
            "print('kubernetes' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().endswith("False")
    assert "--rollback-on-failure" in proc.stdout and "--heal" in proc.stdout
    assert "exit codes: 0 ok, 1 invalid manifests, guardrail refusal" in proc.stdout


def test_the_cluster_commands_need_no_kubernetes_package(fake_kube, tmp_path, capsys, monkeypatch):
    """The client is kubepush's own (http.client + the kubeconfig reader): apply and drift work with
    ``import kubernetes`` failing, and a run never imports it."""
    monkeypatch.setitem(sys.modules, "kubernetes", None)  # import kubernetes now raises ImportError
    write(tmp_path / "m", "m.yaml", configmap("a"))
    for command in ("apply", "drift"):
        code, _, err = run(capsys, command, "--kubeconfig", fake_kube.kubeconfig_path, "--no-wait"
                           if command == "apply" else "-q", str(tmp_path / "m"))
        assert code == 0, err
    assert fake_kube.get("ConfigMap", "default", "a") is not None


def test_kubeconfig_files_are_merged_like_kubectl(fake_kube, tmp_path, capsys, monkeypatch):
    """Cluster and user in one file, the context that joins them in another."""
    config = yaml.safe_load(Path(fake_kube.kubeconfig_path).read_text())
    first, second = tmp_path / "clusters", tmp_path / "contexts"
    first.write_text(yaml.safe_dump({**config, "contexts": [], "current-context": ""}))
    second.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [],
                                      "contexts": config["contexts"], "current-context": "fakekube"}))
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    write(tmp_path / "m", "m.yaml", configmap("merged"))
    code, _, err = run(capsys, "apply", "--no-validate", "--no-wait", str(tmp_path / "m"))
    assert code == 0, err
    assert fake_kube.get("ConfigMap", "default", "merged") is not None
