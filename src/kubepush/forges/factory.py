"""Pick and build the right ``PullRequests`` client from a repository URL and the environment.

CI users give kubepush the config repository's URL (https or ssh form) and at most a
``--forge`` kind, an API URL and a token; everything else has a sensible default:
github.com and gitlab.com are recognised by host, GitHub Enterprise Server gets
``/api/v3``, and the token is read from the variable each CI system provides.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kubepush.errors import UsageError

if TYPE_CHECKING:  # the clients pull in requests (~0.1 s): only open_forge needs them
    from kubepush.forges.base import PullRequests
    from kubepush.net.retry import RetryPolicy

KINDS = ("github", "gitlab", "gitea")
#: token variables per forge, first found wins
TOKEN_ENV: dict[str, tuple[str, ...]] = {
    "github": ("GITHUB_TOKEN", "GH_TOKEN"),
    "gitlab": ("GITLAB_TOKEN", "CI_JOB_TOKEN"),
    "gitea": ("GITEA_TOKEN", "FORGEJO_TOKEN"),
}
_KNOWN_HOSTS = {"github.com": "github", "gitlab.com": "gitlab", "codeberg.org": "gitea",
                "gitea.com": "gitea"}
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


@dataclass(frozen=True)
class RepoRef:
    """Where a repository lives: ``host`` (with port for http URLs) and ``path`` (``owner/repo``,
    or ``group/subgroup/project`` on GitLab), plus the web scheme."""

    host: str
    path: str
    scheme: str = "https"

    @property
    def owner_repo(self) -> tuple[str, str]:
        owner, _, repo = self.path.rpartition("/")
        return owner, repo


def parse_repo_url(url: str) -> RepoRef:
    """``https://host/owner/repo(.git)``, ``ssh://git@host[:port]/owner/repo.git`` or
    ``git@host:owner/repo.git`` -> ``RepoRef``. Credentials in the URL are dropped."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "ssh", "git+ssh") or not parts.hostname:
            raise UsageError(f"cannot read repository URL {_safe(url)!r}: use https://host/owner/repo")
        host = parts.hostname
        if parts.port and parts.scheme in ("http", "https"):
            host = f"{host}:{parts.port}"
        scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
        path = parts.path
    else:
        m = _SCP_LIKE.match(url)
        if not m:
            raise UsageError(f"cannot read repository URL {_safe(url)!r}: use https://host/owner/repo")
        host, path, scheme = m["host"], m["path"], "https"
    path = path.strip("/")
    path = path[:-4] if path.endswith(".git") else path
    if path.count("/") < 1 or "" in path.split("/"):
        raise UsageError(f"repository URL {_safe(url)!r} does not name owner/repo")
    return RepoRef(host.lower(), path, scheme)


def _safe(url: str) -> str:
    """The URL without any user:password@ part, for messages."""
    return re.sub(r"//[^/@]*@", "//", url)


def detect_kind(ref: RepoRef) -> str | None:
    host = ref.host.split(":")[0]
    if host in _KNOWN_HOSTS:
        return _KNOWN_HOSTS[host]
    for kind, words in (("gitlab", ("gitlab",)), ("gitea", ("gitea", "forgejo")),
                        ("github", ("github",))):
        if any(w in host for w in words):
            return kind
    return None


def default_api_url(kind: str, ref: RepoRef) -> str:
    root = f"{ref.scheme}://{ref.host}"
    if kind == "github":
        return "https://api.github.com" if ref.host == "github.com" else f"{root}/api/v3"
    return f"{root}/api/v4" if kind == "gitlab" else f"{root}/api/v1"


@dataclass(frozen=True)
class Token:
    """A forge token and where it came from (``source``, named in messages; never the value)."""

    value: str = field(repr=False)
    source: str
    #: GitLab's ``CI_JOB_TOKEN``: sent in its own header, pushed as ``gitlab-ci-token``
    job_token: bool = False


#: installation tokens minted in this process: (api, app, installation, repo, key) -> (token, when)
_MINTED: dict[tuple[str, ...], tuple[str, float]] = {}
#: GitHub's installation tokens expire after an hour; one is reused for less than that
_MINTED_REUSE_S = 45 * 60


def find_token(kind: str, ref: RepoRef, env: Mapping[str, str], *, api_url: str | None = None,
               verify: bool | str = True, retry: RetryPolicy | None = None,
               timeout: tuple[float, float] = (10.0, 30.0)) -> Token | None:
    """The token for ``ref`` on a ``kind`` forge, the same for its API and for ``git push``.

    GitHub App credentials (``GITHUB_APP_ID`` + ``GITHUB_APP_PRIVATE_KEY``, PEM or path;
    optionally ``GITHUB_APP_INSTALLATION_ID``) beat an ambient token: they are explicit.
    Else the forge's variables (``TOKEN_ENV``), first found wins.
    """
    if kind == "github" and env.get("GITHUB_APP_ID") and env.get("GITHUB_APP_PRIVATE_KEY"):
        return Token(_app_token(env, ref, api_url or default_api_url("github", ref), verify, retry, timeout),
                     "GITHUB_APP_ID / GITHUB_APP_PRIVATE_KEY (installation token)")
    for name in TOKEN_ENV[kind]:
        if env.get(name):
            return Token(env[name], name, job_token=name == "CI_JOB_TOKEN")
    return None


def _app_token(env: Mapping[str, str], ref: RepoRef, api_url: str, verify: bool | str,
               retry: RetryPolicy | None, timeout: tuple[float, float]) -> str:
    """An installation token for ``ref``, minted once per run: the push and the API calls share it."""
    import time

    from kubepush.forges.github_app import installation_token, load_private_key

    installation = env.get("GITHUB_APP_INSTALLATION_ID")
    key = (api_url.rstrip("/"), env["GITHUB_APP_ID"], installation or "", ref.path, env["GITHUB_APP_PRIVATE_KEY"])
    minted = _MINTED.get(key)
    if minted is not None and time.monotonic() - minted[1] < _MINTED_REUSE_S:
        return minted[0]
    token = installation_token(
        api_url, env["GITHUB_APP_ID"], load_private_key(env["GITHUB_APP_PRIVATE_KEY"]), *ref.owner_repo,
        installation_id=int(installation) if installation else None, verify=verify,
        retry=retry, timeout=timeout)
    _MINTED[key] = (token, time.monotonic())
    return token


def git_credentials(url: str, kind: str | None = None, username: str | None = None, *,
                    api_url: str | None = None, env: Mapping[str, str] | None = None) -> Any:
    """The push token for ``url`` (a :class:`kubepush.gitops.Credentials`, or ``None``): the token
    :func:`open_forge` uses (:func:`find_token`; ``api_url`` is where a GitHub App token is minted),
    passed to git only through its environment. SSH remotes use their key."""
    if not url.startswith(("https://", "http://")):
        return None
    from kubepush.gitops import Credentials

    ref = parse_repo_url(url)
    kind = kind or detect_kind(ref)
    if kind is None:
        return None
    token = find_token(kind, ref, os.environ if env is None else env, api_url=api_url)
    if token is None:
        return None
    if token.job_token:
        return Credentials.gitlab_job_token(token.value)
    return Credentials.for_forge(kind, token.value, username)


def open_forge(repo_url: str, *, kind: str | None = None, api_url: str | None = None,
               token: str | None = None, env: Mapping[str, str] | None = None,
               verify: bool | str = True, bot_login: str | None = None,
               retry: RetryPolicy | None = None,
               timeout: tuple[float, float] = (10.0, 30.0)) -> PullRequests:
    """The client for ``repo_url``'s pull requests.

    ``kind`` (``--forge``) is needed only for self-hosted servers whose host name does
    not say what they are. The token comes from ``token``, else :func:`find_token` (a
    GitHub App's installation token, or the forge's variables); GitLab's ``CI_JOB_TOKEN``
    is sent as a job token.
    """
    env = os.environ if env is None else env
    ref = parse_repo_url(repo_url)
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown forge kind {kind!r}: use one of {', '.join(KINDS)}")
    kind = kind or detect_kind(ref)
    if kind is None:
        raise UsageError(f"cannot tell which forge {ref.host} runs: pass --forge "
                         f"{'|'.join(KINDS)}")
    found = Token(token, " or ".join(TOKEN_ENV[kind])) if token is not None else \
        find_token(kind, ref, env, api_url=api_url, verify=verify, retry=retry, timeout=timeout)
    if found is None or not found.value:
        raise UsageError(f"no {kind} token: set {' or '.join(TOKEN_ENV[kind])} (or pass a token explicitly)")
    token, token_env, job_token = found.value, found.source, found.job_token
    api = (api_url or default_api_url(kind, ref)).rstrip("/")
    common = dict(token=token, api_url=api, token_env=token_env, verify=verify,
                  bot_login=bot_login, retry=retry, timeout=timeout)
    if kind == "github":
        from kubepush.forges.github import GitHub
        return GitHub(*ref.owner_repo, **common)  # type: ignore[arg-type]
    if kind == "gitlab":
        from kubepush.forges.gitlab import GitLab
        return GitLab(ref.path, job_token=job_token, **common)  # type: ignore[arg-type]
    from kubepush.forges.gitea import Gitea
    return Gitea(*ref.owner_repo, **common)  # type: ignore[arg-type]
