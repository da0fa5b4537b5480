"""The one exception the git layer raises.

A ``GitError`` is a :class:`~kubepush.errors.UsageError`: whatever goes wrong
talking to a config repository in CI - a token without write scope, a protected
branch, an unreachable host, a base branch that keeps moving - is fixable by the
user, so the CLI maps it to exit code 2 and prints ``str(error)`` as is. The
message therefore says what git was doing, what git said and what to do, and it
is built only from text that went through :meth:`Credentials.redact
<kubepush.gitops.auth.Credentials.redact>` (the command, git's stderr), so the
token cannot reach it.
"""

from __future__ import annotations

from collections.abc import Sequence

from kubepush.errors import UsageError

#: error kinds callers (and the retry loop) branch on instead of parsing messages
AUTH = "auth"
PERMISSION = "permission"
NOT_FOUND = "not_found"
NETWORK = "network"
TIMEOUT = "timeout"
REJECTED = "rejected"  # the ref moved on the server (non-fast-forward, stale lease): rebuild and retry
REFUSED = "refused"  # the server refused the update itself (protected branch, hook): retrying cannot help
CONFLICT = "conflict"  # local state in the way (uncommitted changes, missing path)
OTHER = "other"


class GitError(UsageError):
    """A git operation failed; ``str()`` is the actionable, token-free message."""

    def __init__(
        self,
        message: str,
        *,
        kind: str = OTHER,
        command: Sequence[str] = (),
        status: int | None = None,
        stderr: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.command = tuple(command)
        self.status = status
        self.stderr = stderr

    def __repr__(self) -> str:
        return f"GitError(kind={self.kind!r}, status={self.status!r}, message={str(self)!r})"
