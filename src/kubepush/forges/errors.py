"""The one exception every forge client raises.

A ``ForgeError`` is a ``UsageError`` because almost every forge failure a CI user
sees is fixable by them (a token, a scope, a repo name, a rate limit): the CLI maps
it to exit code 2 and prints the message as is. The message therefore names the
operation, the HTTP status, what the forge said and what to do - and it is built
only from values that cannot contain the token (see ``Transport._redact``).
"""

from __future__ import annotations

from kubepush.errors import UsageError

#: error kinds callers branch on (instead of parsing messages)
AUTH = "auth"
PERMISSION = "permission"
NOT_FOUND = "not_found"
EXISTS = "already_exists"
VALIDATION = "validation"
RATE_LIMIT = "rate_limit"
SERVER = "server"
NETWORK = "network"
OTHER = "other"


class ForgeError(UsageError):
    """A forge API call failed; ``str()`` is the actionable, token-free message."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status: int | None = None,
        kind: str = OTHER,
        forge_message: str = "",
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status
        self.kind = kind
        self.forge_message = forge_message

    def __repr__(self) -> str:
        return (
            f"ForgeError(operation={self.operation!r}, status={self.status!r}, "
            f"kind={self.kind!r}, message={str(self)!r})"
        )
