"""The one error the registry client raises, with a message a CI log reader can act on."""

from __future__ import annotations

from kubepush.errors import UsageError

# What went wrong, for callers that turn a failure into a finding per image.
AUTH = "auth"
NOT_FOUND = "not-found"
UNREACHABLE = "unreachable"
RATE_LIMITED = "rate-limited"
SERVER = "server"
PROTOCOL = "protocol"
INSECURE = "insecure"


class RegistryError(UsageError):
    """A registry call failed. ``kind`` is one of the constants above.

    Messages name the registry and repository and say what to do; they are
    built only from things we chose to show (status, error code, server
    message with known secrets scrubbed), never from request headers, so a
    password or token cannot end up in a log.
    """

    def __init__(self, kind: str, registry: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.registry = registry
