"""Behaviour every forge client must have, run against each contract-checked fake forge."""

from __future__ import annotations

import logging
import time

import pytest

from kubepush.forges import errors as E
from kubepush.forges.base import PullRequest
from kubepush.forges.errors import ForgeError

HEAD, BASE = "kubepush/bump-nginx", "main"


def test_find_or_create_is_idempotent(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    assert r.client.find_open(HEAD, BASE) is None
    first, created = r.client.ensure(HEAD, BASE, "Bump nginx to 1.27", "body v1",
                                     labels=["dependencies"])
    assert created and isinstance(first, PullRequest)
    again, created = r.client.ensure(HEAD, BASE, "Bump nginx to 1.27.1", "body v2",
                                     labels=["dependencies"])
    assert not created and again.number == first.number
    prs = r.open_prs()
    assert len(prs) == 1
    assert (prs[0]["title"], prs[0]["body"]) == ("Bump nginx to 1.27.1", "body v2")
    assert prs[0]["labels"] == ["dependencies"]


def test_ensure_unchanged_sends_no_update(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    r.client.ensure(HEAD, BASE, "t", "b")
    r.client.ensure(HEAD, BASE, "t", "b")
    assert r.fake.calls(r.op("update")) == []
    assert len(r.fake.calls(r.op("create"))) == 1


def test_ensure_recovers_when_another_run_created_it_first(forge_rig):
    """Lost race: our lookup saw nothing, the create answers 'already exists' -> update that PR."""
    r = forge_rig
    r.branch(HEAD)
    other = r.client.create(HEAD, BASE, "from the other job", "x")
    real_find = r.client.find_open
    answers = iter([None])
    r.client.find_open = lambda h, b: next(answers, None) or real_find(h, b)  # type: ignore[method-assign]
    pr, created = r.client.ensure(HEAD, BASE, "ours", "y")
    assert not created and pr.number == other.number
    assert [p["title"] for p in r.open_prs()] == ["ours"]


def test_update_refreshes_title_and_body(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    pr = r.client.create(HEAD, BASE, "old", "old body")
    new = r.client.update(pr.number, title="new", body="new body")
    assert (new.title, new.body) == ("new", "new body")
    assert r.client.get(pr.number).title == "new"
    only_body = r.client.update(pr.number, body="third")
    assert (only_body.title, only_body.body) == ("new", "third")


def test_close(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    pr = r.client.create(HEAD, BASE, "t", "b")
    closed = r.client.close(pr.number)
    assert closed.state == "closed"
    assert r.open_prs() == []
    assert r.client.find_open(HEAD, BASE) is None


def test_labels_reviewers_assignees_on_create_and_later(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    pr = r.client.create(HEAD, BASE, "t", "b", labels=["dependencies", "kubepush"],
                         reviewers=["alice"], assignees=["bob"])
    r.client.add_labels(pr.number, ["security", "dependencies"])
    r.client.request_reviewers(pr.number, ["carol"])
    r.client.add_assignees(pr.number, ["carol"])
    state = r.open_prs()[0]
    assert state["labels"] == ["dependencies", "kubepush", "security"]
    assert state["reviewers"] == ["alice", "carol"]
    assert state["assignees"] == ["bob", "carol"]


def test_draft(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    pr = r.client.create(HEAD, BASE, "Bump", "b", draft=True)
    assert pr.draft and pr.title == "Bump"
    found = r.client.find_open(HEAD, BASE)
    assert found is not None and found.draft and found.title == "Bump"
    updated = r.client.update(pr.number, title="Bump again")
    assert updated.draft and updated.title == "Bump again", "an update must keep a draft a draft"
    raw = r.open_prs()[0]["title"]
    if r.kind == "github":
        assert raw == "Bump again" and r.fake.pulls[pr.number]["draft"] is True
    else:
        assert raw == {"gitlab": "Draft: Bump again", "gitea": "WIP: Bump again"}[r.kind]


def test_auto_merge_request_shape(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    pr = r.client.create(HEAD, BASE, "t", "b")
    r.client.enable_auto_merge(pr.number, method="squash")
    r.client.enable_auto_merge(pr.number, method="squash")  # second call: no error
    assert r.open_prs()[0]["auto_merge"] in ("squash", True)
    if r.kind == "github":
        body = r.fake.calls("graphql")
        assert len(body) == 1, "already enabled: the second call must not mutate again"
    elif r.kind == "gitlab":
        assert r.fake.mrs[pr.number]["squash"] is True
    else:
        assert r.fake.pulls[pr.number]["auto_merge"] == "squash"


def test_sticky_comment_created_once_then_edited(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    pr = r.client.create(HEAD, BASE, "t", "b")
    r.human_comment(pr.number, "LGTM")
    r.human_comment(pr.number, "quoting: <!-- kubepush:plan --> old plan")
    first = r.client.upsert_comment(pr.number, "plan", "plan v1")
    second = r.client.upsert_comment(pr.number, "plan", "plan v2")
    other = r.client.upsert_comment(pr.number, "drift", "drift v1")
    assert second.id == first.id != other.id
    mine = [b for a, b in r.comments(pr.number) if a == r.fake.bot]
    assert mine == ["<!-- kubepush:plan -->\nplan v2", "<!-- kubepush:drift -->\ndrift v1"]
    assert ("alice", "quoting: <!-- kubepush:plan --> old plan") in r.comments(pr.number), \
        "a human's comment containing the marker must not be edited"
    edits = len(r.fake.calls(r.op("edit_comment")))
    r.client.upsert_comment(pr.number, "plan", "plan v2")
    assert len(r.fake.calls(r.op("edit_comment"))) == edits, "unchanged body: no edit"


def test_sticky_comment_found_across_pages(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    pr = r.client.create(HEAD, BASE, "t", "b")
    for i in range(5):
        r.human_comment(pr.number, f"chatter {i}")
    r.client.upsert_comment(pr.number, "plan", "v1")  # scans 3 pages, then creates no. 6
    r.client.upsert_comment(pr.number, "plan", "v2")  # finds it on page 3
    assert [b for a, b in r.comments(pr.number) if a == r.fake.bot] == ["<!-- kubepush:plan -->\nv2"]
    if r.kind != "gitea":  # Gitea 1.26 does not paginate issue comments
        assert len(r.fake.calls(r.op("comments"))) >= 2 * 3


def test_long_comment_is_truncated_to_the_forge_limit(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    pr = r.client.create(HEAD, BASE, "t", "b")
    limit = r.client.max_body_chars
    huge = "```\n" + ("line of a long diff\n" * (limit // 10))
    r.client.upsert_comment(pr.number, "plan", huge)
    (author, body), = r.comments(pr.number)
    assert len(body) <= limit and "Truncated by kubepush" in body
    assert body.startswith("<!-- kubepush:plan -->")
    assert body.count("```") % 2 == 0, "the open code fence must be closed"


def test_find_open_follows_pagination(forge_rig):
    r = forge_rig
    heads = [f"kubepush/bump-{i}" for i in range(6)]
    r.branch(*heads)
    for h in heads:
        r.client.create(h, BASE, h, "b")
    # newest first, two per page: the first PR is on the last page
    found = r.client.find_open(heads[0], BASE)
    assert found is not None and found.head_branch == heads[0]
    # GitHub and GitLab filter by head server-side (one page); Gitea's list has no head
    # filter, so the client walks every page of open PRs into the base branch
    assert len(r.fake.calls(r.op("list"))) == (3 if r.kind == "gitea" else 1)
    assert r.client.find_open("kubepush/none", BASE) is None


def test_429_waits_for_retry_after(forge_rig):
    r = forge_rig
    r.fake.fail(r.op("list"), 429, headers={"Retry-After": "3"})
    assert r.client.find_open(HEAD, BASE) is None
    assert r.sleeps.waits == [3.0]
    assert [c.status for c in r.fake.calls(r.op("list"))] == [429, 200]


def test_429_really_waits(forge_rig):
    """With the real sleep: the retry comes no earlier than Retry-After (1s) says."""
    from tests.support.fakeforge.rig import make_client

    client = make_client(r_kind := forge_rig.kind, forge_rig.fake, sleep=time.sleep)
    forge_rig.fake.fail(forge_rig.op("list"), 429, headers={"Retry-After": "1"})
    started = time.monotonic()
    assert client.find_open(HEAD, BASE) is None
    assert 0.95 <= time.monotonic() - started < 3, r_kind


def test_5xx_retried_then_succeeds(forge_rig):
    r = forge_rig
    r.fake.fail(r.op("list"), 502, times=2)
    assert r.client.find_open(HEAD, BASE) is None
    assert r.sleeps.waits == [0.05, 0.1]  # exponential backoff


def test_5xx_gives_up_with_clear_error(forge_rig):
    r = forge_rig
    r.fake.fail(r.op("list"), 500, times=10)
    with pytest.raises(ForgeError) as info:
        r.client.find_open(HEAD, BASE)
    err = info.value
    assert err.kind == E.SERVER and err.status == 500
    assert "after 4 attempt(s)" in str(err) and "try again later" in str(err)
    assert len(r.fake.calls(r.op("list"))) == 4


def test_read_timeout_retried_for_get_but_not_for_create(forge_rig):
    from tests.support.fakeforge.rig import make_client

    r = forge_rig
    r.branch(HEAD)
    client = make_client(r.kind, r.fake, timeout=(2.0, 0.5))
    r.fake.fail(r.op("list"), delay=1.5)
    assert client.find_open(HEAD, BASE) is None
    r.fake.fail(r.op("create"), delay=1.5)
    with pytest.raises(ForgeError) as info:
        client.create(HEAD, BASE, "t", "b")
    assert info.value.kind == E.NETWORK and "timed out" in str(info.value)
    deadline = time.monotonic() + 5
    while r.fake.calls(r.op("create"))[0].status is None and time.monotonic() < deadline:
        time.sleep(0.02)  # let the slow answer finish before counting
    assert len(r.fake.calls(r.op("create"))) == 1, "a POST that timed out must not be resent"


def test_401_names_the_token_variable(forge_rig):
    from tests.support.fakeforge.rig import make_client

    r = forge_rig
    client = make_client(r.kind, r.fake, token="wrong-token-123")
    with pytest.raises(ForgeError) as info:
        client.find_open(HEAD, BASE)
    env = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN", "gitea": "GITEA_TOKEN"}[r.kind]
    assert info.value.kind == E.AUTH and info.value.status == 401
    assert "token rejected" in str(info.value) and f"check {env}" in str(info.value)


def test_403_names_the_missing_permission(forge_rig):
    from tests.support.fakeforge.rig import make_client

    r = forge_rig
    r.branch(HEAD)
    client = make_client(r.kind, r.fake, token=r.fake.readonly_token)
    with pytest.raises(ForgeError) as info:
        client.create(HEAD, BASE, "t", "b")
    msg = str(info.value)
    assert info.value.kind == E.PERMISSION and info.value.status == 403
    expected = {"github": "pull_requests=write", "gitlab": "'api' scope",
                "gitea": "write:repository"}[r.kind]
    assert expected in msg and "permission denied" in msg


def test_404_says_repo_missing_or_invisible(forge_rig):
    from tests.support.fakeforge.rig import make_client

    r = forge_rig
    client = make_client(r.kind, r.fake, repo="missing")
    with pytest.raises(ForgeError) as info:
        client.find_open(HEAD, BASE)
    msg = str(info.value)
    assert info.value.kind == E.NOT_FOUND and "missing" in msg
    assert "not found" in msg and "cannot see it" in msg


def test_duplicate_create_reports_the_forge_message(forge_rig):
    r = forge_rig
    r.branch(HEAD)
    r.client.create(HEAD, BASE, "t", "b")
    with pytest.raises(ForgeError) as info:
        r.client.create(HEAD, BASE, "t", "b")
    assert info.value.kind == E.EXISTS
    assert info.value.status == {"github": 422, "gitlab": 409, "gitea": 409}[r.kind]
    assert "already exists" in str(info.value)


def test_token_never_in_errors_logs_or_reprs(forge_rig, caplog):
    from tests.support.fakeforge.rig import make_client

    r = forge_rig
    token = r.fake.token
    caplog.set_level(logging.DEBUG)
    seen: list[str] = [repr(r.client), str(r.client), repr(r.client.http),
                       repr(r.client.http.auth), str(r.client.http.auth)]
    r.branch(HEAD)
    faults = [(401, None), (403, None), (404, None), (422, None), (500, None),
              (422, {"message": f"server echoed {token} back", "documentation_url": "x"})]
    for status, body in faults:
        r.fake.fail(r.op("create"), status, times=4 if status >= 500 else 1, body=body)
        with pytest.raises(ForgeError) as info:
            r.client.create(HEAD, BASE, "t", "b")
        seen += [str(info.value), repr(info.value), info.value.forge_message]
    assert "server echoed *** back" in seen[-3], "an echoed token must be redacted"
    dead = make_client(r.kind, r.fake, token=token)
    dead.http.api_url = "http://127.0.0.1:9"  # nothing listens on the discard port
    dead.http._origin = "http://127.0.0.1:9"
    with pytest.raises(ForgeError) as info:
        dead.find_open(HEAD, BASE)
    seen += [str(info.value), repr(info.value)]
    seen.append(caplog.text)
    for text in seen:
        assert token not in text
