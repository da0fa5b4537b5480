"""Minting a GitHub App installation token (optional feature, needs ``cryptography``)."""

from __future__ import annotations

import json
import os

import pytest

from kubepush.errors import UsageError
from kubepush.forges.errors import ForgeError
from kubepush.forges.factory import open_forge
from kubepush.forges.github_app import app_jwt, installation_token, load_private_key
from tests.support.git_fixtures import GitHTTPServer, make_remote
from tests.support.kubepush_cli import assert_no_traceback, kubepush

pytest_plugins = ["tests.support.git_fixtures"]

rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")


def _pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def app_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_mint_then_use_the_installation_token(fake_github, app_key, tmp_path, caplog):
    fake_github.enable_app(1234, app_key.public_key())
    key_file = tmp_path / "app.pem"
    key_file.write_text(_pem(app_key))
    client = open_forge(f"https://github.example/{fake_github.owner}/{fake_github.repo}",
                        kind="github", api_url=fake_github.url,
                        env={"GITHUB_APP_ID": "1234", "GITHUB_APP_PRIVATE_KEY": str(key_file),
                             "GITHUB_TOKEN": "ambient-token-ignored"})
    assert client.find_open("x", "main") is None
    ops = [c.op_id for c in fake_github.calls()]
    assert ops == ["apps/get-repo-installation", "apps/create-installation-access-token",
                   "pulls/list"]
    minted = fake_github.calls()[-1].headers["Authorization"].removeprefix("Bearer ")
    assert minted.startswith("ghs_") and fake_github.tokens[minted][0] == "kubepush-app[bot]"
    assert minted not in repr(client) and minted not in caplog.text


def test_known_installation_id_skips_the_lookup(fake_github, app_key):
    fake_github.enable_app(99, app_key.public_key(), installation_id=5)
    token = installation_token(fake_github.url, 99, _pem(app_key), "octo", "app",
                               installation_id=5)
    assert token in fake_github.tokens
    assert [c.op_id for c in fake_github.calls()] == ["apps/create-installation-access-token"]


def test_wrong_key_is_rejected_with_app_variables_named(fake_github, app_key):
    fake_github.enable_app(1234, app_key.public_key())
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(ForgeError) as info:
        installation_token(fake_github.url, 1234, _pem(other), "octo", "app")
    assert info.value.status == 401 and "GITHUB_APP_ID / GITHUB_APP_PRIVATE_KEY" in str(info.value)
    assert "BEGIN" not in str(info.value)


def test_jwt_claims_follow_github_rules(app_key):
    import base64
    import json

    jwt = app_jwt(7, _pem(app_key), now=1_000_000)
    claims = json.loads(base64.urlsafe_b64decode(jwt.split(".")[1] + "=="))
    assert claims == {"iat": 1_000_000 - 60, "exp": 1_000_000 + 540, "iss": "7"}


def test_bad_key_material_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError) as info:
        app_jwt(1, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    assert "not an unencrypted PEM key" in str(info.value)
    with pytest.raises(UsageError) as info:
        load_private_key(str(tmp_path / "missing.pem"))
    assert "missing.pem" in str(info.value)


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  template:
    spec:
      containers:
        - name: shop
          image: ghcr.io/acme/shop:1.4.1
"""


def test_the_app_token_pushes_the_branch_too(fake_github, app_key, git_remote_root, tmp_path):
    """With App credentials, ``git push`` uses the installation token the API calls use, not the
    ambient GITHUB_TOKEN: a push by the App triggers the repository's workflows, one by the
    Actions token does not - and here the ambient token may not push at all."""
    fake_github.enable_app(1234, app_key.public_key())
    minted = lambda user, token: (user == "x-access-token" and token.startswith("ghs_")  # noqa: E731
                                  and token in fake_github.tokens)
    remote = make_remote(git_remote_root, "octo/app.git", {"base/deploy.yaml": DEPLOY,
                                                           "base/kustomization.yaml": "resources: [deploy.yaml]\n"})
    server = GitHTTPServer(git_remote_root, authorize=minted).start()
    fake_github.branches = {"main", "kubepush/repo/shop"}  # the pull request's head, once pushed
    key_file = tmp_path / "app.pem"
    key_file.write_text(_pem(app_key))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB_", "GIT_", "CI_"))}
    env.update(GITHUB_APP_ID="1234", GITHUB_APP_PRIVATE_KEY=str(key_file), GITHUB_TOKEN="ghp_ambient0000000000")
    try:
        proc = kubepush("bump", "--repo", server.url(remote), "--forge", "github", "--forge-url", fake_github.url,
                        "--image", "ghcr.io/acme/shop:1.5.0", "-o", "json", env=env)
    finally:
        server.stop()
    assert_no_traceback(proc)
    assert proc.returncode == 0, proc.stderr
    assert "1.5.0" in remote.read("kubepush/repo/shop", "base/deploy.yaml")
    assert json.loads(proc.stdout)["prNumber"] == 1
    pushes = [r for r in server.requests if r.target.endswith("/git-receive-pack")]
    assert pushes and all(r.authorized for r in pushes)
    assert len(fake_github.calls("apps/create-installation-access-token")) == 1, "one token per run"
    assert "ghs_" not in proc.stdout + proc.stderr
