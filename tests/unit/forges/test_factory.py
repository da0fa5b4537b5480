"""Choosing the forge client from a repository URL, --forge, --api-url and the environment."""

from __future__ import annotations

import pytest

from kubepush.errors import UsageError
from kubepush.forges.factory import detect_kind, open_forge, parse_repo_url
from kubepush.forges.gitea import Gitea
from kubepush.forges.github import GitHub
from kubepush.forges.gitlab import GitLab


@pytest.mark.parametrize("url, host, path", [
    ("https://github.com/octo/app", "github.com", "octo/app"),
    ("https://github.com/octo/app.git/", "github.com", "octo/app"),
    ("git@github.com:octo/app.git", "github.com", "octo/app"),
    ("ssh://git@gitlab.corp:2222/grp/sub/proj.git", "gitlab.corp", "grp/sub/proj"),
    ("https://user:pw@gitea.corp:3000/octo/app", "gitea.corp:3000", "octo/app"),
])
def test_parse_repo_url(url, host, path):
    ref = parse_repo_url(url)
    assert (ref.host, ref.path) == (host, path)


@pytest.mark.parametrize("url", ["https://github.com/justone", "ftp://x/a/b", "not a url", ""])
def test_parse_repo_url_rejects_what_is_not_a_repo(url):
    with pytest.raises(UsageError):
        parse_repo_url(url)


def test_credentials_in_the_url_never_reach_a_message():
    with pytest.raises(UsageError) as info:
        parse_repo_url("https://bot:hunter2@git.corp/only-owner")
    assert "hunter2" not in str(info.value) and "git.corp" in str(info.value)


@pytest.mark.parametrize("host, kind", [("github.com", "github"), ("gitlab.com", "gitlab"),
                                        ("codeberg.org", "gitea"), ("github.corp.example", "github"),
                                        ("gitlab.internal", "gitlab"), ("forgejo.lan", "gitea"),
                                        ("git.corp", None)])
def test_detect_kind(host, kind):
    assert detect_kind(parse_repo_url(f"https://{host}/o/r")) == kind


def test_github_com_defaults():
    client = open_forge("https://github.com/octo/app", env={"GITHUB_TOKEN": "ghs_x1"})
    assert isinstance(client, GitHub)
    assert client.http.api_url == "https://api.github.com"
    assert (client.owner, client.repo) == ("octo", "app")
    assert client.http.dialect.token_env == "GITHUB_TOKEN"


def test_ghes_gets_api_v3_and_gh_token_fallback():
    client = open_forge("git@github.corp.example:octo/app.git", env={"GH_TOKEN": "t1"})
    assert client.http.api_url == "https://github.corp.example/api/v3"
    assert client.graphql_url == "https://github.corp.example/api/graphql"
    assert client.http.dialect.token_env == "GH_TOKEN"


def test_gitlab_self_managed_with_subgroups_and_job_token():
    client = open_forge("https://gitlab.corp:8443/grp/sub/proj",
                        env={"CI_JOB_TOKEN": "job-t"})
    assert isinstance(client, GitLab)
    assert client.http.api_url == "https://gitlab.corp:8443/api/v4"
    assert client.project == "grp/sub/proj"
    assert client.http.auth.header == "JOB-TOKEN"
    assert client.http.dialect.token_env == "CI_JOB_TOKEN"


def test_gitlab_token_preferred_over_job_token():
    client = open_forge("https://gitlab.com/g/p", env={"CI_JOB_TOKEN": "j", "GITLAB_TOKEN": "p"})
    assert client.http.auth.header == "PRIVATE-TOKEN"


def test_unknown_host_needs_forge_kind():
    with pytest.raises(UsageError) as info:
        open_forge("https://git.corp/octo/app", env={"GITEA_TOKEN": "t"})
    assert "--forge github|gitlab|gitea" in str(info.value)
    client = open_forge("https://git.corp/octo/app", kind="gitea", env={"GITEA_TOKEN": "t"})
    assert isinstance(client, Gitea) and client.http.api_url == "https://git.corp/api/v1"


def test_bad_kind_and_missing_token_are_usage_errors():
    with pytest.raises(UsageError) as info:
        open_forge("https://github.com/o/r", kind="bitbucket", env={})
    assert "bitbucket" in str(info.value)
    with pytest.raises(UsageError) as info:
        open_forge("https://gitlab.com/o/r", env={})
    assert "set GITLAB_TOKEN or CI_JOB_TOKEN" in str(info.value)


def test_explicit_token_and_api_url_override(fake_gitea):
    client = open_forge("https://gitea.example/octo/app", api_url=fake_gitea.url + "/",
                        token=fake_gitea.token, env={"GITEA_TOKEN": "ignored"})
    assert client.find_open("x", "main") is None
    assert fake_gitea.calls()[0].headers["Authorization"] == f"token {fake_gitea.token}"


def test_insecure_only_when_asked():
    assert open_forge("https://github.com/o/r", env={"GITHUB_TOKEN": "t"}).http.session.verify is True
    insecure = open_forge("https://github.com/o/r", env={"GITHUB_TOKEN": "t"}, verify=False)
    assert insecure.http.session.verify is False
