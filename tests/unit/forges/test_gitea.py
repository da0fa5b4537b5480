"""forges/gitea.py: the token header, label ids, auto-merge scheduling and the answers Gitea gives."""

from __future__ import annotations

import pytest

from kubepush.forges.errors import ForgeError
from tests.support.fakeforge.rig import Sleeps, make_client

HEAD, BASE = "kubepush/bump", "main"


def test_gitea_token_header(fake_gitea):
    client = make_client("gitea", fake_gitea)
    client.find_open(HEAD, BASE)
    assert fake_gitea.calls()[0].headers["Authorization"] == f"token {fake_gitea.token}"


def test_gitea_labels_mapped_to_ids_across_pages_and_created_when_missing(fake_gitea):
    fake_gitea.branches.add(HEAD)
    fake_gitea.labels.update({"a": 10, "b": 11, "kubepush": 12})  # six labels: three pages
    client = make_client("gitea", fake_gitea)
    pr = client.create(HEAD, BASE, "t", "b", labels=["kubepush", "brand-new"])
    assert fake_gitea.pulls[pr.number]["labels"] == ["kubepush", "brand-new"]
    assert len(fake_gitea.calls("issueListLabels")) == 3
    assert len(fake_gitea.calls("issueCreateLabel")) == 1
    body = [c for c in fake_gitea.calls("issueAddLabel")]
    assert len(body) == 1


def test_gitea_auto_merge_scheduled_201_then_409_is_fine(fake_gitea):
    fake_gitea.branches.add(HEAD)
    client = make_client("gitea", fake_gitea)
    pr = client.create(HEAD, BASE, "t", "b")
    client.enable_auto_merge(pr.number)
    client.enable_auto_merge(pr.number)  # 409 "already scheduled": what we wanted
    assert [c.status for c in fake_gitea.calls("repoMergePullRequest")] == [201, 409]
    assert fake_gitea.pulls[pr.number]["auto_merge"] == "merge"


def test_gitea_edit_answers_201_and_is_accepted(fake_gitea):
    fake_gitea.branches.add(HEAD)
    client = make_client("gitea", fake_gitea)
    pr = client.create(HEAD, BASE, "t", "b")
    assert client.update(pr.number, body="new").body == "new"
    assert fake_gitea.calls("repoEditPullRequest")[0].status == 201


def test_gitea_unknown_token_body(fake_gitea):
    client = make_client("gitea", fake_gitea, token="nope")
    with pytest.raises(ForgeError) as info:
        client.find_open(HEAD, BASE)
    assert "user does not exist" in info.value.forge_message
    assert "check GITEA_TOKEN" in str(info.value)


def test_gitea_human_comment_with_marker_is_not_edited(fake_gitea):
    fake_gitea.branches.add(HEAD)
    client = make_client("gitea", fake_gitea, sleep=Sleeps())
    pr = client.create(HEAD, BASE, "t", "b")
    fake_gitea.add_human_comment(pr.number, "<!-- kubepush:plan -->\ncopied", "alice")
    client.upsert_comment(pr.number, "plan", "mine")
    bodies = {c["user"]: c["body"] for c in fake_gitea.issue_comments.values()}
    assert bodies == {"alice": "<!-- kubepush:plan -->\ncopied",
                      "kubepush-bot": "<!-- kubepush:plan -->\nmine"}
