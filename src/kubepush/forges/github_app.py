"""Mint a GitHub App installation token from the app id and its private key.

Optional: needs the ``cryptography`` package (``pip install 'kubepush[github-app]'``);
without it, pass a ready installation token instead (e.g. from
actions/create-github-app-token). The flow is GitHub's documented one: sign a JWT
(RS256, ``iat`` 60s in the past against clock drift, ``exp`` under 10 minutes),
look up the installation for the repository, then ask for an access token.
The JWT and the minted token are secrets like any other: both travel only in
``TokenAuth`` and are redacted from messages.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from urllib.parse import quote

from kubepush.errors import UsageError
from kubepush.forges.github import GitHubDialect
from kubepush.forges.http import TokenAuth, Transport
from kubepush.net.retry import RetryPolicy


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_private_key(value: str) -> str:
    """The PEM text itself, or a path to a file holding it."""
    if value.lstrip().startswith("-----BEGIN"):
        return value
    try:
        return Path(value).read_text()
    except OSError as exc:
        raise UsageError(f"cannot read the GitHub App private key file {value!r}: "
                         f"{exc.strerror}") from None


def app_jwt(app_id: str | int, private_key_pem: str, now: float | None = None) -> str:
    """A JWT that authenticates as the app itself (valid ~9 minutes)."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa
    except ImportError:
        raise UsageError("minting a GitHub App token needs the 'cryptography' package: "
                         "pip install 'kubepush[github-app]', or pass an installation "
                         "token in GITHUB_TOKEN") from None
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError):
        raise UsageError("the GitHub App private key is not an unencrypted PEM key: use the "
                         ".pem file GitHub generated for the app") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UsageError("the GitHub App private key must be an RSA key")
    now = time.time() if now is None else now
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = _b64(json.dumps({"iat": int(now) - 60, "exp": int(now) + 540,
                              "iss": str(app_id)}).encode())
    signing_input = f"{header}.{claims}".encode()
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{claims}.{_b64(signature)}"


def installation_token(api_url: str, app_id: str | int, private_key_pem: str, owner: str,
                       repo: str, *, installation_id: int | None = None,
                       verify: bool | str = True, retry: RetryPolicy | None = None,
                       timeout: tuple[float, float] = (10.0, 30.0)) -> str:
    """An installation access token for ``owner/repo`` (valid one hour)."""
    http = Transport(api_url, GitHubDialect("GITHUB_APP_ID / GITHUB_APP_PRIVATE_KEY"),
                     TokenAuth(app_jwt(app_id, private_key_pem), "Authorization", "Bearer"),
                     subject=f"GitHub App {app_id} installation on {owner}/{repo}",
                     verify=verify, timeout=timeout, retry=retry or RetryPolicy())
    http.session.headers.update({"Accept": "application/vnd.github+json",
                                 "X-GitHub-Api-Version": "2022-11-28"})
    if installation_id is None:
        found = http.json("GET", f"repos/{quote(owner, safe='')}/{quote(repo, safe='')}/installation",
                          operation="apps/get-repo-installation", ok=(200,))
        installation_id = int(found["id"])
    minted = http.json("POST", f"app/installations/{int(installation_id)}/access_tokens",
                       operation="apps/create-installation-access-token", ok=(201,))
    return str(minted["token"])
