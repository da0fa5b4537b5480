"""Registry client behaviour a real registry cannot be made to show: pagination
variants, rate limits, server errors, hangs, garbage, hostile responses."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from pathlib import Path

import pytest

from kubepush.registry import (
    MANIFEST_MEDIA_TYPES,
    Credentials,
    RegistryClient,
    RegistryError,
)
from tests.support.registry_fixtures import Reply, ScriptedServer, free_port

TAGS_PATH = "/v2/team/app/tags/list"
MANIFEST_PATH = "/v2/team/app/manifests/1.0"
DIGEST = "sha256:" + "ab" * 32

pytest_plugins = ["tests.support.registry_fixtures"]


def make_client(server: ScriptedServer, empty_docker_config: Path, **kwargs: object) -> RegistryClient:
    options: dict[str, object] = {"insecure": [server.host], "docker_config": empty_docker_config,
                                  "timeout": 2, "backoff": 0.01, "retries": 3}
    options.update(kwargs)
    return RegistryClient(**options)  # type: ignore[arg-type]


def tags(*names: str) -> dict[str, object]:
    return {"name": "team/app", "tags": list(names)}


def test_follows_link_pagination_and_dedupes(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    def paged(method: str, path: str, query: dict[str, str], headers: dict[str, str]) -> Reply:
        pages = {None: (["a", "b", "c"], "c"), "c": (["c", "d", "e"], "e"), "e": (["f"], None)}
        names, last = pages[query.get("last")]
        link = {"Link": f'</v2/team/app/tags/list?n=3&last={last}>; rel="next"'} if last else {}
        return Reply(200, tags(*names), link)

    scripted_registry.script(TAGS_PATH, paged)
    result = make_client(scripted_registry, empty_docker_config, page_size=3).list_tags(f"{scripted_registry.host}/team/app")
    assert result == ["a", "b", "c", "d", "e", "f"]
    queries = [entry["query"] for entry in scripted_registry.requests_to(TAGS_PATH)]
    assert queries == [{"n": "3"}, {"n": "3", "last": "c"}, {"n": "3", "last": "e"}]


def test_registry_ignoring_last_does_not_loop(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    link = {"Link": '</v2/team/app/tags/list?n=2&last=b>; rel="next"'}
    scripted_registry.script(TAGS_PATH, Reply(200, tags("a", "b"), link))  # same page forever
    result = make_client(scripted_registry, empty_docker_config, page_size=2).list_tags(f"{scripted_registry.host}/team/app")
    assert result == ["a", "b"]
    assert len(scripted_registry.requests_to(TAGS_PATH)) == 2


def test_full_page_without_link_asks_for_more(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(TAGS_PATH, Reply(200, tags("a", "b")), Reply(200, tags("c")))
    result = make_client(scripted_registry, empty_docker_config, page_size=2).list_tags(f"{scripted_registry.host}/team/app")
    assert result == ["a", "b", "c"]
    assert scripted_registry.requests_to(TAGS_PATH)[1]["query"] == {"n": "2", "last": "b"}


def test_everything_at_once_and_null_tags(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(TAGS_PATH, Reply(200, tags(*[str(i) for i in range(50)], "3", "7")))
    scripted_registry.script("/v2/team/empty/tags/list", Reply(200, {"name": "team/empty", "tags": None}))
    client = make_client(scripted_registry, empty_docker_config, page_size=10)
    assert client.list_tags(f"{scripted_registry.host}/team/app") == [str(i) for i in range(50)]
    assert client.list_tags(f"{scripted_registry.host}/team/empty") == []


def test_pagination_bound(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    counter = iter(range(10_000))

    def endless(*_: object) -> Reply:
        n = next(counter)
        return Reply(200, tags(f"t{n}"), {"Link": f'</v2/team/app/tags/list?last=t{n}>; rel="next"'})

    scripted_registry.script(TAGS_PATH, endless)
    with pytest.raises(RegistryError, match="did not end after 5 pages") as caught:
        make_client(scripted_registry, empty_docker_config, max_pages=5).list_tags(f"{scripted_registry.host}/team/app")
    assert caught.value.kind == "protocol"


def test_link_to_another_host_is_not_followed(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    link = {"Link": '<http://127.0.0.2:9/v2/team/app/tags/list?last=a>; rel="next"'}
    scripted_registry.script(TAGS_PATH, Reply(200, tags("a"), link))
    with pytest.raises(RegistryError, match="pagination link to another host"):
        make_client(scripted_registry, empty_docker_config).list_tags(f"{scripted_registry.host}/team/app")
    assert len(scripted_registry.log) == 1


def test_429_retry_after_is_honoured(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(TAGS_PATH, Reply(429, {"errors": [{"code": "TOOMANYREQUESTS"}]}, {"Retry-After": "1"}),
                    Reply(200, tags("1.0")))
    assert make_client(scripted_registry, empty_docker_config).list_tags(f"{scripted_registry.host}/team/app") == ["1.0"]
    first, second = scripted_registry.requests_to(TAGS_PATH)
    assert second["time"] - first["time"] >= 0.95


def test_retry_after_is_capped(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(TAGS_PATH, Reply(429, b"", {"Retry-After": "3600"}),
                    Reply(503, b"", {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}),
                    Reply(200, tags("1.0")))
    started = time.monotonic()
    client = make_client(scripted_registry, empty_docker_config, max_retry_after=0.2)
    assert client.list_tags(f"{scripted_registry.host}/team/app") == ["1.0"]
    assert 0.35 <= time.monotonic() - started < 3


def test_rate_limit_that_never_ends(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(TAGS_PATH, Reply(429, {"errors": [{"code": "TOOMANYREQUESTS",
                                                       "message": "pull rate limit"}]}, {"Retry-After": "0"}))
    with pytest.raises(RegistryError) as caught:
        make_client(scripted_registry, empty_docker_config, retries=2).list_tags(f"{scripted_registry.host}/team/app")
    assert caught.value.kind == "rate-limited"
    assert "rate limited by" in str(caught.value) and "TOOMANYREQUESTS pull rate limit" in str(caught.value)
    assert len(scripted_registry.requests_to(TAGS_PATH)) == 3


def test_500s_then_a_clear_error(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(TAGS_PATH, Reply(500, {"errors": [{"code": "UNKNOWN", "message": "storage down"}]}))
    with pytest.raises(RegistryError) as caught:
        make_client(scripted_registry, empty_docker_config).list_tags(f"{scripted_registry.host}/team/app")
    assert str(caught.value) == (f"registry {scripted_registry.host} failed with HTTP 500 fetching the tag list of "
                                 f"{scripted_registry.host}/team/app, 3 retries used: UNKNOWN storage down")
    assert caught.value.kind == "server"
    assert len(scripted_registry.requests_to(TAGS_PATH)) == 4


def test_transient_502_recovers(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(TAGS_PATH, Reply(502, b"<html>bad gateway</html>"), Reply(200, tags("2.0")))
    assert make_client(scripted_registry, empty_docker_config).list_tags(f"{scripted_registry.host}/team/app") == ["2.0"]


def test_timeout_is_unreachable(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(TAGS_PATH, Reply(200, tags("1"), delay=2))
    started = time.monotonic()
    with pytest.raises(RegistryError) as caught:
        make_client(scripted_registry, empty_docker_config, timeout=0.3).list_tags(f"{scripted_registry.host}/team/app")
    assert time.monotonic() - started < 1.5
    assert caught.value.kind == "unreachable"
    assert str(caught.value) == (f"registry {scripted_registry.host} is unreachable: no answer within 0.3s for the "
                                 f"tag list of {scripted_registry.host}/team/app")


def test_registry_down_is_unreachable(empty_docker_config: Path) -> None:
    host = f"127.0.0.1:{free_port()}"  # nothing listens there
    client = RegistryClient(insecure=[host], docker_config=empty_docker_config, backoff=0.01, timeout=2)
    with pytest.raises(RegistryError) as caught:
        client.list_tags(f"{host}/team/app")
    assert caught.value.kind == "unreachable"
    assert f"registry {host} is unreachable (cannot connect to http://{host})" in str(caught.value)


def test_https_by_default(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    client = RegistryClient(docker_config=empty_docker_config, timeout=2, backoff=0.01)  # not insecure
    with pytest.raises(RegistryError) as caught:
        client.list_tags(f"{scripted_registry.host}/team/app")
    assert caught.value.kind == "insecure"
    assert "list it as an insecure registry" in str(caught.value)
    assert scripted_registry.log == []  # nothing was sent in plain HTTP


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"tags": "1.0"}', b'{"tags": [1, 2]}', b"[]"])
def test_garbage_tag_list(scripted_registry: ScriptedServer, empty_docker_config: Path, body: bytes) -> None:
    scripted_registry.script(TAGS_PATH, Reply(200, body))
    with pytest.raises(RegistryError, match="returned an invalid tag list for team/app") as caught:
        make_client(scripted_registry, empty_docker_config).list_tags(f"{scripted_registry.host}/team/app")
    assert caught.value.kind == "protocol"


def test_digest_from_head_header(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(MANIFEST_PATH, Reply(200, b"{}", {"Docker-Content-Digest": DIGEST}))
    assert make_client(scripted_registry, empty_docker_config).resolve_digest(f"{scripted_registry.host}/team/app:1.0") == DIGEST
    (head,) = scripted_registry.requests_to(MANIFEST_PATH)
    assert head["method"] == "HEAD"
    assert [t.strip() for t in head["headers"]["Accept"].split(",")] == list(MANIFEST_MEDIA_TYPES)


def test_digest_is_sha256_of_body_as_served(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    body = b'{\n  "schemaVersion": 2,\n   "mediaType": "application/vnd.oci.image.index.v1+json" }\n'
    scripted_registry.script(MANIFEST_PATH, Reply(200, body, {"Docker-Content-Digest": "bogus"}), Reply(200, body))
    digest = make_client(scripted_registry, empty_docker_config).resolve_digest(f"{scripted_registry.host}/team/app:1.0")
    assert digest == "sha256:" + hashlib.sha256(body).hexdigest()
    assert [e["method"] for e in scripted_registry.requests_to(MANIFEST_PATH)] == ["HEAD", "GET"]


def test_head_not_allowed_falls_back_to_get(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(MANIFEST_PATH, Reply(405), Reply(200, b"{}", {"Docker-Content-Digest": DIGEST}))
    assert make_client(scripted_registry, empty_docker_config).resolve_digest(f"{scripted_registry.host}/team/app:1.0") == DIGEST


def test_unknown_name_on_manifest(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    with pytest.raises(RegistryError, match=f"repository team/app not found on {scripted_registry.host}"):
        make_client(scripted_registry, empty_docker_config).resolve_digest(f"{scripted_registry.host}/team/app:1.0")


def test_bearer_challenge_and_token_reuse(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    challenge = (f'Bearer realm="{scripted_registry.url}/token",service="reg.test",'
                 'scope="repository:team/app:pull"')

    def registry_api(method: str, path: str, query: dict, headers: dict) -> Reply:
        if headers.get("Authorization") != "Bearer tok-123":
            return Reply(401, {"errors": [{"code": "UNAUTHORIZED"}]}, {"WWW-Authenticate": challenge})
        if path == TAGS_PATH:
            return Reply(200, tags("1.0"))
        return Reply(200, b"{}", {"Docker-Content-Digest": DIGEST})

    scripted_registry.script(TAGS_PATH, registry_api)
    scripted_registry.script(MANIFEST_PATH, registry_api)
    scripted_registry.script("/token", Reply(200, {"token": "tok-123", "expires_in": 300}))
    client = make_client(scripted_registry, empty_docker_config)
    assert client.list_tags(f"{scripted_registry.host}/team/app") == ["1.0"]
    assert client.resolve_digest(f"{scripted_registry.host}/team/app:1.0") == DIGEST
    (token_call,) = scripted_registry.requests_to("/token")
    assert token_call["query"] == {"service": "reg.test", "scope": "repository:team/app:pull"}
    assert "Authorization" not in token_call["headers"]


def test_token_endpoint_without_token(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    challenge = f'Bearer realm="{scripted_registry.url}/token",service="reg.test"'
    scripted_registry.script(TAGS_PATH, Reply(401, b"", {"WWW-Authenticate": challenge}))
    scripted_registry.script("/token", Reply(200, {"nothing": "here"}))
    with pytest.raises(RegistryError, match="returned no token"):
        make_client(scripted_registry, empty_docker_config).list_tags(f"{scripted_registry.host}/team/app")


def test_403_with_credentials(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(TAGS_PATH, Reply(403, {"errors": [{"code": "DENIED"}]}))
    client = make_client(scripted_registry, empty_docker_config, credentials={scripted_registry.host: Credentials("u", "p4ss")})
    with pytest.raises(RegistryError, match="do not grant pull access to team/app"):
        client.list_tags(f"{scripted_registry.host}/team/app")


def test_secrets_echoed_by_a_server_are_scrubbed(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    password = "hunter2-Very-Secret"

    def echo(method: str, path: str, query: dict, headers: dict) -> Reply:
        if "Authorization" not in headers:
            return Reply(401, b"", {"WWW-Authenticate": 'Basic realm="test"'})
        message = f"bad header {headers['Authorization']} for password {password}"
        return Reply(500, {"errors": [{"code": "UNKNOWN", "message": message}]})

    scripted_registry.script(TAGS_PATH, echo)
    client = make_client(scripted_registry, empty_docker_config, credentials={scripted_registry.host: Credentials("bot", password)},
                         retries=0)
    with pytest.raises(RegistryError) as caught:
        client.list_tags(f"{scripted_registry.host}/team/app")
    text = str(caught.value)
    basic = base64.b64encode(f"bot:{password}".encode()).decode()
    assert password not in text and basic not in text
    assert "bad header Basic *** for password ***" in text
    assert scripted_registry.log[-1]["headers"]["Authorization"] == f"Basic {basic}"


def test_list_tags_many_is_concurrent_and_lists_each_repository_once(
        scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    in_flight, peak, lock = [0], [0], threading.Lock()

    def slow(method: str, path: str, query: dict, headers: dict) -> Reply:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.3)
        with lock:
            in_flight[0] -= 1
        name = path.split("/")[3]
        return Reply(200, {"name": f"team/{name}", "tags": [f"{name}-1"]})

    repos = ["a", "b", "c", "d", "e", "f"]
    for name in repos:
        scripted_registry.script(f"/v2/team/{name}/tags/list", slow)
    client = make_client(scripted_registry, empty_docker_config)
    refs = [f"{scripted_registry.host}/team/{name}:{tag}" for name in repos for tag in ("1", "2")]
    started = time.monotonic()
    results = client.list_tags_many(refs, max_workers=3)
    elapsed = time.monotonic() - started
    assert results == {f"{scripted_registry.host}/team/{name}": [f"{name}-1"] for name in repos}
    assert peak[0] == 3  # bounded by max_workers, and really concurrent
    assert elapsed < 6 * 0.3
    assert len(scripted_registry.log) == len(repos)
    # cached for the run: no new requests, same answers (errors too)
    assert client.list_tags(f"{scripted_registry.host}/team/a:9") == ["a-1"]
    assert client.list_tags_many(refs[:4]) == {k: results[k] for k in list(results)[:2]}
    assert len(scripted_registry.log) == len(repos)


def test_cached_errors_are_reported_for_every_lookup(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    client = make_client(scripted_registry, empty_docker_config)
    first = client.list_tags_many([f"{scripted_registry.host}/gone/app"])[f"{scripted_registry.host}/gone/app"]
    assert isinstance(first, RegistryError) and first.kind == "not-found"
    with pytest.raises(RegistryError, match="repository gone/app not found"):
        client.list_tags(f"{scripted_registry.host}/gone/app:1")
    assert len(scripted_registry.log) == 1


def test_redirect_loop_is_a_protocol_error(scripted_registry: ScriptedServer, empty_docker_config: Path) -> None:
    scripted_registry.script(TAGS_PATH, Reply(302, b"", {"Location": TAGS_PATH}))
    with pytest.raises(RegistryError, match=r"sent a broken answer .*\(TooManyRedirects\)") as caught:
        make_client(scripted_registry, empty_docker_config).list_tags(f"{scripted_registry.host}/team/app")
    assert caught.value.kind == "protocol"


def test_manifest_server_errors_are_not_repeated_with_get(scripted_registry: ScriptedServer,
                                                          empty_docker_config: Path) -> None:
    scripted_registry.script(MANIFEST_PATH, Reply(503))
    with pytest.raises(RegistryError, match="failed with HTTP 503 fetching the manifest"):
        make_client(scripted_registry, empty_docker_config, retries=1).resolve_digest(f"{scripted_registry.host}/team/app:1.0")
    assert [e["method"] for e in scripted_registry.requests_to(MANIFEST_PATH)] == ["HEAD", "HEAD"]


def test_credentials_do_not_follow_a_redirect_to_another_origin(scripted_registry: ScriptedServer,
                                                                empty_docker_config: Path) -> None:
    """A registry may redirect to storage elsewhere (S3, a CDN): the answer is followed, the
    Authorization (Basic here, a token alike) stays with the registry's own origin."""
    storage = ScriptedServer()
    try:
        storage.script(TAGS_PATH, Reply(200, tags("3.0")))

        def registry_api(method: str, path: str, query: dict, headers: dict) -> Reply:
            if "Authorization" not in headers:
                return Reply(401, b"", {"WWW-Authenticate": 'Basic realm="test"'})
            return Reply(307, b"", {"Location": f"http://localhost:{storage.host.rsplit(':', 1)[1]}{TAGS_PATH}"})

        scripted_registry.script(TAGS_PATH, registry_api)
        client = make_client(scripted_registry, empty_docker_config,
                             credentials={scripted_registry.host: Credentials("bot", "s3cret-pw")})
        assert client.list_tags(f"{scripted_registry.host}/team/app") == ["3.0"]
        assert scripted_registry.log[-1]["headers"]["Authorization"].startswith("Basic ")
        (followed,) = storage.requests_to(TAGS_PATH)
        assert "Authorization" not in followed["headers"]
    finally:
        storage.close()
