"""The git layer over smart HTTP (real ``git http-backend`` behind Basic auth): tokens work and never leak."""

from __future__ import annotations

import base64
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubepush.gitops import PUSHED, Credentials, GitError, publish, workspace
from kubepush.gitops import errors as E
from tests.support.git_fixtures import TOKEN, USER, GitHTTPServer, Remote, git, make_remote

pytest_plugins = ["tests.support.git_fixtures"]

BRANCH = "kubepush/prod/nginx"
SECRETS = (TOKEN, base64.b64encode(f"{USER}:{TOKEN}".encode()).decode())


def set_tag(tag: str):
    def apply(root: Path) -> list[str]:
        (root / "web.yaml").write_text(f"image: nginx:{tag}\n")
        return ["web.yaml"]
    return apply


def assert_no_secret(text: str | bytes, where: str) -> None:
    data = text.encode() if isinstance(text, str) else text
    for secret in SECRETS:
        assert secret.encode() not in data, f"token found in {where}"


def assert_tree_clean(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            assert_no_secret(path.read_bytes(), str(path))


@pytest.fixture
def remote(git_remote_root: Path) -> Remote:
    return make_remote(git_remote_root, "org/cfg.git", {"web.yaml": "image: nginx:1.0\n"})


@pytest.fixture
def creds() -> Credentials:
    return Credentials(USER, TOKEN)


@pytest.fixture
def traced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every git process traces its argv and curl traffic, with redaction asked off by the user."""
    trace = tmp_path / "trace"
    trace.mkdir()
    monkeypatch.setenv("GIT_TRACE", str(trace / "trace.log"))
    monkeypatch.setenv("GIT_TRACE_CURL", str(trace / "curl.log"))
    monkeypatch.setenv("GIT_TRACE_REDACT", "0")
    yield trace


def test_token_works_and_leaks_nowhere(remote: Remote, git_http: GitHTTPServer, creds: Credentials,
                                       traced: Path, caplog: pytest.LogCaptureFixture,
                                       capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG, logger="kubepush.gitops")
    url = git_http.url(remote)
    with workspace(url=url, branch=BRANCH, credentials=creds) as repo:
        result = publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH, signoff=True)
        config = (repo.path / ".git" / "config").read_text()
        assert "extraheader" not in config.lower() and "127.0.0.1" not in config
        assert_tree_clean(repo.path / ".git")
    assert result.status == PUSHED and remote.sha(BRANCH) == result.sha
    assert_tree_clean(remote.path)
    out, err = capfd.readouterr()
    assert_no_secret(out + err, "stdout/stderr")
    assert any("git push" in r.getMessage() for r in caplog.records)
    assert_no_secret("\n".join(r.getMessage() for r in caplog.records), "log records")
    # argv of every git process (GIT_TRACE) and the curl trace: the header is redacted
    curl_log = (traced / "curl.log").read_text()
    assert "Authorization: Basic <redacted>" in curl_log
    for log_file in traced.iterdir():
        assert_no_secret(log_file.read_bytes(), log_file.name)
    # the server saw the token only in the Authorization header: on the first request, no 401 round trips
    assert git_http.requests and all(r.authorized for r in git_http.requests)
    for r in git_http.requests:
        assert_no_secret(r.target + repr(r.headers), f"request {r.target}")
    assert "Credentials(username='bot')" == repr(creds)


@pytest.mark.parametrize("credentials", [None, Credentials(USER, "wrong-token"), Credentials("other", TOKEN)])
def test_missing_or_wrong_credentials(remote: Remote, git_http: GitHTTPServer, credentials: Credentials | None,
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    with pytest.raises(GitError) as info, workspace(url=git_http.url(remote), credentials=credentials):
        pass
    assert not list(temp.iterdir())  # the half-made clone is gone
    err = info.value
    assert err.kind == E.AUTH and err.status == 128
    assert "authentication failed: check the token" in str(err) and "git ls-remote" in str(err)
    for text in (str(err), repr(err), err.stderr, " ".join(err.command)):
        assert_no_secret(text, "exception")
        assert "wrong-token" not in text


def test_forbidden_push_advises_on_scope(remote: Remote, git_http: GitHTTPServer, creds: Credentials) -> None:
    git("config", "http.receivepack", "false", cwd=remote.path)  # the token may read, not write
    with pytest.raises(GitError) as info, workspace(url=git_http.url(remote), branch=BRANCH,
                                                     credentials=creds) as repo:
        publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    assert info.value.kind == E.PERMISSION and "contents:write" in str(info.value)
    assert remote.sha(BRANCH) is None


def test_credentials_in_the_url_are_moved_out_of_it(remote: Remote, git_http: GitHTTPServer) -> None:
    url = git_http.url(remote).replace("http://", f"http://{USER}:{TOKEN}@")
    with workspace(url=url, branch=BRANCH) as repo:
        assert repo.url == git_http.url(remote)
        publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
        assert_tree_clean(repo.path / ".git")
    assert remote.sha(BRANCH)
    # and a URL password in a message is masked even when it is not the configured token
    with pytest.raises(GitError) as info, workspace(url=url.replace(TOKEN, "other-secret") + "x"):
        pass
    assert "other-secret" not in str(info.value)


def test_ci_checkout_with_a_persisted_header_and_job_token_url(remote: Remote, git_http: GitHTTPServer,
                                                               tmp_path: Path) -> None:
    """actions/checkout persists an extraheader; GitLab puts the job token into origin's URL."""
    checkout = tmp_path / "checkout"
    stale = "AUTHORIZATION: basic " + base64.b64encode(b"x-access-token:expired").decode()
    origin = f"http://127.0.0.1:{git_http.port}/"
    git("-c", f"http.extraHeader=Authorization: Basic {SECRETS[1]}", "clone", "--quiet",
        git_http.url(remote), str(checkout))
    git("config", f"http.{origin}.extraheader", stale, cwd=checkout)
    with workspace(checkout, credentials=Credentials(USER, TOKEN)) as repo:
        assert publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH).status == PUSHED
    # a GitLab-style origin URL with the token embedded: used, and masked in errors
    git("config", "--unset", f"http.{origin}.extraheader", cwd=checkout)
    git("remote", "set-url", "origin", git_http.url(remote).replace("http://", f"http://{USER}:{TOKEN}@"),
        cwd=checkout)
    with workspace(checkout) as repo:
        assert publish(repo, set_tag("1.2"), message="bump\n", branch=BRANCH).status == PUSHED
        git_http.stop()
        with pytest.raises(GitError) as info:
            repo.remote_branch(BRANCH)
    assert info.value.kind == E.NETWORK
    assert_no_secret(str(info.value), "exception")


def test_server_stopped_mid_run(remote: Remote, git_http: GitHTTPServer, creds: Credentials) -> None:
    with pytest.raises(GitError) as info, workspace(url=git_http.url(remote), branch=BRANCH,
                                                     credentials=creds) as repo:
        clone = repo.path
        git_http.stop()
        publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    err = info.value
    assert err.kind == E.NETWORK and "Failed to connect to 127.0.0.1" in str(err) and "nothing was pushed" in str(err)
    assert not clone.exists()
    assert remote.sha(BRANCH) is None


def test_connection_cut_during_push(remote: Remote, git_http: GitHTTPServer, creds: Credentials) -> None:
    git_http.cut_next("git-receive-pack")
    with pytest.raises(GitError) as info, workspace(url=git_http.url(remote), branch=BRANCH,
                                                     credentials=creds) as repo:
        clone = repo.path
        publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    assert info.value.kind == E.NETWORK and "pushing to kubepush/prod/nginx failed" in str(info.value)
    assert not clone.exists() and remote.sha(BRANCH) is None
    # the next run simply succeeds
    with workspace(url=git_http.url(remote), branch=BRANCH, credentials=creds) as repo:
        assert publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH).status == PUSHED


def test_direct_race_over_http(remote: Remote, git_http: GitHTTPServer, creds: Credentials) -> None:
    moved: list[str] = []

    def apply(root: Path) -> list[str]:
        if not moved:
            moved.append(remote.commit("main", {"other.yaml": "x: 1\n"}))
        return set_tag("1.1")(root)

    with workspace(url=git_http.url(remote), credentials=creds) as repo:
        result = publish(repo, apply, message="bump\n", direct=True)
    assert result.attempts == 2 and remote.log("main", "%P")[0] == moved[0]
    assert git_http.pushes() == 2  # one rejected, one accepted


def test_idempotent_rerun_does_not_push(remote: Remote, git_http: GitHTTPServer, creds: Credentials) -> None:
    for _ in range(2):
        with workspace(url=git_http.url(remote), branch=BRANCH, credentials=creds) as repo:
            publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    assert git_http.pushes() == 1


def test_hanging_server_times_out(remote: Remote, creds: Credentials) -> None:
    with socket.socket() as sock:  # accepts connections (kernel backlog) but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/org/cfg.git"
        with pytest.raises(GitError) as info, workspace(url=url, credentials=creds, timeout=1.5):
            pass
    assert info.value.kind == E.TIMEOUT and "timed out after 1.5s" in str(info.value)


def test_server_demands_basic_auth(remote: Remote, git_http: GitHTTPServer) -> None:
    """The fixture behaves like a forge: 401 + WWW-Authenticate without or with a wrong token."""
    url = git_http.url(remote) + "/info/refs?service=git-upload-pack"
    for auth in (None, "Basic " + base64.b64encode(f"{USER}:nope".encode()).decode()):
        req = urllib.request.Request(url, headers={"Authorization": auth} if auth else {})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(req, timeout=10)
        assert info.value.code == 401 and info.value.headers["WWW-Authenticate"].startswith("Basic ")
    req = urllib.request.Request(url, headers={"Authorization": git_http.expected_auth})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200 and b"# service=git-upload-pack" in resp.read()


def test_redaction_covers_every_form_of_the_token() -> None:
    creds = Credentials("bot", "to/ken+=")
    basic = base64.b64encode(b"bot:to/ken+=").decode()
    text = f"a to/ken+= b {basic} c to%2Fken%2B%3D d https://u:pw@host/x"
    assert creds.redact(text) == "a *** b *** c *** d https://u:***@host/x"


def test_forge_username_conventions() -> None:
    assert Credentials.for_forge("github", "t").username == "x-access-token"
    assert Credentials.for_forge("gitlab", "t").username == "oauth2"
    assert Credentials.gitlab_job_token("t").username == "gitlab-ci-token"
    assert Credentials.for_forge("gitea", "t", username="ann").username == "ann"
    with pytest.raises(GitError, match="account name"):
        Credentials.for_forge("gitea", "t")
    with pytest.raises(GitError, match="unknown forge"):
        Credentials.for_forge("bitbucket", "t")
    with pytest.raises(GitError, match="empty git token"):
        Credentials.for_forge("github", "")
    assert Credentials("u", " abc\r\n").token == "abc"
    with pytest.raises(GitError, match="line break") as info:
        Credentials("u", "abc\ndef")
    assert "abc" not in str(info.value)
    with pytest.raises(GitError, match="empty git token"):
        Credentials("u", "\n")


def test_a_checkout_holding_both_tips_fetches_nothing(remote: Remote, git_http: GitHTTPServer, creds: Credentials,
                                                      tmp_path: Path) -> None:
    """The base's tip is the checkout's HEAD and the bot branch was pushed from it: ls-remote alone says
    where both are, the tracking refs are set to them, and a moved base is fetched again."""
    checkout, url = tmp_path / "checkout", git_http.url(remote)
    git("-c", f"http.extraHeader=Authorization: {git_http.expected_auth}", "clone", "--quiet", url, str(checkout))

    def upload_pack_posts() -> int:
        return sum(1 for r in git_http.requests if r.method == "POST" and r.target.endswith("/git-upload-pack"))

    with workspace(checkout, credentials=creds) as repo:
        first = publish(repo, set_tag("1.1"), message="bump\n", branch=BRANCH)
    git_http.requests.clear()
    with workspace(checkout, credentials=creds) as repo:
        second = publish(repo, set_tag("1.2"), message="bump 1.2\n", branch=BRANCH)
    assert upload_pack_posts() == 1  # ls-remote's ref listing; no fetch
    assert second.status == PUSHED and remote.read(BRANCH, "web.yaml") == "image: nginx:1.2\n"
    assert git("rev-parse", f"refs/remotes/origin/{BRANCH}", "refs/remotes/origin/main", cwd=checkout).split() == \
        [first.sha, first.base_sha]  # what this run found on the remote
    moved = remote.commit("main", {"other.yaml": "x: 1\n"})
    git_http.requests.clear()
    with workspace(checkout, credentials=creds) as repo:
        third = publish(repo, set_tag("1.3"), message="bump 1.3\n", branch=BRANCH)
    assert upload_pack_posts() > 1  # the new base tip is not here: fetched
    assert third.base_sha == moved and remote.log(BRANCH, "%P")[0] == moved
    assert remote.read(BRANCH, "other.yaml") == "x: 1\n" and remote.read(BRANCH, "web.yaml") == "image: nginx:1.3\n"
