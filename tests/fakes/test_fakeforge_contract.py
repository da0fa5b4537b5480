"""The contract points the clients rely on, checked against the forge contracts explicitly,
and proof that the validator hooked into the fakes catches violations."""

from __future__ import annotations

import re

import pytest
import requests
from jsonschema import Draft202012Validator

from tests.support.fakeforge.contract import GiteaContract, GitHubContract, GitLabContract, load, to_jsonschema
from tests.support.fakeforge.rig import make_client

HEAD, BASE = "kubepush/bump", "main"


def _valid(schema, instance, nullable_opt=False) -> bool:
    return Draft202012Validator(to_jsonschema(schema, nullable_opt)).is_valid(instance)


# -- the validator itself -------------------------------------------------------------------
def test_validator_flags_a_misspelt_enum_and_unknown_parameter(fake_github):
    requests.get(f"{fake_github.url}/repos/octo/app/pulls", params={"state": "opened",
                 "head_branch": "x"}, headers={"Authorization": f"Bearer {fake_github.token}"},
                 timeout=5)
    text = "\n".join(fake_github.violations)
    assert "'opened' is not one of ['open', 'closed', 'all']" in text
    assert "undeclared query parameter 'head_branch'" in text
    fake_github.violations.clear()


def test_validator_flags_a_missing_required_body_field(fake_gitlab):
    requests.post(f"{fake_gitlab.url}/projects/octo%2Fapp/merge_requests",
                  json={"source_branch": "a", "target_branch": "main"},
                  headers={"PRIVATE-TOKEN": fake_gitlab.token}, timeout=5)
    assert any("'title' is a required property" in v for v in fake_gitlab.violations)
    fake_gitlab.violations.clear()


def test_validator_flags_an_update_with_nothing_to_update(fake_gitlab):
    fake_gitlab.branches.add(HEAD)
    make_client("gitlab", fake_gitlab).create(HEAD, BASE, "t", "b")
    requests.put(f"{fake_gitlab.url}/projects/octo%2Fapp/merge_requests/1", json={},
                 headers={"PRIVATE-TOKEN": fake_gitlab.token}, timeout=5)
    assert any("needs at least one of" in v for v in fake_gitlab.violations)
    fake_gitlab.violations.clear()


def test_validator_flags_an_undocumented_status_and_a_wrong_body(fake_gitea, fake_github):
    fake_gitea.fail("repoListPullRequests", 409)
    requests.get(f"{fake_gitea.url}/repos/octo/app/pulls",
                 headers={"Authorization": f"token {fake_gitea.token}"}, timeout=5)
    assert any("status 409 is not documented" in v for v in fake_gitea.violations)
    fake_gitea.violations.clear()
    fake_github.fail("pulls/list", 200, body=[{"number": "one"}])
    requests.get(f"{fake_github.url}/repos/octo/app/pulls",
                 headers={"Authorization": f"Bearer {fake_github.token}"}, timeout=5)
    assert any("'one' is not of type 'integer'" in v for v in fake_github.violations)
    fake_github.violations.clear()


def test_validator_flags_a_route_that_is_not_in_the_contract(fake_gitea):
    requests.get(f"{fake_gitea.url}/repos/octo/app/pulls/1/files",
                 headers={"Authorization": f"token {fake_gitea.token}"}, timeout=5)
    assert any("no such route in the contract" in v for v in fake_gitea.violations)
    fake_gitea.violations.clear()


# -- contract points the clients rely on --------------------------------------------------------
def test_auth_header_forms_are_the_documented_ones(fake_github, fake_gitlab, fake_gitea):
    for kind, fake in (("github", fake_github), ("gitlab", fake_gitlab), ("gitea", fake_gitea)):
        make_client(kind, fake).find_open(HEAD, BASE)
    gh = fake_github.calls()[0].headers["Authorization"]
    assert re.fullmatch(r"Bearer \S+", gh)
    documented = load("gitlab")["common"]["auth_headers"]
    sent = f"PRIVATE-TOKEN: {fake_gitlab.calls()[0].headers['PRIVATE-TOKEN']}"
    assert any(sent.startswith(form.split("<")[0]) for form in documented)
    gitea_auth = load("gitea")["security"]["schemes"]["AuthorizationHeaderToken"]
    assert gitea_auth["name"] == "Authorization" and '"token"' in gitea_auth["description"]
    assert fake_gitea.calls()[0].headers["Authorization"] == f"token {fake_gitea.token}"


def test_github_duplicate_pr_is_a_422_validation_error_with_custom_code(fake_github):
    fake_github.branches.add(HEAD)
    client = make_client("github", fake_github)
    client.create(HEAD, BASE, "t", "b")
    resp = requests.post(f"{fake_github.url}/repos/octo/app/pulls",
                         json={"title": "t", "head": HEAD, "base": BASE},
                         headers={"Authorization": f"Bearer {fake_github.token}"}, timeout=5)
    op = GitHubContract().operation("pulls/create")
    assert resp.status_code == 422 and "422" in op.spec["responses"]
    assert _valid(op.spec["responses"]["422"]["schema"], resp.json())
    assert resp.json()["errors"][0]["code"] == "custom"
    assert "A pull request already exists" in resp.json()["errors"][0]["message"]


@pytest.mark.parametrize("kind", ["github", "gitlab", "gitea"])
def test_404_bodies_match_the_documented_error_shape(kind, request):
    fake = request.getfixturevalue(f"fake_{kind}")
    path = {"github": "/repos/octo/missing/pulls", "gitlab": "/projects/octo%2Fmissing/merge_requests",
            "gitea": "/repos/octo/missing/pulls"}[kind]
    headers = {"github": {"Authorization": f"Bearer {fake.token}"},
               "gitlab": {"PRIVATE-TOKEN": fake.token},
               "gitea": {"Authorization": f"token {fake.token}"}}[kind]
    resp = requests.get(fake.url + path, headers=headers, timeout=5)
    assert resp.status_code == 404
    schema = {"github": lambda: load("github")["common"]["error_schemas"]["basic-error"],
              "gitlab": lambda: load("gitlab")["common"]["error_body"],
              "gitea": lambda: load("gitea")["common"]["not_found_body"]}[kind]()
    assert _valid(schema, resp.json())
    assert resp.json()["message"]


def test_pagination_headers_are_the_documented_ones(fake_github, fake_gitlab, fake_gitea):
    for kind, fake in (("github", fake_github), ("gitlab", fake_gitlab), ("gitea", fake_gitea)):
        fake.branches.update({"a", "b", "c"})
        client = make_client(kind, fake)
        for h in ("a", "b", "c"):
            client.create(h, BASE, h, "x")
    gh = requests.get(f"{fake_github.url}/repos/octo/app/pulls",
                      headers={"Authorization": f"Bearer {fake_github.token}"}, timeout=5)
    assert "Link" in GitHubContract().operation("pulls/list").spec["responses"]["200"]["headers"]
    assert set(gh.links) == {"next", "last"}
    gl = requests.get(f"{fake_gitlab.url}/projects/octo%2Fapp/merge_requests",
                      headers={"PRIVATE-TOKEN": fake_gitlab.token}, timeout=5)
    assert set(load("gitlab")["common"]["pagination_headers"]) <= set(gl.headers)
    assert gl.headers["X-Next-Page"] == "2" and gl.headers["X-Total"] == "3"
    gt = requests.get(f"{fake_gitea.url}/repos/octo/app/pulls",
                      headers={"Authorization": f"token {fake_gitea.token}"}, timeout=5)
    assert set(load("gitea")["common"]["pagination_headers"]) <= set(gt.headers)
    assert gt.headers["X-Total-Count"] == "3" and "next" in gt.links


def test_rate_limit_headers_are_the_documented_ones(fake_github, fake_gitlab):
    resp = requests.get(f"{fake_github.url}/repos/octo/app/pulls",
                        headers={"Authorization": f"Bearer {fake_github.token}"}, timeout=5)
    documented = {h for h in load("github")["rate_limits_from_docs"]["headers"] if h != "retry-after"}
    assert documented <= {h.lower() for h in resp.headers}
    fake_gitlab.fail("getApiV4ProjectsIdMergeRequests", 429, headers={"Retry-After": "7"})
    resp = requests.get(f"{fake_gitlab.url}/projects/octo%2Fapp/merge_requests",
                        headers={"PRIVATE-TOKEN": fake_gitlab.token}, timeout=5)
    assert resp.status_code == load("gitlab")["common"]["rate_limit_status"]
    assert set(load("gitlab")["common"]["rate_limit_headers"]) - {"RateLimit-ResetTime"} <= set(resp.headers)


def test_auto_merge_requests_use_documented_fields(fake_github, fake_gitlab, fake_gitea):
    import json

    for kind, fake in (("github", fake_github), ("gitlab", fake_gitlab), ("gitea", fake_gitea)):
        fake.branches.add(HEAD)
        client = make_client(kind, fake)
        client.enable_auto_merge(client.create(HEAD, BASE, "t", "b").number)
    gql = load("github")["graphql"]["mutations"]["enablePullRequestAutoMerge"]
    assert gql["input_fields"]["pullRequestId"]["required"]
    merge_body = GitLabContract().operation(
        "putApiV4ProjectsIdMergeRequestsMergeRequestIidMerge").spec["requestBody"]["schema"]
    assert {"auto_merge", "merge_when_pipeline_succeeds"} <= set(merge_body["properties"])
    gitea_body = GiteaContract().operation("repoMergePullRequest").spec["requestBody"]["schema"]
    assert gitea_body["required"] == ["do"] and "merge_when_checks_succeed" in gitea_body["properties"]
    # the requests were validated against these schemas by the fakes (no violations at teardown)
    assert fake_gitea.calls("repoMergePullRequest")[0].status == 201
    assert json.dumps(fake_gitlab.mrs[1]["auto_merge"]) == "true"


def test_only_known_uncontracted_operations_are_used(fake_github, fake_gitlab, fake_gitea):
    """Everything outside the contracts is listed here with where it is documented."""
    for kind, fake in (("github", fake_github), ("gitlab", fake_gitlab), ("gitea", fake_gitea)):
        fake.branches.add(HEAD)
        client = make_client(kind, fake)
        pr = client.create(HEAD, BASE, "t", "b", labels=["x"], reviewers=["alice"],
                           assignees=["bob"])
        client.upsert_comment(pr.number, "plan", "v1")
        client.upsert_comment(pr.number, "plan", "v2")
        client.enable_auto_merge(pr.number)
        docs = {e.op_id: e.doc for e in fake.extra}
        assert fake.uncontracted_used <= set(docs)
        assert all(docs[o] for o in fake.uncontracted_used)
    assert fake_github.uncontracted_used == {"issues/add-assignees", "users/get-authenticated",
                                             "graphql"}
    assert fake_gitlab.uncontracted_used == {"list notes", "create note", "update note",
                                             "get current user", "find user"}
    assert fake_gitea.uncontracted_used == {"userGetCurrent"}


@pytest.mark.parametrize("contract_cls", [GitHubContract, GitLabContract, GiteaContract])
def test_every_fake_route_is_a_contract_operation_or_a_documented_extra(contract_cls, request):
    kind = {GitHubContract: "github", GitLabContract: "gitlab", GiteaContract: "gitea"}[contract_cls]
    fake = request.getfixturevalue(f"fake_{kind}")
    extras = {e.op_id for e in fake.extra}
    ops = set(fake.contract.data["operations"])
    assert set(fake.handlers) <= ops | extras
    assert not extras & ops
