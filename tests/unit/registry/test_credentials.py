"""Where registry credentials come from: flags, Docker config, credential helpers."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from kubepush.registry import (
    Credentials,
    RegistryClient,
    RegistryError,
    docker_config_path,
)
from kubepush.registry.credentials import load_docker_credentials, server_key
from tests.support.registry_fixtures import Reply, ScriptedServer

pytest_plugins = ["tests.support.registry_fixtures"]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def write_config(path: Path, config: dict) -> Path:
    path.write_text(json.dumps(config))
    return path


def test_flag_parsing() -> None:
    assert Credentials.from_flag("ghcr.io=bot:pa:ss") == ("ghcr.io", Credentials("bot", "pa:ss"))
    for bad in ("ghcr.io", "ghcr.io=bot", "=bot:x", "ghcr.io=:x", "ghcr.io=bot:"):
        with pytest.raises(RegistryError, match="--registry-auth expects REGISTRY=USER:PASSWORD"):
            Credentials.from_flag(bad)


def test_repr_hides_every_secret() -> None:
    creds = Credentials("bot", "pw-123", identity_token="idt-456", registry_token="rt-789")
    text = repr(creds) + str(creds)
    assert "bot" in text and "password=***" in text
    for secret in ("pw-123", "idt-456", "rt-789"):
        assert secret not in text
    assert b64("bot:pw-123") in creds.secrets()


def test_config_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert docker_config_path({"DOCKER_CONFIG": "/etc/dc"}) == Path("/etc/dc/config.json")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert docker_config_path({}) == tmp_path / ".docker" / "config.json"


def test_auths_entries(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.json", {"auths": {
        "https://index.docker.io/v1/": {"auth": b64("hubuser:hubpass")},
        "ghcr.io": {"auth": b64("gh:ghp_token")},
        "https://quay.io": {"username": "q", "password": "qp"},
        "registry.example.com:5000": {"auth": b64("<token>:"), "identitytoken": "refresh-1"},
        "harbor.example.com": {"registrytoken": "bearer-1"},
        "empty.example.com": {},
    }})
    for hub in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        assert load_docker_credentials(hub, config) == Credentials("hubuser", "hubpass")
    assert load_docker_credentials("ghcr.io", config) == Credentials("gh", "ghp_token")
    assert load_docker_credentials("quay.io", config) == Credentials("q", "qp")
    assert load_docker_credentials("registry.example.com:5000", config) == Credentials(
        "<token>", identity_token="refresh-1")
    assert load_docker_credentials("harbor.example.com", config) == Credentials(registry_token="bearer-1")
    assert load_docker_credentials("empty.example.com", config) is None
    assert load_docker_credentials("gcr.io", config) is None
    assert load_docker_credentials("registry.example.com", config) is None  # port matters
    assert load_docker_credentials("ghcr.io", tmp_path / "missing.json") is None


def test_broken_config_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "config.json"
    broken.write_text("{not json")
    with pytest.raises(RegistryError, match=f"cannot read Docker config {broken}"):
        load_docker_credentials("ghcr.io", broken)
    secret_ish = "not-base64-but-secret!!"
    write_config(broken, {"auths": {"ghcr.io": {"auth": secret_ish}}})
    with pytest.raises(RegistryError) as caught:
        load_docker_credentials("ghcr.io", broken)
    assert "auths['ghcr.io'].auth is not base64 of USER:PASSWORD" in str(caught.value)
    assert secret_ish not in str(caught.value)
    write_config(broken, ["auths"])  # type: ignore[arg-type]
    with pytest.raises(RegistryError, match="is not a JSON object"):
        load_docker_credentials("ghcr.io", broken)


@pytest.fixture
def helper_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on PATH for docker-credential-* programs written by a test."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def write_helper(bin_dir: Path, name: str, body: str) -> None:
    """A credential helper speaking the docker-credential-helpers protocol:
    ``get`` reads the server URL on stdin and prints {ServerURL, Username, Secret}."""
    path = bin_dir / f"docker-credential-{name}"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_cred_helper_for_one_registry(tmp_path: Path, helper_dir: Path) -> None:
    write_helper(helper_dir, "kpt", '[ "$1" = get ] || exit 3\nread server\n'
                 'printf \'{"ServerURL":"%s","Username":"AWS","Secret":"ecr-%s"}\' "$server" "$server"\n')
    ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    config = write_config(tmp_path / "config.json", {
        "credHelpers": {ecr: "kpt"}, "auths": {ecr: {"auth": b64("stale:stale")}}})
    assert load_docker_credentials(ecr, config) == Credentials("AWS", f"ecr-{ecr}")


def test_creds_store_for_docker_hub_with_identity_token(tmp_path: Path, helper_dir: Path) -> None:
    write_helper(helper_dir, "store", 'read server\n[ "$server" = "https://index.docker.io/v1/" ] || exit 4\n'
                 'echo \'{"Username":"<token>","Secret":"refresh-xyz"}\'\n')
    config = write_config(tmp_path / "config.json", {"credsStore": "store"})
    assert load_docker_credentials("docker.io", config) == Credentials(identity_token="refresh-xyz")
    assert server_key("docker.io") == "https://index.docker.io/v1/"


def test_helper_misses_and_failures(tmp_path: Path, helper_dir: Path) -> None:
    write_helper(helper_dir, "miss", "echo 'credentials not found in native keychain'\nexit 1\n")
    write_helper(helper_dir, "boom", "echo 'dbus error' >&2\nexit 2\n")
    write_helper(helper_dir, "junk", "echo 'hello'\n")
    config = tmp_path / "config.json"
    write_config(config, {"credsStore": "miss", "auths": {"ghcr.io": {"auth": b64("a:b")}}})
    assert load_docker_credentials("ghcr.io", config) == Credentials("a", "b")  # store miss: auths
    write_config(config, {"credHelpers": {"ghcr.io": "absent"}})
    assert load_docker_credentials("ghcr.io", config) is None  # helper not installed
    write_config(config, {"credHelpers": {"ghcr.io": "boom"}})
    with pytest.raises(RegistryError, match="docker-credential-boom exited with 2; check it works"):
        load_docker_credentials("ghcr.io", config)
    write_config(config, {"credHelpers": {"ghcr.io": "junk"}})
    with pytest.raises(RegistryError, match="did not print the JSON"):
        load_docker_credentials("ghcr.io", config)


def test_explicit_credentials_win_over_docker_config(
        scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    write_config(empty_docker_config, {"auths": {scripted_registry.host: {"auth": b64("fromconfig:x")}}})

    def basic(method: str, path: str, query: dict, headers: dict) -> Reply:
        if "Authorization" not in headers:
            return Reply(401, b"", {"WWW-Authenticate": 'Basic realm="r"'})
        return Reply(200, {"name": "a/b", "tags": [headers["Authorization"]]})

    scripted_registry.script("/v2/a/b/tags/list", basic)
    from_config = RegistryClient(insecure=[scripted_registry.host], docker_config=empty_docker_config)
    assert from_config.list_tags(f"{scripted_registry.host}/a/b") == ["Basic " + b64("fromconfig:x")]
    explicit = RegistryClient(insecure=[scripted_registry.host], docker_config=empty_docker_config,
                              credentials={scripted_registry.host: Credentials("flag", "y")})
    assert explicit.list_tags(f"{scripted_registry.host}/a/b") == ["Basic " + b64("flag:y")]


def test_registry_token_is_sent_as_bearer(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script("/v2/a/b/tags/list", Reply(200, {"name": "a/b", "tags": ["1"]}))
    client = RegistryClient(insecure=[scripted_registry.host], docker_config=empty_docker_config,
                            credentials={scripted_registry.host: Credentials(registry_token="rt-1")})
    assert client.list_tags(f"{scripted_registry.host}/a/b") == ["1"]
    assert scripted_registry.log[0]["headers"]["Authorization"] == "Bearer rt-1"
