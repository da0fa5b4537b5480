"""Registry credentials: explicit ones, or what ``docker login`` left behind.

Lookup follows the Docker CLI so a CI job that ran ``docker login`` (or set
up ``docker-credential-ecr-login``/``gcloud``) needs no extra configuration:
``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``; ``credHelpers``
for the registry first, then ``credsStore``, then ``auths`` (``auth`` =
base64 ``user:password``, ``identitytoken`` = OAuth2 refresh token,
``registrytoken`` = bearer token). Docker Hub's entry is keyed
``https://index.docker.io/v1/``. Secrets never show in ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubepush.redact import MASK
from kubepush.registry.errors import AUTH, RegistryError

DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
DOCKER_HUB_SERVER = "https://index.docker.io/v1/"
HELPER_TIMEOUT = 30.0


@dataclass(frozen=True)
class Credentials:
    """Credentials for one registry. Set ``username``+``password`` (Basic, or
    exchanged for a bearer token), ``identity_token`` (OAuth2 refresh token)
    or ``registry_token`` (a bearer token sent as is)."""

    username: str = ""
    password: str = ""
    identity_token: str = ""
    registry_token: str = ""

    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in output (incl. the Basic header form)."""
        basic = base64.b64encode(f"{self.username}:{self.password}".encode()).decode() if self.password else ""
        return tuple(s for s in (self.password, basic, self.identity_token, self.registry_token) if s)

    def __repr__(self) -> str:
        kinds = [name for name in ("password", "identity_token", "registry_token") if getattr(self, name)]
        hidden = "".join(f", {name}={MASK}" for name in kinds)
        return f"Credentials(username={self.username!r}{hidden})"

    __str__ = __repr__

    @classmethod
    def from_flag(cls, value: str) -> tuple[str, Credentials]:
        """Parse ``--registry-auth REGISTRY=USER:PASSWORD`` into (registry, credentials)."""
        registry, eq, userpass = value.partition("=")
        username, colon, password = userpass.partition(":")
        if not (eq and colon and registry and username and password):
            raise RegistryError(
                AUTH, registry or "?",
                "--registry-auth expects REGISTRY=USER:PASSWORD (e.g. ghcr.io=bot:$TOKEN)",
            )
        return registry, cls(username=username, password=password)


def docker_config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the Docker CLI keeps its config: ``$DOCKER_CONFIG`` or ``~/.docker``."""
    env = os.environ if env is None else env
    base = env.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def server_key(registry: str) -> str:
    """The key Docker uses for ``registry`` in config files and helpers."""
    return DOCKER_HUB_SERVER if registry in DOCKER_HUB_ALIASES else registry


def _host_of(key: str) -> str:
    """``https://index.docker.io/v1/`` -> ``index.docker.io``; ``ghcr.io`` -> ``ghcr.io``."""
    return key.split("://", 1)[-1].split("/", 1)[0].lower()


def _same_registry(key: str, registry: str) -> bool:
    host, registry = _host_of(key), registry.lower()
    if registry in DOCKER_HUB_ALIASES:
        return host in DOCKER_HUB_ALIASES
    return host == registry


def load_docker_credentials(registry: str, config_path: Path | None = None) -> Credentials | None:
    """Credentials for ``registry`` from the Docker config, or None (anonymous)."""
    path = config_path or docker_config_path()
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegistryError(AUTH, registry, f"cannot read Docker config {path}: {exc.__class__.__name__}: "
                            "fix or remove it, or pass --registry-auth") from None
    if not isinstance(config, dict):
        raise RegistryError(AUTH, registry, f"Docker config {path} is not a JSON object")
    helpers = config.get("credHelpers") or {}
    for key, helper in helpers.items():
        if _same_registry(key, registry):
            return _from_helper(helper, key, registry)
    auths = config.get("auths") or {}
    entry_key = next((key for key in auths if _same_registry(key, registry)), None)
    if config.get("credsStore"):
        found = _from_helper(config["credsStore"], entry_key or server_key(registry), registry)
        if found is not None:
            return found
    if entry_key is None or not isinstance(auths[entry_key], dict):
        return None
    return _from_auth_entry(auths[entry_key], path, entry_key, registry)


def _from_auth_entry(entry: dict[str, Any], path: Path, key: str, registry: str) -> Credentials | None:
    if entry.get("registrytoken"):
        return Credentials(registry_token=str(entry["registrytoken"]))
    username, password = str(entry.get("username") or ""), str(entry.get("password") or "")
    if entry.get("auth"):
        try:
            decoded = base64.b64decode(str(entry["auth"]), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        username, colon, password = decoded.partition(":")
        if not colon:
            raise RegistryError(AUTH, registry, f"Docker config {path}: auths[{key!r}].auth is not "
                                "base64 of USER:PASSWORD; run docker login again")
    if entry.get("identitytoken"):
        return Credentials(username=username, identity_token=str(entry["identitytoken"]))
    if username and password:
        return Credentials(username=username, password=password)
    return None


def _from_helper(helper: str, server: str, registry: str) -> Credentials | None:
    """Run ``docker-credential-<helper> get``; None when it is missing or has nothing."""
    program = shutil.which(f"docker-credential-{helper}")
    if program is None:
        return None
    try:
        done = subprocess.run([program, "get"], input=server, capture_output=True, text=True,
                              timeout=HELPER_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RegistryError(AUTH, registry, f"credential helper docker-credential-{helper} failed: "
                            f"{exc.__class__.__name__}") from None
    if done.returncode != 0:
        # "credentials not found in native keychain" is the documented miss.
        if "not found" in (done.stdout + done.stderr).lower():
            return None
        raise RegistryError(AUTH, registry, f"credential helper docker-credential-{helper} exited "
                            f"with {done.returncode}; check it works: echo {server} | "
                            f"docker-credential-{helper} get")
    try:
        answer = json.loads(done.stdout)
        username, secret = str(answer.get("Username") or ""), str(answer.get("Secret") or "")
    except (json.JSONDecodeError, AttributeError):
        raise RegistryError(AUTH, registry, f"credential helper docker-credential-{helper} did not "
                            "print the JSON {Username, Secret} it should") from None
    if not secret:
        return None
    if username == "<token>":
        return Credentials(identity_token=secret)
    return Credentials(username=username, password=secret)
