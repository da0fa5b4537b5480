"""HTTPS credentials for git, handed to git without ever being stored.

Mechanism: the token travels as an ``Authorization: Basic`` header set through
git's *environment* configuration (``GIT_CONFIG_COUNT`` / ``GIT_CONFIG_KEY_n`` /
``GIT_CONFIG_VALUE_n``, git >= 2.31) for the git processes that talk to the
remote, and only for them. Chosen over ``GIT_ASKPASS`` because:

- nothing is written to disk: no helper script, no ``.git/config`` entry, no
  credentials in a remote URL, and the header is not in argv (``ps`` shows
  argv to every user; a process environment is readable only by its owner);
- git's credential machinery is not involved, so a credential helper the CI
  image configured (``store``, a keychain) never gets a token to *approve* and
  keep; helpers are also reset to none, so a stale stored credential cannot be
  used instead of ours;
- the header is sent on the first request instead of after a 401 challenge,
  which saves one HTTP round trip for every fetch and push;
- ``http.<origin>.extraHeader`` is scoped to the remote's origin, and an empty
  value first resets the list, so an ``extraheader`` that ``actions/checkout``
  persisted in the checkout's config is replaced rather than sent alongside.
  curl does not forward ``Authorization`` to another host on a redirect, and
  git follows redirects only on the first request.

git redacts ``Authorization`` in ``GIT_TRACE_CURL`` output when
``GIT_TRACE_REDACT`` is on, which :func:`kubepush.gitops.runner.base_env` forces.
Every message built from git output still goes through :meth:`Credentials.redact`.

Username conventions (the password is always the token): GitHub
``x-access-token``, GitLab ``oauth2`` (``gitlab-ci-token`` for ``CI_JOB_TOKEN``),
Gitea the account name the token belongs to.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from kubepush.gitops import errors as E
from kubepush.gitops.errors import GitError
from kubepush.redact import redact

#: default username per forge; ``None``: the forge needs the real account name
FORGE_USERNAMES: dict[str, str | None] = {
    "github": "x-access-token",
    "gitlab": "oauth2",
    "gitea": None,
}
GITLAB_JOB_TOKEN_USER = "gitlab-ci-token"


@dataclass(frozen=True)
class Credentials:
    """A token and the HTTP Basic username it goes with; ``repr`` never shows the token."""

    username: str
    token: str = field(repr=False)

    def __post_init__(self) -> None:
        # a token read from a file or a CI variable often ends in a newline
        object.__setattr__(self, "token", self.token.strip())
        if not self.token:
            raise GitError("empty git token: set the token variable or leave credentials out", kind=E.AUTH)
        if not self.username or ":" in self.username or any(c in self.username for c in "\r\n"):
            raise GitError(f"invalid git username {self.username!r}: it must be non-empty without ':'",
                           kind=E.AUTH)
        if any(c in self.token for c in "\r\n"):
            raise GitError("invalid git token: it contains a line break (two values in one variable?)",
                           kind=E.AUTH)

    @classmethod
    def for_forge(cls, forge: str, token: str, username: str | None = None) -> Credentials:
        """Credentials with the username ``forge`` expects unless ``username`` is given."""
        if forge not in FORGE_USERNAMES:
            raise GitError(f"unknown forge {forge!r}: use one of {', '.join(FORGE_USERNAMES)}")
        user = username or FORGE_USERNAMES[forge]
        if user is None:
            raise GitError(f"{forge} needs the account name the token belongs to as git username "
                           "(--git-username)", kind=E.AUTH)
        return cls(user, token)

    @classmethod
    def gitlab_job_token(cls, token: str) -> Credentials:
        """GitLab's ``CI_JOB_TOKEN`` (it can push only where the project allows job tokens to)."""
        return cls(GITLAB_JOB_TOKEN_USER, token)

    @property
    def _basic(self) -> str:
        return base64.b64encode(f"{self.username}:{self.token}".encode()).decode("ascii")

    def header(self) -> str:
        """The HTTP header line git sends (see :func:`config_entries`)."""
        return f"Authorization: Basic {self._basic}"

    def redact(self, text: str) -> str:
        """``text`` with the token (raw, URL-quoted, in Basic form) and URL passwords masked."""
        return redact(text, (self._basic, self.token))


def redact_with(text: str, credentials: Credentials | None) -> str:
    """Redact with ``credentials`` when there are any, URL passwords always."""
    return credentials.redact(text) if credentials else redact(text)


def split_url_credentials(url: str) -> tuple[str, Credentials | None]:
    """``url`` without user info, and the credentials that were in it (if a password was).

    GitLab runners, for one, put ``gitlab-ci-token:<token>@`` into the checkout's
    remote URL. Such a token is moved into the header mechanism so it is never
    written anywhere again; a bare username (``https://user@host``) is dropped.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    clean = urlunsplit(SplitResult(parts.scheme, host, parts.path, parts.query, parts.fragment))
    user, sep, password = userinfo.partition(":")
    if not sep or not password:
        return clean, None
    return clean, Credentials(unquote(user) or "x-access-token", unquote(password))


def origin(url: str) -> str:
    """``scheme://host[:port]/``: the prefix git matches ``http.<url>.*`` settings against."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/"


def config_entries(url: str, credentials: Credentials | None) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs that authenticate git's requests to ``url``.

    Empty when there are no credentials or the URL is not HTTP(S) (SSH and local
    remotes authenticate otherwise). The empty ``extraHeader`` value resets headers
    configured elsewhere for the same origin; ``credential.helper`` is reset so no
    helper is asked for, or stores, anything.
    """
    if credentials is None or urlsplit(url).scheme not in ("http", "https"):
        return []
    key = f"http.{origin(url)}.extraHeader"
    return [("credential.helper", ""), (key, ""), (key, credentials.header())]
