"""Registry client against a real distribution registry (Debian's docker-registry)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
import requests

from kubepush.images.reference import parse_reference
from kubepush.registry import Credentials, RegistryClient, RegistryError
from tests.support.registry_fixtures import IDENTITY_TOKEN, PASSWORD, USERNAME, RunningRegistry

TAGS = [f"1.{minor}.{patch}" for minor in range(6) for patch in range(5)] + ["latest", "main-17-abc"]

pytest_plugins = ["tests.support.registry_fixtures"]


def client_for(reg: RunningRegistry, empty_docker_config: Path, **kwargs: object) -> RegistryClient:
    return RegistryClient(insecure=[reg.host], docker_config=empty_docker_config, timeout=5, backoff=0.05,
                          **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def pushed(anon_registry: RunningRegistry) -> dict[str, object]:
    """Images in the anonymous registry: many tags, one multi-arch index."""
    pusher = anon_registry.pusher()
    digests = {tag: pusher.image("team/app", tag, layer=f"layer-{tag}".encode()) for tag in TAGS}
    index_digest, children = pusher.index("team/multi", "2.0.0")
    pusher.image("other/svc", "0.1.0")
    return {"digests": digests, "index": index_digest, "children": children}


def test_lists_every_tag(anon_registry: RunningRegistry, pushed: dict, empty_docker_config: Path) -> None:
    tags = client_for(anon_registry, empty_docker_config).list_tags(f"{anon_registry.host}/team/app:1.0.0")
    assert sorted(tags) == sorted(TAGS)


def test_registry_ignoring_page_size_is_listed_once(anon_registry: RunningRegistry, pushed: dict,
                                                    empty_docker_config: Path) -> None:
    # docker-registry 2.8 ignores n= on tags/list and sends every tag at once,
    # without a Link header; a small page size must still give each tag once.
    tags = client_for(anon_registry, empty_docker_config, page_size=7).list_tags(f"{anon_registry.host}/team/app")
    assert len(tags) == len(TAGS) and set(tags) == set(TAGS)


def test_resolves_the_manifest_digest_not_the_config_digest(anon_registry: RunningRegistry, pushed: dict,
                                                            empty_docker_config: Path) -> None:
    client = client_for(anon_registry, empty_docker_config)
    ref = parse_reference(f"{anon_registry.host}/team/app:1.2.3")
    digest = client.resolve_digest(ref)
    assert digest == pushed["digests"]["1.2.3"]
    manifest = requests.get(f"{anon_registry.url}/v2/team/app/manifests/{digest}",
                            headers={"Accept": "application/vnd.oci.image.manifest.v1+json"}, timeout=5)
    assert "sha256:" + hashlib.sha256(manifest.content).hexdigest() == digest
    assert json.loads(manifest.content)["config"]["digest"] != digest
    assert client.resolve_digest(ref, tag="1.4.0") == pushed["digests"]["1.4.0"]
    assert client.resolve_digest(f"{anon_registry.host}/team/app") == pushed["digests"]["latest"]


def test_multi_arch_tag_resolves_to_the_index(anon_registry: RunningRegistry, pushed: dict,
                                              empty_docker_config: Path) -> None:
    digest = client_for(anon_registry, empty_docker_config).resolve_digest(f"{anon_registry.host}/team/multi:2.0.0")
    assert digest == pushed["index"]
    assert digest not in pushed["children"].values()


def test_unknown_repository_and_tag(anon_registry: RunningRegistry, pushed: dict,
                                    empty_docker_config: Path) -> None:
    client = client_for(anon_registry, empty_docker_config)
    with pytest.raises(RegistryError) as caught:
        client.list_tags(f"{anon_registry.host}/no/such-repo")
    assert caught.value.kind == "not-found"
    assert str(caught.value) == f"repository no/such-repo not found on {anon_registry.host}"
    with pytest.raises(RegistryError, match=f"tag '9.9.9' not found in {anon_registry.host}/team/app"):
        client.resolve_digest(f"{anon_registry.host}/team/app:9.9.9")
    # docker-registry answers MANIFEST_UNKNOWN (not NAME_UNKNOWN) for a missing repository too
    with pytest.raises(RegistryError, match=f"tag '1' not found in {anon_registry.host}/no/such-repo"):
        client.resolve_digest(f"{anon_registry.host}/no/such-repo:1")


def test_list_tags_many_against_the_real_registry(anon_registry: RunningRegistry, pushed: dict,
                                                  empty_docker_config: Path) -> None:
    refs = [f"{anon_registry.host}/team/app:1.0.0", f"{anon_registry.host}/team/app:1.1.0",
            f"{anon_registry.host}/other/svc", f"{anon_registry.host}/missing/repo:1"]
    results = client_for(anon_registry, empty_docker_config).list_tags_many(refs, max_workers=3)
    assert set(results) == {f"{anon_registry.host}/team/app", f"{anon_registry.host}/other/svc",
                            f"{anon_registry.host}/missing/repo"}
    assert sorted(results[f"{anon_registry.host}/team/app"]) == sorted(TAGS)
    assert results[f"{anon_registry.host}/other/svc"] == ["0.1.0"]
    missing = results[f"{anon_registry.host}/missing/repo"]
    assert isinstance(missing, RegistryError) and missing.kind == "not-found"


# htpasswd (Basic) -------------------------------------------------------------


@pytest.fixture(scope="module")
def basic_pushed(htpasswd_registry: RunningRegistry) -> str:
    pusher = htpasswd_registry.pusher()
    for tag in ("1.0.0", "1.1.0"):
        digest = pusher.image("secure/app", tag)
    return digest


def test_basic_auth_with_explicit_credentials(htpasswd_registry: RunningRegistry, basic_pushed: str,
                                              empty_docker_config: Path) -> None:
    reg = htpasswd_registry
    client = client_for(reg, empty_docker_config, credentials={reg.host: Credentials(USERNAME, PASSWORD)})
    assert sorted(client.list_tags(f"{reg.host}/secure/app")) == ["1.0.0", "1.1.0"]
    assert client.resolve_digest(f"{reg.host}/secure/app:1.1.0") == basic_pushed


def test_basic_auth_from_docker_config(htpasswd_registry: RunningRegistry, basic_pushed: str,
                                       empty_docker_config: Path) -> None:
    reg = htpasswd_registry
    auth = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    empty_docker_config.write_text(json.dumps({"auths": {f"http://{reg.host}": {"auth": auth}}}))
    client = RegistryClient(insecure=[reg.host], timeout=5)  # default path: $DOCKER_CONFIG
    assert sorted(client.list_tags(f"{reg.host}/secure/app")) == ["1.0.0", "1.1.0"]


def test_wrong_password_is_a_clear_error_without_the_password(
        htpasswd_registry: RunningRegistry, basic_pushed: str, empty_docker_config: Path) -> None:
    reg = htpasswd_registry
    wrong = "Wr0ng-pa55word-xyz"
    client = client_for(reg, empty_docker_config, credentials={reg.host: Credentials(USERNAME, wrong)})
    with pytest.raises(RegistryError) as caught:
        client.list_tags(f"{reg.host}/secure/app")
    error = caught.value
    assert error.kind == "auth"
    assert str(error) == f"credentials rejected for {reg.host}: check docker config / --registry-auth"
    basic = base64.b64encode(f"{USERNAME}:{wrong}".encode()).decode()
    for text in (str(error), repr(error), repr(client), repr(Credentials(USERNAME, wrong))):
        assert wrong not in text and basic not in text


def test_anonymous_access_to_protected_registry(htpasswd_registry: RunningRegistry, basic_pushed: str,
                                                empty_docker_config: Path) -> None:
    reg = htpasswd_registry
    with pytest.raises(RegistryError, match=rf"{reg.host}/secure/app requires credentials .*--registry-auth"):
        client_for(reg, empty_docker_config).list_tags(f"{reg.host}/secure/app")


# Token auth ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def token_pushed(token_registry: RunningRegistry) -> dict[str, str]:
    pusher = token_registry.pusher()
    return {"public": pusher.image("team/public", "3.1.0"), "private": pusher.image("private/app", "1.0.0")}


def test_anonymous_token_flow(token_registry: RunningRegistry, token_pushed: dict,
                              empty_docker_config: Path) -> None:
    reg = token_registry
    assert reg.token_server is not None
    before = len(reg.token_server.requests)
    client = client_for(reg, empty_docker_config)
    assert client.list_tags(f"{reg.host}/team/public") == ["3.1.0"]
    assert client.resolve_digest(f"{reg.host}/team/public:3.1.0") == token_pushed["public"]
    calls = reg.token_server.requests[before:]
    # one anonymous token for the repository, reused for the digest lookup
    assert calls == [{"method": "GET", "authorization": False,
                      "query": {"service": "kubepush-test-registry",
                                "scope": "repository:team/public:pull"}}]


def test_private_repository_needs_credentials(token_registry: RunningRegistry, token_pushed: dict,
                                              empty_docker_config: Path) -> None:
    reg = token_registry
    with pytest.raises(RegistryError) as caught:
        client_for(reg, empty_docker_config).list_tags(f"{reg.host}/private/app")
    assert caught.value.kind == "auth"
    assert "requires credentials" in str(caught.value)
    client = client_for(reg, empty_docker_config, credentials={reg.host: Credentials(USERNAME, PASSWORD)})
    assert client.list_tags(f"{reg.host}/private/app") == ["1.0.0"]
    assert client.resolve_digest(f"{reg.host}/private/app:1.0.0") == token_pushed["private"]
    assert reg.token_server is not None and reg.token_server.requests[-1]["authorization"] is True


def test_token_service_rejects_wrong_password(token_registry: RunningRegistry, token_pushed: dict,
                                              empty_docker_config: Path) -> None:
    reg = token_registry
    client = client_for(reg, empty_docker_config, credentials={reg.host: Credentials(USERNAME, "nope-nope")})
    with pytest.raises(RegistryError) as caught:
        client.list_tags(f"{reg.host}/private/app")
    assert str(caught.value) == f"credentials rejected for {reg.host}: check docker config / --registry-auth"
    assert "nope-nope" not in repr(caught.value)


def test_identity_token_from_docker_config(token_registry: RunningRegistry, token_pushed: dict,
                                           empty_docker_config: Path) -> None:
    reg = token_registry
    assert reg.token_server is not None
    empty_docker_config.write_text(json.dumps({"auths": {reg.host: {
        "auth": base64.b64encode(b"<token>:").decode(), "identitytoken": IDENTITY_TOKEN}}}))
    before = len(reg.token_server.requests)
    assert client_for(reg, empty_docker_config).list_tags(f"{reg.host}/private/app") == ["1.0.0"]
    (call,) = reg.token_server.requests[before:]
    assert call["method"] == "POST"
    assert call["query"]["grant_type"] == "refresh_token"
    assert call["query"]["scope"] == "repository:private/app:pull"
