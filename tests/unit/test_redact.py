"""The one redaction every client uses: known secrets in every form, URL passwords, auth values."""

from __future__ import annotations

from kubepush.redact import MASK, redact, redact_auth


def test_known_secrets_are_masked_raw_and_url_quoted() -> None:
    token = "s3cr/t+tok=en"
    text = f"echo {token} at https://host/x?t=s3cr%2Ft%2Btok%3Den done"
    assert redact(text, [token]) == f"echo {MASK} at https://host/x?t={MASK} done"


def test_a_secret_containing_another_is_masked_whole() -> None:
    assert redact("key abcdef and abc", ["abc", "abcdef"]) == f"key {MASK} and {MASK}"


def test_url_passwords_are_masked_without_knowing_them() -> None:
    text = "fatal: unable to access 'https://bot:glpat-xyz@gitlab.example/g/p.git/'"
    assert redact(text) == f"fatal: unable to access 'https://bot:{MASK}@gitlab.example/g/p.git/'"
    assert redact("https://bot@host/p and ssh://git@host/p") == "https://bot@host/p and ssh://git@host/p"


def test_empty_secrets_change_nothing() -> None:
    assert redact("nothing to hide", ["", ""]) == "nothing to hide"


def test_auth_values_of_unknown_secrets() -> None:
    assert redact_auth("401: Authorization: Bearer eyJhbGciOi.x.y rejected") == \
        f"401: Authorization: Bearer {MASK} rejected"
    assert redact_auth("token=abc123 in kubeconfig") == f"token {MASK} in kubeconfig"
