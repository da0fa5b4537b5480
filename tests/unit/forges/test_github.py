"""GitHub specifics: rate limits (primary/secondary), permission headers, GraphQL auto-merge,
GHES URLs, identity fallback for Actions/App tokens."""

from __future__ import annotations

import pytest

from kubepush.forges import errors as E
from kubepush.forges.errors import ForgeError
from kubepush.forges.github import GitHub
from tests.support.fakeforge.rig import Sleeps, make_client

HEAD, BASE = "kubepush/bump", "main"


@pytest.fixture
def gh(fake_github):
    fake_github.branches.add(HEAD)
    sleeps = Sleeps()
    return fake_github, make_client("github", fake_github, sleep=sleeps), sleeps


def test_sends_bearer_token_and_api_version(gh):
    fake, client, _ = gh
    client.find_open(HEAD, BASE)
    headers = fake.calls("pulls/list")[0].headers
    assert headers["Authorization"] == f"Bearer {fake.token}"
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_ghes_base_url_and_graphql_endpoint(fake_github):
    fake_github.branches.add(HEAD)
    client = GitHub("octo", "app", token=fake_github.token, api_url=fake_github.ghes_url)
    assert client.graphql_url == fake_github.origin + "/api/graphql"
    pr = client.create(HEAD, BASE, "t", "b")
    client.enable_auto_merge(pr.number)
    assert [c.target.split("?")[0] for c in fake_github.calls()] == [
        "/api/v3/repos/octo/app/pulls", "/api/v3/repos/octo/app/pulls/1", "/api/graphql"]
    assert GitHub("o", "r", token="t").graphql_url == "https://api.github.com/graphql"


def test_primary_rate_limit_waits_until_reset(gh):
    fake, client, sleeps = gh
    fake.rate_limited(reset_in=2)
    assert client.find_open(HEAD, BASE) is None
    assert len(sleeps.waits) == 1 and 1.0 <= sleeps.waits[0] <= 2.0


def test_secondary_rate_limit_honours_retry_after(gh):
    fake, client, sleeps = gh
    fake.rate_limited(retry_after=3, secondary=True, status=429)
    assert client.find_open(HEAD, BASE) is None
    assert sleeps.waits == [3.0]


def test_secondary_rate_limit_without_retry_after_fails_fast_when_wait_too_long(gh):
    """Docs: wait at least a minute; above max_wait (5s here) we stop and say until when."""
    fake, client, sleeps = gh
    fake.rate_limited(secondary=True, status=403)
    with pytest.raises(ForgeError) as info:
        client.find_open(HEAD, BASE)
    assert info.value.kind == E.RATE_LIMIT and sleeps.waits == []
    assert "secondary rate limit" in str(info.value) and "resets in 60s" in str(info.value)


def test_permission_403_is_not_mistaken_for_rate_limit(gh):
    fake, _, sleeps = gh
    client = make_client("github", fake, token=fake.readonly_token, sleep=sleeps)
    with pytest.raises(ForgeError) as info:
        client.add_comment(1, "x")
    assert info.value.kind == E.PERMISSION and sleeps.waits == []
    assert "issues=write" in str(info.value)
    assert "Resource not accessible by personal access token" in str(info.value)


def test_validation_422_lists_the_errors(gh):
    fake, client, _ = gh
    with pytest.raises(ForgeError) as info:
        client.create("no-such-branch", BASE, "t", "b")
    assert info.value.kind == E.VALIDATION and info.value.status == 422
    assert "Validation Failed: PullRequest head invalid" in str(info.value)


def test_reviewer_errors_come_back_verbatim(gh):
    fake, client, _ = gh
    pr = client.create(HEAD, BASE, "t", "b")
    with pytest.raises(ForgeError) as info:
        client.request_reviewers(pr.number, ["mallory"])
    assert "Reviews may only be requested from collaborators" in str(info.value)


def test_auto_merge_not_allowed_is_a_clear_error(gh):
    fake, client, _ = gh
    pr = client.create(HEAD, BASE, "t", "b")
    fake.auto_merge_allowed = False
    with pytest.raises(ForgeError) as info:
        client.enable_auto_merge(pr.number)
    assert "Auto merge is not allowed for this repository" in str(info.value)
    assert "repository settings" in str(info.value)
    with pytest.raises(ValueError):
        client.enable_auto_merge(pr.number, method="octopus")


def test_graphql_mutation_carries_node_id_and_method(gh):
    fake, client, _ = gh
    pr = client.create(HEAD, BASE, "t", "b")
    client.enable_auto_merge(pr.number, method="rebase")
    assert fake.pulls[pr.number]["auto_merge"] == "rebase"
    assert fake.calls("graphql")[0].headers["Authorization"] == f"Bearer {fake.token}"


def test_sticky_comment_with_app_token_matches_by_marker(gh):
    """Actions/App installation tokens cannot read /user: match the marker alone."""
    fake, client, _ = gh
    fake.whoami_forbidden = True
    pr = client.create(HEAD, BASE, "t", "b")
    first = client.upsert_comment(pr.number, "plan", "v1")
    second = client.upsert_comment(pr.number, "plan", "v2")
    assert first.id == second.id and client.bot_login() is None
    assert len(fake.issue_comments) == 1


def test_explicit_bot_login_skips_identity_lookup(fake_github):
    fake_github.branches.add(HEAD)
    client = make_client("github", fake_github, bot_login="kubepush-bot")
    pr = client.create(HEAD, BASE, "t", "b")
    client.upsert_comment(pr.number, "plan", "v1")
    assert fake_github.calls("users/get-authenticated") == []


def test_body_over_65536_is_truncated_for_pr_description(gh):
    fake, client, _ = gh
    pr = client.create(HEAD, BASE, "t", "x" * 70000)
    assert len(fake.pulls[pr.number]["body"]) <= 65536
    assert "Truncated by kubepush: " in fake.pulls[pr.number]["body"]
