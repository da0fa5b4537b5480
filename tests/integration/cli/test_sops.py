"""SOPS-encrypted manifests through validate, images and bump, end to end with real sops and age keys."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.support.kubepush_cli import assert_no_traceback, kubepush
from tests.support.sops_keys import AgeKey, encrypt, secret

PASSWORD = "pw-KNOWN-77e1b3aa"
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
              "spec": {"selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "ghcr.io/acme/shop:1.4.1",
                                                             "env": [{"name": "DB", "value": PASSWORD}]}]}}}}


def env(home: Path, **extra: str) -> dict[str, str]:
    """The environment without the machine's sops keys (HOME elsewhere), plus ``extra``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
    return {**base, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), **extra}


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_validate_without_a_key_checks_structure_and_accepts_encrypted_leaves(tmp_path, age_key: AgeKey) -> None:
    path = encrypt(tmp_path / "m", "s.yaml", {**secret(password=PASSWORD), "extra": 1}, recipient=age_key.recipient)
    proc = kubepush("validate", "-o", "json", str(tmp_path / "m"), env=env(tmp_path / "home"))
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    found = {f["rule"]: f for f in json.loads(proc.stdout)["findings"]}
    assert set(found) == {"schema-unknown-field", "sops-not-decrypted"}  # not sops:, not the ENC[...] value
    assert found["schema-unknown-field"]["line"] == line_of(path, "extra:")
    assert found["sops-not-decrypted"]["severity"] == "info" and age_key.recipient in found["sops-not-decrypted"]["hint"]


def test_validate_with_the_key_checks_the_decrypted_object_and_masks_its_values(tmp_path, age_key: AgeKey) -> None:
    pin = 73194628  # a number where ConfigMap data must be a string: the message would quote it
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"pin": pin, "pw": PASSWORD}}
    path = encrypt(tmp_path / "m", "cm.yaml", bad, recipient=age_key.recipient, regex="^data$")
    proc = kubepush("validate", str(tmp_path / "m"), env=env(tmp_path / "home", SOPS_AGE_KEY_FILE=str(age_key.path)))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{path}:{line_of(path, 'pin:')}" in proc.stdout and "data.pin: expected string" in proc.stdout
    assert PASSWORD not in proc.stdout + proc.stderr and str(pin) not in proc.stdout + proc.stderr
    assert "sops-not-decrypted" not in proc.stdout


def test_validate_reports_a_mac_mismatch_with_file_and_line(tmp_path, age_key: AgeKey) -> None:
    path = encrypt(tmp_path / "m", "s.yaml", secret(password=PASSWORD), recipient=age_key.recipient)
    path.write_text(path.read_text().replace("name: db", "name: db-renamed-by-hand"))
    proc = kubepush("validate", str(path), env=env(tmp_path / "home", SOPS_AGE_KEY=age_key.private))
    assert proc.returncode == 1
    assert f"{path}:{line_of(path, 'mac:')}:" in proc.stdout and "MAC mismatch" in proc.stdout and "[sops]" in proc.stdout


def test_validate_reports_a_broken_sops_block_without_a_key(tmp_path, age_key: AgeKey) -> None:
    path = encrypt(tmp_path / "m", "s.yaml", secret(password=PASSWORD), recipient=age_key.recipient)
    text = path.read_text()
    path.write_text(text.replace(text[text.index("    mac: "):].split("\n", 1)[0], "    mac: \"\""))
    proc = kubepush("validate", str(path), env=env(tmp_path / "home"))
    assert proc.returncode == 1 and "mac is not an encrypted value" in proc.stdout, proc.stdout


def test_images_lists_an_image_in_an_encrypted_document_as_not_editable(tmp_path, age_key: AgeKey) -> None:
    release = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "app"},
               "spec": {"values": {"image": {"repository": "ghcr.io/acme/app", "tag": "1.0.0"}, "password": "x"}}}
    encrypt(tmp_path, "app.yaml", DEPLOYMENT, release, recipient=age_key.recipient, regex="^(env|values)$")
    proc = kubepush("images", "-o", "json", "app.yaml", cwd=tmp_path, env=env(tmp_path / "home"))
    assert proc.returncode == 0, proc.stderr
    images = json.loads(proc.stdout)["images"]
    assert [(i["image"], i["editable"]) for i in images] == [("ghcr.io/acme/shop:1.4.1", False),
                                                             ("(encrypted)", False)]
    assert all("SOPS-encrypted" in i["locked"] and "MAC" in i["locked"] for i in images)
    text = kubepush("images", "app.yaml", cwd=tmp_path, env=env(tmp_path / "home")).stdout
    assert "ghcr.io/acme/shop:1.4.1  [container]  (not editable: in a SOPS-encrypted document" in text


def test_bump_never_edits_an_encrypted_document(tmp_path, age_key: AgeKey) -> None:
    path = encrypt(tmp_path, "app.yaml", DEPLOYMENT, recipient=age_key.recipient, regex="^env$")
    before = path.read_bytes()
    proc = kubepush("bump", "--image", "ghcr.io/acme/shop:1.5.0", "--dry-run", cwd=tmp_path,
                    env=env(tmp_path / "home", SOPS_AGE_KEY_FILE=str(age_key.path)))
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "is not bumped to 1.5.0: it is in a SOPS-encrypted document" in proc.stdout + proc.stderr
    assert "+" not in "".join(line[:1] for line in proc.stdout.splitlines() if line.startswith("+ "))
    assert path.read_bytes() == before
