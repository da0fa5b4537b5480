"""manifests/sops.py: SOPS documents recognised, checked and decrypted by the real sops with real age keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubepush.manifests import sops, sops_decrypt, sops_format, sources
from kubepush.manifests.documents import Document
from kubepush.model import Finding, Severity
from tests.support.sops_keys import AgeKey, encrypt, no_keys, secret, stop_agent

PASSWORD = "pw-KNOWN-91c2f0e7"


def load(path: Path, decryptor: sops_decrypt.Decryptor | None) -> list[Document | Finding]:
    return [item for source in sources.discover([str(path)]) for item in sources.load(source, decryptor)]


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if line.strip().startswith(text))


def docs(items: list[Document | Finding]) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


def findings(items: list[Document | Finding]) -> list[Finding]:
    return [i for i in items if isinstance(i, Finding)]


def test_a_file_is_decrypted_in_memory_and_keeps_its_ciphertext_for_positions(tmp_path, sops_env: AgeKey) -> None:
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD, dsn=f"postgres://app:{PASSWORD}@db\nline two\n"),
                   recipient=sops_env.recipient)
    assert PASSWORD not in path.read_text()
    [doc] = load(path, sops_decrypt.Decryptor(required=True))
    assert isinstance(doc, Document)
    assert doc.obj["stringData"]["password"] == PASSWORD and "sops" not in doc.obj
    assert doc.sealed is not None and doc.sealed.decrypted
    assert set(doc.sealed.paths) == {("stringData", "password"), ("stringData", "dsn")}
    assert {PASSWORD, "line two"} <= doc.sealed.secrets  # each line of a multi-line value too
    assert PASSWORD not in doc.raw.text  # the raw text (positions) is the file's ciphertext
    assert doc.locate(("stringData", "password"))[0] == line_of(path, "password:")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [path]  # no decrypted file was written


def test_every_document_of_a_multi_document_file_and_kind_list_names_stay_readable(tmp_path, sops_env) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"token": PASSWORD}}
    path = encrypt(tmp_path, "two.yaml", secret(password=PASSWORD), cm, recipient=sops_env.recipient, regex=None)
    got = docs(load(path, sops_decrypt.Decryptor()))
    assert [d.obj["kind"] for d in got] == ["Secret", "ConfigMap"]
    assert got[1].obj["data"]["token"] == PASSWORD
    assert "ConfigMap" not in got[1].sealed.secrets  # kind and names are encrypted too, but are no secret
    assert PASSWORD in got[1].sealed.secrets


def test_without_a_decryptor_documents_are_marked_encrypted_as_written(tmp_path, sops_env) -> None:
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    [doc] = load(path, None)
    assert doc.sealed == sops.Sealed(False, (("stringData", "password"),), reason="decryption is off")
    assert doc.obj["stringData"]["password"].startswith("ENC[AES256_GCM,") and "sops" in doc.obj


def test_a_hand_edited_file_is_a_mac_mismatch_at_the_mac_line(tmp_path, sops_env) -> None:
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    path.write_text(path.read_text().replace("type: Opaque", "type: kubernetes.io/basic-auth"))
    [finding] = load(path, sops_decrypt.Decryptor(required=True))
    assert isinstance(finding, Finding) and finding.rule == "sops" and finding.severity is Severity.ERROR
    assert "MAC mismatch" in finding.message and finding.file == str(path)
    assert finding.line == line_of(path, "mac:")


def test_corrupted_ciphertext_is_a_finding_naming_the_file(tmp_path, sops_env) -> None:
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    text = path.read_text()
    start = text.index("data:", text.index("password: ENC[")) + 5
    flipped = "A" if text[start] != "A" else "B"
    path.write_text(text[:start] + flipped + text[start + 1:])
    [finding] = load(path, sops_decrypt.Decryptor(required=True))
    assert isinstance(finding, Finding) and finding.rule == "sops", finding
    assert str(path) in finding.message and ("does not decrypt" in finding.message or "MAC" in finding.message)
    assert finding.line == line_of(path, "password:")


def test_a_truncated_or_malformed_sops_block_is_reported_without_running_sops(tmp_path, sops_env, monkeypatch) -> None:
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    text = path.read_text()
    cut = text.replace(text[text.index("password: ENC["):].split("\n", 1)[0],
                       "password: ENC[AES256_GCM,data:abc")  # cut short by a bad merge
    path.write_text("\n".join(line for line in cut.splitlines() if "recipient:" not in line
                              and "enc: |" not in line and "AGE ENCRYPTED" not in line and not line.startswith("            ")))
    monkeypatch.setattr(sops_decrypt, "binary", lambda: pytest.fail("sops must not run on a broken file"))
    got = findings(load(path, sops_decrypt.Decryptor(required=True)))
    messages = " | ".join(f.message for f in got)
    assert "malformed encrypted value" in messages and "no recipient" in messages, messages
    assert any(f.path == ("stringData", "password") and f.line == line_of(path, "password:") for f in got)


@pytest.mark.parametrize("case", ["no key", "wrong key"])
def test_a_missing_or_wrong_key_stops_a_required_load_with_exit_2_naming_file_and_recipient(
        tmp_path, monkeypatch, age_key, other_age_key, case) -> None:
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=age_key.recipient)
    no_keys(monkeypatch, tmp_path)
    if case == "wrong key":
        monkeypatch.setenv("SOPS_AGE_KEY", other_age_key.private)
    with pytest.raises(sops_decrypt.DecryptionUnavailable) as raised:
        load(path, sops_decrypt.Decryptor(required=True))
    message = str(raised.value)
    assert str(path) in message and age_key.recipient in message and "SOPS_AGE_KEY" in message
    assert ("none of the keys given" if case == "wrong key" else "no key to decrypt") in message
    assert PASSWORD not in message and other_age_key.private not in message and "\n" not in message


def test_without_any_age_identity_sops_is_not_started_at_all(tmp_path, monkeypatch, age_key) -> None:
    """A pull request from a fork has no key: validate must not pay a sops process per file to learn it."""
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=age_key.recipient)
    no_keys(monkeypatch, tmp_path)
    monkeypatch.setattr(sops_decrypt.subprocess, "run", lambda *a, **k: pytest.fail("sops was started"))
    assert not sops_decrypt.keys_at_hand()
    doc, info = load(path, sops_decrypt.Decryptor(required=False))
    assert isinstance(info, Finding) and "no key to decrypt it" in info.message


def test_validate_style_load_without_a_key_keeps_the_document_with_an_info_finding(tmp_path, monkeypatch,
                                                                                    age_key) -> None:
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=age_key.recipient)
    no_keys(monkeypatch, tmp_path)
    doc, info = load(path, sops_decrypt.Decryptor(required=False))
    assert isinstance(doc, Document) and doc.sealed is not None and not doc.sealed.decrypted
    assert isinstance(info, Finding) and info.rule == "sops-not-decrypted" and info.severity is Severity.INFO


def test_a_gnupg_recipient_decrypts_with_the_keyring_of_gnupghome(tmp_path, monkeypatch, gpg_key) -> None:
    home, fingerprint = gpg_key
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=fingerprint, pgp=True,
                   env={**os.environ, "GNUPGHOME": str(home)})
    assert f"fp: {fingerprint}" in path.read_text()
    no_keys(monkeypatch, tmp_path)
    monkeypatch.setenv("GNUPGHOME", str(home))
    try:
        [doc] = load(path, sops_decrypt.Decryptor(required=True))
    finally:
        stop_agent(home)
    assert isinstance(doc, Document) and doc.obj["stringData"]["password"] == PASSWORD
    monkeypatch.setenv("GNUPGHOME", str(tmp_path / "empty-keyring"))
    with pytest.raises(sops_decrypt.DecryptionUnavailable, match=f"pgp {fingerprint}"):
        load(path, sops_decrypt.Decryptor(required=True))


def test_no_sops_binary_is_an_environment_error_with_the_install_command(tmp_path, sops_env, monkeypatch) -> None:
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    monkeypatch.setattr(sops_decrypt, "binary", lambda: None)
    with pytest.raises(sops_decrypt.DecryptionUnavailable, match=r"kubepush\[sops\].*provider: none"):
        load(path, sops_decrypt.Decryptor(required=True))


def test_nothing_sops_prints_reaches_a_message(tmp_path, sops_env, monkeypatch) -> None:
    """sops' stderr can quote the document (a YAML error shows the line): only our own words are shown."""
    path = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    fake = tmp_path / "fake-sops"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stdin.read()\n"
                    f"sys.stderr.write('Error unmarshalling input: yaml: line 7: \"{PASSWORD}\" {PASSWORD} ENC[x]\\n')\n"
                    "sys.exit(1)\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sops_decrypt, "binary", lambda: str(fake))
    [finding] = load(path, sops_decrypt.Decryptor(required=True))
    assert "sops failed (exit code 1): Error unmarshalling input: yaml: line 7" in finding.message
    assert PASSWORD not in finding.message  # quoted text goes; so does the rest of a line that quotes
    assert "ENC[x]" not in finding.message


def test_a_kustomize_build_is_decrypted_from_the_source_file_despite_its_transformations(tmp_path, sops_env) -> None:
    base = tmp_path / "app"
    encrypt(base, "secret.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    (base / "kustomization.yaml").write_text(
        "namespace: shop\nnamePrefix: prod-\nlabels:\n- pairs: {team: a}\nresources: [secret.yaml]\n")
    [doc] = load(base, sops_decrypt.Decryptor(required=True))
    assert isinstance(doc, Document), doc
    assert doc.obj["metadata"] == {"name": "prod-db", "namespace": "shop", "labels": {"team": "a"}}
    assert doc.obj["stringData"] == {"password": PASSWORD} and "sops" not in doc.obj
    assert doc.file == str(base / "secret.yaml") or doc.file.endswith("secret.yaml")


def test_a_tampered_source_of_a_kustomize_build_is_a_mac_mismatch(tmp_path, sops_env) -> None:
    base = tmp_path / "app"
    path = encrypt(base, "secret.yaml", secret(password=PASSWORD), recipient=sops_env.recipient)
    path.write_text(path.read_text().replace("name: db", "name: db2"))
    (base / "kustomization.yaml").write_text("resources: [secret.yaml]\n")
    [finding] = load(base, sops_decrypt.Decryptor(required=True))
    assert isinstance(finding, Finding) and "MAC mismatch" in finding.message


def test_standard_input_is_decrypted_from_the_text_read(tmp_path, sops_env) -> None:
    data = encrypt(tmp_path, "s.yaml", secret(password=PASSWORD), recipient=sops_env.recipient).read_bytes()
    [doc] = sources.load(sources.Source("stdin", "<stdin>", "<stdin>", data), sops_decrypt.Decryptor(required=True))
    assert isinstance(doc, Document) and doc.obj["stringData"]["password"] == PASSWORD


def test_files_are_decrypted_concurrently_and_once(tmp_path, sops_env, monkeypatch) -> None:
    for i in range(12):
        encrypt(tmp_path / "m", f"s{i}.yaml", secret(f"s{i}", password=f"{PASSWORD}-{i}"), recipient=sops_env.recipient)
    (tmp_path / "m" / "plain.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    import threading

    running, peak, calls, lock = [0], [0], [0], threading.Lock()
    real = subprocess.run

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        with lock:
            running[0] += 1
            calls[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(sops_decrypt.subprocess, "run", counting)
    decryptor = sops_decrypt.Decryptor(required=True, concurrency=4)
    decryptor.prefetch(str(p) for p in sorted((tmp_path / "m").iterdir()))
    got = docs(load(tmp_path / "m", decryptor))
    assert calls[0] == 12  # one process per encrypted file, none for the plain one, none again on load
    assert 1 < peak[0] <= 4
    assert sorted(d.obj["stringData"]["password"] for d in got if d.obj["kind"] == "Secret") == sorted(
        f"{PASSWORD}-{i}" for i in range(12))


def test_structure_checks_need_a_mac_a_recipient_and_well_formed_values() -> None:
    good = "ENC[AES256_GCM,data:YWJj,iv:aXY=,tag:dGFn,type:str]"
    obj = {"kind": "Secret", "data": {"a": good, "b": "ENC[AES256_GCM,data:YWJj"},
           "sops": {"mac": "", "age": [], "lastmodified": "2026-01-01T00:00:00Z", "version": "3.11.0"}}
    messages = [(f.path, f.message) for f in sops_format.structure(obj)]
    assert [p for p, _ in messages] == [("sops", "mac"), ("sops",), ("data", "b")]
    obj["sops"].update(mac=good, key_groups=[{"age": [{"recipient": "age1xyz"}]}])
    obj["data"]["b"] = good
    assert sops_format.structure(obj) == [] and sops_format.recipients(obj["sops"]) == ["age age1xyz"]


def test_placeholders_keep_the_encrypted_type_and_drop_the_sops_block() -> None:
    obj = {"spec": {"replicas": "ENC[AES256_GCM,data:Mg==,iv:aXY=,tag:dGFn,type:int]",
                    "name": "ENC[AES256_GCM,data:YQ==,iv:aXY=,tag:dGFn,type:str]",
                    "on": "ENC[AES256_GCM,data:dHJ1ZQ==,iv:aXY=,tag:dGFn,type:bool]"}, "sops": {"mac": "x"}}
    assert sops_format.placeholders(obj) == {"spec": {"replicas": 0, "name": obj["spec"]["name"], "on": False}}
