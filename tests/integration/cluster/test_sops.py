"""SOPS-encrypted manifests through apply, diff and drift against the fake API server, with real sops
and real age keys: the decrypted values arrive at the server and nowhere else."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from tests.support.cluster_helpers import configmap, run, run_json, write
from tests.support.sops_keys import encrypt, no_keys, secret

PASSWORD = "pw-KNOWN-3d71a9c0"
TOKEN = "tok-KNOWN-e5b20f44"


def kube(fake) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return ("--kubeconfig", fake.kubeconfig_path)


def live_password(fake, name: str = "db", namespace: str = "default") -> str:  # type: ignore[no-untyped-def]
    data = fake.get("Secret", namespace, name)["data"]
    return base64.b64decode(data["password"]).decode()


def test_apply_sends_the_decrypted_secret_and_drift_compares_it_without_false_drift(fake_kube, tmp_path, capsys,
                                                                                  sops_env) -> None:
    manifests = tmp_path / "m"
    encrypt(manifests, "secret.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    write(manifests, "cm.yaml", configmap("cfg"))
    code, report, err = run_json(capsys, "apply", *kube(fake_kube), "--revision", "r1", str(manifests))
    assert code == 0, err
    assert live_password(fake_kube) == PASSWORD
    assert "sops" not in fake_kube.get("Secret", "default", "db")
    assert PASSWORD not in str(report) + err

    for command in ("drift", "diff"):
        code, out, err = run(capsys, command, *kube(fake_kube), str(manifests))
        assert code == 0, (command, out, err)  # decrypted desired == live: in sync, no false drift

    fake_kube.edit("Secret", "default", "db", {"data": {"password": base64.b64encode(b"edited-in-cluster").decode()}})
    code, out, err = run(capsys, "drift", *kube(fake_kube), str(manifests))
    assert code == 1 and "password" in out and "*** (changed)" in out, out + err
    assert PASSWORD not in out + err and "edited-in-cluster" not in out + err


def test_an_encrypted_configmap_is_masked_in_diff_like_a_secret(fake_kube, tmp_path, capsys, sops_env) -> None:
    manifests = tmp_path / "m"
    cm = configmap("cfg", token=TOKEN)
    encrypt(manifests, "cm.yaml", cm, recipient=sops_env.recipient, regex="^data$")
    code, out, err = run(capsys, "diff", *kube(fake_kube), str(manifests))
    assert code == 0 and "+ create ConfigMap/default/cfg" in out, out + err  # would be created (a plan: exit 0) ...
    assert TOKEN not in out + err  # ... and the value it hid is not shown
    code, _, err = run(capsys, "apply", *kube(fake_kube), "--revision", "r1", str(manifests))
    assert code == 0, err
    assert fake_kube.get("ConfigMap", "default", "cfg")["data"]["token"] == TOKEN
    fake_kube.edit("ConfigMap", "default", "cfg", {"data": {"token": "changed-by-hand"}})
    code, out, err = run(capsys, "drift", *kube(fake_kube), str(manifests))
    assert code == 1 and "data.token" in out, out
    assert TOKEN not in out + err


def test_a_kustomize_built_sops_secret_is_applied_decrypted_with_the_overlay_applied(fake_kube, tmp_path, capsys,
                                                                                    sops_env) -> None:
    base = tmp_path / "overlay"
    encrypt(base, "secret.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    (base / "kustomization.yaml").write_text("namespace: shop\nnamePrefix: prod-\nresources: [secret.yaml]\n")
    fake_kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    code, _, err = run(capsys, "apply", *kube(fake_kube), "--revision", "r1", str(base))
    assert code == 0, err
    assert live_password(fake_kube, "prod-db", "shop") == PASSWORD
    code, out, err = run(capsys, "drift", *kube(fake_kube), str(base))
    assert code == 0, out + err


def test_a_tampered_file_applies_nothing_and_is_a_finding(fake_kube, tmp_path, capsys, sops_env) -> None:
    manifests = tmp_path / "m"
    path = encrypt(manifests, "secret.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    path.write_text(path.read_text().replace("type: Opaque", "type: Other"))
    write(manifests, "cm.yaml", configmap("cfg"))
    code, report, err = run_json(capsys, "apply", *kube(fake_kube), "--revision", "r1", "--no-validate",
                                 str(manifests))
    assert code == 1, err
    [finding] = [f for f in report["findings"] if f["rule"] == "sops"]
    assert "MAC mismatch" in finding["message"] and finding["file"] == str(path) and finding["line"] > 0
    assert fake_kube.requests == []  # not even the ConfigMap: a target that fails to decrypt applies nothing


@pytest.mark.parametrize("command", ["apply", "diff", "drift"])
def test_a_missing_key_is_exit_2_before_any_api_call(fake_kube, tmp_path, capsys, monkeypatch, age_key,
                                                     command) -> None:
    manifests = tmp_path / "m"
    encrypt(manifests, "secret.yaml", secret(password=PASSWORD), recipient=age_key.recipient)
    no_keys(monkeypatch, tmp_path)
    extra = ("--revision", "r1") if command == "apply" else ()
    code, out, err = run(capsys, command, *kube(fake_kube), *extra, str(manifests))
    assert code == 2, out + err
    assert "secret.yaml: is SOPS-encrypted and no key to decrypt it" in err and age_key.recipient in err
    [error] = [line for line in err.splitlines() if ": error: " in line]
    assert error.endswith("nothing was sent to a cluster") and "Traceback" not in err
    assert fake_kube.requests == []


def test_require_encrypted_secrets_refuses_a_plain_secret_before_any_api_call(fake_kube, tmp_path, capsys,
                                                                              monkeypatch, sops_env) -> None:
    encrypt(tmp_path / "app", "sealed.yaml", secret("sealed", password=PASSWORD), recipient=sops_env.recipient)
    write(tmp_path / "app", "plain.yaml", secret("plain", password="in-plain-text"))
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "prod", "path": "app", "requireEncryptedSecrets": True}]}))
    monkeypatch.chdir(tmp_path)
    code, report, err = run_json(capsys, "apply", *kube(fake_kube), "--revision", "r1")
    assert code == 1, err
    refused = {f["object"]["name"]: f["message"] for f in report["findings"] if f["rule"] == "guardrail"}
    assert set(refused) == {"plain"} and "SOPS-encrypted" in refused["plain"]
    assert fake_kube.requests == []


def test_decryption_provider_none_leaves_documents_as_written(fake_kube, tmp_path, capsys, monkeypatch,
                                                               age_key) -> None:
    """For an in-cluster decryptor: no key is needed and nothing is decrypted (the ciphertext is what is sent)."""
    encrypt(tmp_path / "app", "secret.yaml", secret(password=PASSWORD), recipient=age_key.recipient)
    no_keys(monkeypatch, tmp_path)
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "prod", "path": "app", "decryption": {"provider": "none"}}]}))
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "diff", *kube(fake_kube))
    assert code == 0 and "no key" not in err, out + err
    assert "ENC[AES256_GCM" in out or "sops" in out  # the document as written is what would be sent


def test_a_bad_decryption_setting_is_a_config_error(fake_kube, tmp_path, capsys, monkeypatch) -> None:
    write(tmp_path / "app", "cm.yaml", configmap("cfg"))
    (tmp_path / "kubepush.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "prod", "path": "app", "decryption": {"provider": "ksops"}}]}))
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "diff", *kube(fake_kube))
    assert code == 2 and "decryption" in err, err


def test_without_a_key_nothing_decrypted_is_kept_on_disk(tmp_path: Path, fake_kube, capsys, sops_env) -> None:
    manifests = tmp_path / "m"
    encrypt(manifests, "secret.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    code, _, err = run(capsys, "apply", *kube(fake_kube), "--revision", "r1", str(manifests))
    assert code == 0, err
    for p in tmp_path.rglob("*"):
        if p.is_file() and "home" not in p.parts:
            assert PASSWORD.encode() not in p.read_bytes(), p
    assert {p for p in before} <= {p for p in tmp_path.rglob("*") if p.is_file()}


def test_no_sops_binary_is_exit_2_naming_the_install(fake_kube, tmp_path, capsys, monkeypatch, sops_env) -> None:
    from kubepush.manifests import sops_decrypt

    encrypt(tmp_path / "m", "secret.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    monkeypatch.setattr(sops_decrypt, "binary", lambda: None)
    code, out, err = run(capsys, "apply", *kube(fake_kube), "--revision", "r1", str(tmp_path / "m"))
    assert code == 2 and "pip install 'kubepush[sops]'" in err, out + err
    assert fake_kube.requests == []


def test_apply_decrypts_each_file_once_though_it_validates_first(fake_kube, tmp_path, capsys, sops_env,
                                                                 monkeypatch) -> None:
    from kubepush.manifests import sops_decrypt

    for i in range(3):
        encrypt(tmp_path / "m", f"s{i}.yaml", secret(f"s{i}", password=f"{PASSWORD}-{i}"), recipient=sops_env.recipient)
    started = []
    real = sops_decrypt.subprocess.run
    monkeypatch.setattr(sops_decrypt.subprocess, "run", lambda *a, **k: started.append(a) or real(*a, **k))
    code, _, err = run(capsys, "apply", *kube(fake_kube), "--revision", "r1", str(tmp_path / "m"))  # validates first
    assert code == 0, err
    assert len(started) == 3 and live_password(fake_kube, "s2") == f"{PASSWORD}-2"
