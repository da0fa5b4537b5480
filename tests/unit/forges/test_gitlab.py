"""forges/gitlab.py: the auth header forms, the job token, X-Next-Page, auto-merge and error shapes."""

from __future__ import annotations

import pytest

from kubepush.forges import errors as E
from kubepush.forges.errors import ForgeError
from kubepush.forges.gitlab import GitLab, GitLabDialect
from tests.support.fakeforge.rig import make_client

HEAD, BASE = "kubepush/bump", "main"


def test_gitlab_private_token_header_and_encoded_project_path(fake_gitlab):
    client = make_client("gitlab", fake_gitlab)
    client.find_open(HEAD, BASE)
    call = fake_gitlab.calls()[0]
    assert call.headers["PRIVATE-TOKEN"] == fake_gitlab.token
    assert "Authorization" not in call.headers
    assert call.target.startswith("/api/v4/projects/octo%2Fapp/merge_requests?")


def test_gitlab_numeric_project_id(fake_gitlab):
    fake_gitlab.branches.add(HEAD)
    client = GitLab(42, token=fake_gitlab.token, api_url=fake_gitlab.url)
    pr = client.create(HEAD, BASE, "t", "b")
    assert fake_gitlab.calls()[-1].target == "/api/v4/projects/42/merge_requests"
    assert pr.url.endswith("/-/merge_requests/1")


def test_gitlab_job_token_header_and_identity_fallback(fake_gitlab):
    fake_gitlab.branches.add(HEAD)
    client = GitLab("octo/app", token=fake_gitlab.job_token, api_url=fake_gitlab.url,
                    job_token=True, token_env="CI_JOB_TOKEN")
    pr = client.create(HEAD, BASE, "t", "b")
    client.upsert_comment(pr.number, "plan", "v1")
    client.upsert_comment(pr.number, "plan", "v2")
    assert fake_gitlab.calls()[0].headers["JOB-TOKEN"] == fake_gitlab.job_token
    assert client.bot_login() is None
    assert [n["body"] for n in fake_gitlab.notes.values()] == ["<!-- kubepush:plan -->\nv2"]


def test_gitlab_follows_x_next_page_without_link(fake_gitlab):
    """Some GitLab setups (and keyset-less proxies) send only X-Next-Page."""
    client = make_client("gitlab", fake_gitlab)
    mr = {"iid": 7, "source_branch": HEAD, "target_branch": BASE, "title": "t",
          "description": "", "state": "opened", "web_url": "https://gitlab.example/mr/7",
          "draft": False}
    other = dict(mr, iid=6, source_branch="other")
    fake_gitlab.fail("getApiV4ProjectsIdMergeRequests", 200, body=[other],
                     headers={"X-Next-Page": "2", "X-Page": "1"})
    fake_gitlab.fail("getApiV4ProjectsIdMergeRequests", 200, body=[mr],
                     headers={"X-Next-Page": "", "X-Page": "2"})
    found = client.find_open(HEAD, BASE)
    assert found is not None and found.number == 7
    second = fake_gitlab.calls("getApiV4ProjectsIdMergeRequests")[1].target
    assert "page=2" in second and "source_branch=kubepush%2Fbump" in second


def test_gitlab_system_notes_are_ignored(fake_gitlab):
    fake_gitlab.branches.add(HEAD)
    client = make_client("gitlab", fake_gitlab)
    pr = client.create(HEAD, BASE, "t", "b")
    fake_gitlab.add_note(pr.number, "<!-- kubepush:plan --> added 1 commit", "kubepush-bot",
                         system=True)
    client.upsert_comment(pr.number, "plan", "v1")
    assert len(fake_gitlab.notes) == 2


def test_gitlab_auto_merge_body_and_draft_refusal(fake_gitlab):
    fake_gitlab.branches.update({HEAD, "draft-branch"})
    client = make_client("gitlab", fake_gitlab)
    pr = client.create(HEAD, BASE, "t", "b")
    client.enable_auto_merge(pr.number)
    assert fake_gitlab.mrs[pr.number]["auto_merge"] is True
    draft = client.create("draft-branch", BASE, "t", "b", draft=True)
    with pytest.raises(ForgeError) as info:
        client.enable_auto_merge(draft.number)
    assert info.value.status == 405 and "draft" in str(info.value)
    with pytest.raises(ValueError):
        client.enable_auto_merge(pr.number, method="rebase")


def test_gitlab_unknown_reviewer_is_named(fake_gitlab):
    fake_gitlab.branches.add(HEAD)
    client = make_client("gitlab", fake_gitlab)
    with pytest.raises(ForgeError) as info:
        client.create(HEAD, BASE, "t", "b", reviewers=["mallory"])
    assert info.value.kind == E.NOT_FOUND and "'mallory'" in str(info.value)
    assert fake_gitlab.mrs == {}, "no MR is opened when a reviewer cannot be resolved"


def test_gitlab_error_shapes_are_flattened():
    """GitLab sends message as a string, a field map, or (409) a list; and 'error' for 400s."""
    d = GitLabDialect("GITLAB_TOKEN")
    assert d.error_message({"message": "404 Project Not Found"}) == "404 Project Not Found"
    assert d.error_message({"message": {"title": ["can't be blank"]}}) == "title can't be blank"
    assert d.error_message({"message": ["Another open merge request already exists for this "
                                        "source branch: !1"]}).startswith("Another open")
    assert d.error_message({"error": "title is missing"}) == "title is missing"
    assert d.is_already_exists(409, "Another open merge request already exists for this source")
