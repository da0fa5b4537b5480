"""TLS: verified by default, a private CA bundle works, insecure only when explicitly asked,
and an explicit ``verify=False`` is not silently overridden by ``REQUESTS_CA_BUNDLE``."""

from __future__ import annotations

import pytest

from kubepush.forges import errors as E
from kubepush.forges.errors import ForgeError
from kubepush.forges.gitea import Gitea
from kubepush.net.retry import RetryPolicy

pytest_plugins = ["tests.support.https_server"]


def _client(url, **kw):
    return Gitea("octo", "app", token="t0ken-value", api_url=url,
                 retry=RetryPolicy(backoff=0.01, sleep=lambda s: None), timeout=(2, 2), **kw)


def test_untrusted_certificate_fails_once_with_a_clear_message(https_forge):
    url, _ = https_forge
    with pytest.raises(ForgeError) as info:
        _client(url).find_open("x", "main")
    assert info.value.kind == E.NETWORK
    assert "TLS verification failed" in str(info.value) and "after 1 attempt(s)" in str(info.value)


def test_private_ca_bundle_is_trusted(https_forge):
    url, ca = https_forge
    assert _client(url, verify=ca).find_open("x", "main") is None


def test_explicit_insecure_wins_over_requests_ca_bundle(https_forge, monkeypatch, tmp_path):
    url, _ = https_forge
    bogus = tmp_path / "other-ca.pem"
    bogus.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bogus))
    from urllib3.exceptions import InsecureRequestWarning

    with pytest.warns(InsecureRequestWarning):
        assert _client(url, verify=False).find_open("x", "main") is None
