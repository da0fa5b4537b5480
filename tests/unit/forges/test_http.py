"""Transport rules shared by all forges: retry bounds, Retry-After forms, safe pagination
and redirects, TLS defaults, body limits, markers."""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubepush.forges import errors as E
from kubepush.forges.base import comment_marker, fit_body
from kubepush.forges.errors import ForgeError
from kubepush.forges.http import Dialect, TokenAuth, Transport
from kubepush.net.retry import RetryPolicy
from tests.support.fakeforge.rig import Sleeps, make_client

HEAD, BASE = "kubepush/bump", "main"


def test_retry_after_as_http_date(fake_gitlab):
    sleeps = Sleeps()
    client = make_client("gitlab", fake_gitlab, sleep=sleeps)
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    fake_gitlab.fail("getApiV4ProjectsIdMergeRequests", 429, headers={"Retry-After": when})
    client.find_open(HEAD, BASE)
    assert len(sleeps.waits) == 1 and 1.0 < sleeps.waits[0] <= 3.0


def test_wait_longer_than_max_wait_fails_fast_with_reset_time(fake_gitlab):
    sleeps = Sleeps()
    client = make_client("gitlab", fake_gitlab, sleep=sleeps)
    fake_gitlab.fail("getApiV4ProjectsIdMergeRequests", 429, headers={"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(ForgeError) as info:
        client.find_open(HEAD, BASE)
    assert time.monotonic() - started < 1 and sleeps.waits == []
    assert info.value.kind == E.RATE_LIMIT and "resets in 3600s" in str(info.value)
    assert "UTC" in str(info.value)


def test_429_forever_stops_after_the_attempt_budget(fake_gitea):
    sleeps = Sleeps()
    client = make_client("gitea", fake_gitea, sleep=sleeps)
    fake_gitea.fail("repoListPullRequests", 429, times=99, headers={"Retry-After": "1"})
    with pytest.raises(ForgeError) as info:
        client.find_open(HEAD, BASE)
    assert info.value.kind == E.RATE_LIMIT
    assert sleeps.waits == [1.0, 1.0, 1.0]
    assert len(fake_gitea.calls("repoListPullRequests")) == 4


def test_pagination_never_follows_a_link_to_another_origin(fake_gitlab):
    client = make_client("gitlab", fake_gitlab)
    item = {"iid": 1, "source_branch": "x", "target_branch": BASE, "title": "t",
            "state": "opened", "web_url": "u"}
    fake_gitlab.fail("getApiV4ProjectsIdMergeRequests", 200, body=[item],
                     headers={"Link": '<http://127.0.0.1:9/steal?page=2>; rel="next"'})
    with pytest.raises(ForgeError) as info:
        client.find_open(HEAD, BASE)
    assert "refusing to follow a link to http://127.0.0.1:9" in str(info.value)


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self):  # noqa: N802
        self.send_response(301)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_forge_transport_follows_a_same_origin_link_written_another_way() -> None:
    """A ``Link`` with the host in capitals or the default port is the API's own origin."""
    t = Transport("https://Forge.Example/api/v1", Dialect(), TokenAuth("t0ken"))
    for link in ("https://forge.example:443/api/v1/repos?page=2", "https://FORGE.example/api/v1/repos?page=2"):
        assert t._url(link, "list") == link


def test_redirect_to_another_origin_drops_the_token_header(fake_gitlab):
    """requests strips Authorization on such redirects but not PRIVATE-TOKEN; we do."""
    handler = type("H", (_Redirector,), {"target": fake_gitlab.origin})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        client = make_client("gitlab", fake_gitlab)
        client.http.api_url = f"http://127.0.0.1:{server.server_address[1]}/api/v4"
        client.http._origin = f"http://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(ForgeError) as info:
            client.find_open(HEAD, BASE)
    finally:
        server.shutdown()
        server.server_close()
    assert info.value.kind == E.AUTH, "the redirected request must arrive without the token"
    assert "PRIVATE-TOKEN" not in fake_gitlab.calls()[0].headers


def test_tls_verification_on_by_default_and_off_only_when_asked(caplog):
    t = Transport("https://forge.example/api/v1", Dialect(), TokenAuth("t0ken"))
    assert t.session.verify is True
    caplog.set_level(logging.WARNING)
    insecure = Transport("https://forge.example/api/v1", Dialect(), TokenAuth("t0ken"), verify=False)
    assert insecure.session.verify is False
    assert "TLS certificate verification is disabled" in caplog.text
    bundle = Transport("https://forge.example/api/v1", Dialect(), None, verify="/etc/ca.pem")
    assert bundle.session.verify == "/etc/ca.pem"


def test_non_json_answer_points_at_the_api_url(fake_github):
    """A 2xx HTML page (e.g. the web UI's URL given as the API URL) is not a crash."""
    client = make_client("github", fake_github)
    fake_github.branches.add(HEAD)
    pr = client.create(HEAD, BASE, "t", "b")
    fake_github.fail("pulls/get", 200, body=b"<html>sign in</html>")
    with pytest.raises(ForgeError) as info:
        client.get(pr.number)
    assert "is not JSON" in str(info.value) and fake_github.url in str(info.value)
    assert fake_github.violations, "the contract check must have flagged the HTML body"
    fake_github.violations.clear()



@pytest.mark.parametrize("body", [b"[]", b"null", b'"open"'])
def test_json_that_is_not_an_object_points_at_the_api_url(fake_github, body):
    """A pull request read back as JSON that is not an object is a ForgeError, not a TypeError."""
    client = make_client("github", fake_github)
    fake_github.branches.add(HEAD)
    pr = client.create(HEAD, BASE, "t", "b")
    fake_github.fail("pulls/get", 200, body=body)
    with pytest.raises(ForgeError) as info:
        client.get(pr.number)
    assert "not a JSON object" in str(info.value) and fake_github.url in str(info.value)
    fake_github.violations.clear()


def test_a_user_without_a_login_is_matched_by_marker_alone(fake_github):
    """GET /user answering an object without ``login``: the bot cannot tell who it is (None), no KeyError."""
    client = make_client("github", fake_github)
    fake_github.fail("users/get-authenticated", 200, body=b"{}")
    assert client.bot_login() is None
    fake_github.violations.clear()

def test_token_auth_hides_the_token_and_rejects_padding():
    auth = TokenAuth("s3cr3t-value")
    assert "s3cr3t" not in repr(auth) and "s3cr3t" not in str(auth)
    assert auth.redact("x s3cr3t-value y") == "x *** y"
    for bad in ("", " s3cr3t", "s3cr3t\n"):
        with pytest.raises(ValueError) as info:
            TokenAuth(bad)
        assert "s3cr3t" not in str(info.value)


def test_api_url_must_be_http():
    with pytest.raises(ValueError):
        Transport("ftp://forge.example", Dialect(), None)


def test_retry_policy_defaults_are_bounded():
    p = RetryPolicy()
    assert p.attempts == 4 and p.max_wait == 60.0


# -- body limits and markers ----------------------------------------------------------------
def test_fit_body_keeps_short_text_and_cuts_long_text_on_a_line():
    assert fit_body("short", 100) == "short"
    text = "\n".join(f"line {i}" for i in range(2000))
    out = fit_body(text, 1000)
    assert len(out) <= 1000
    kept = out.split("\n\n---\n")[0]
    assert text.startswith(kept) and kept.endswith(kept.split("\n")[-1])
    assert f"of {len(text)} characters shown" in out and "at most 1000" in out


def test_fit_body_closes_open_details_and_fences():
    text = "<details><summary>diff</summary>\n\n```diff\n" + "+ x\n" * 5000
    out = fit_body(text, 2000)
    assert len(out) <= 2000
    assert out.count("```") % 2 == 0 and out.count("<details>") == out.count("</details>")


def test_fit_body_exactly_at_limit_is_untouched():
    assert fit_body("x" * 65536, 65536) == "x" * 65536
    with pytest.raises(ValueError):
        fit_body("x" * 100, 50)


def test_comment_marker_is_validated():
    assert comment_marker("plan") == "<!-- kubepush:plan -->"
    assert comment_marker("drift/prod-eu") == "<!-- kubepush:drift/prod-eu -->"
    for bad in ("", "a -->", "x y", "-->"):
        with pytest.raises(ValueError):
            comment_marker(bad)


@given(text=st.text(alphabet=st.sampled_from("ab `\n<>/detailsum"), max_size=3000),
       limit=st.integers(min_value=400, max_value=2500))
def test_fit_body_property(text, limit):
    out = fit_body(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
    else:
        kept = out.split("\n\n---\n_Truncated by kubepush")[0]
        assert "_Truncated by kubepush" in out
        while kept.endswith("\n</details>") and not text.startswith(kept):
            kept = kept.removesuffix("\n</details>")
        if not text.startswith(kept):
            kept = kept.removesuffix("\n```")
        assert text.startswith(kept) and len(kept) >= (limit - 400) // 2
