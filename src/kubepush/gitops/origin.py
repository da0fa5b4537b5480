"""Which repository a path belongs to: its checkout root and ``origin`` URL, normalised.

The inventory of a target is named after the repository it comes from, so two config
repositories whose targets share a name (``staging``) never share an inventory.
The identity must be the same for every clone of one repository - a developer's SSH
clone, a CI checkout over HTTPS with a job token in the URL, a mirror with ``.git`` -
so :func:`normalise` reduces a URL to ``host[:port]/path`` (lower-case host, no user,
password, scheme or ``.git``): ``git@github.com:Acme/config.git``,
``https://x:TOKEN@GitHub.com/Acme/config`` and ``ssh://git@github.com/Acme/config``
all become ``github.com/Acme/config``. No credential survives normalisation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from kubepush.gitops.errors import GitError
from kubepush.gitops.runner import Git

#: scp-like syntax ``[user@]host:path`` (git treats it so when there is no ``://`` and the
#: part before the first colon has no slash)
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>.*)$")


@dataclass(frozen=True)
class Checkout:
    """The git checkout containing a path; ``origin`` is normalised ("" when it has none)."""

    root: Path
    origin: str


def normalise(url: str) -> str:
    """``host[:port]/path`` of a remote URL (see the module docstring); a local path stays a path."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.port:
            host += f":{parts.port}"
        path = parts.path
        if parts.scheme == "file" or not host:
            return _strip(path)
    else:
        match = _SCP.match(url)
        if not match or len(match["host"]) == 1:  # "C:\\repo" is a Windows path, not scp syntax
            return _strip(url)
        host, path = match["host"].lower(), match["path"]
    return f"{host}/{_strip(path).lstrip('/')}"


def _strip(path: str) -> str:
    path = path.rstrip("/")
    return path[:-4] if path.endswith(".git") else path


def checkout_of(path: str | Path) -> Checkout | None:
    """The checkout ``path`` (a file or directory) is in; None outside any git work tree."""
    where = Path(path).resolve()
    if not where.is_dir():
        where = where.parent
    if not where.is_dir():
        return None
    git = Git(where, timeout=30)
    try:
        top = git.run("rev-parse", "--show-toplevel", what="finding the git checkout", ok=(0, 128))
    except GitError:  # git is not installed: no checkout can be found
        return None
    if top.status and "dubious ownership" in top.stderr:
        # a checkout git will not read must not silently count as "no checkout": another identity
        raise GitError(f"git refuses to read the checkout at {where}: it belongs to another user (dubious "
                       f"ownership); run 'git config --global --add safe.directory {where}' first")
    if top.status:
        return None
    url = git.run("config", "--get", "remote.origin.url", what="reading the origin remote", ok=(0, 1))
    return Checkout(Path(top.stdout.strip()), normalise(url.stdout) if url.status == 0 and url.stdout.strip() else "")


def origin_url(path: str | Path = ".") -> str:
    """The ``origin`` remote's URL as configured in the checkout at ``path``, to talk to its forge
    (not normalised: it may hold credentials, so it is for connecting, never for display); ""
    when there is no such remote or ``path`` is in no checkout."""
    url = Git(Path(path), timeout=30).run("config", "--get", "remote.origin.url", what="reading the origin remote",
                                          ok=(0, 1, 128))
    return url.stdout.strip() if url.status == 0 else ""
