"""The exceptions of the cluster layer, apart from the client so that raising them costs nothing.

A ``ClusterError`` is a :class:`~kubepush.errors.UsageError` (exit code 2) when it
reaches the CLI: an unreachable or untrusted cluster, credentials or RBAC the server
rejects, a kind it does not serve, another run holding the target are all fixed in the
environment. Most never get that far: the apply and drift flows catch them per object
(a failed change, exit code 1) or per target (an environment error in the report), and
the message is complete and secret-free either way.
"""

from __future__ import annotations

from typing import Any

from kubepush.errors import UsageError


class ClusterError(UsageError):
    """An API call failed; ``str()`` is a complete, secret-free message."""


class Unreachable(ClusterError):
    """The cluster did not answer at all (refused, reset, timed out)."""


class Untrusted(Unreachable):
    """TLS verification of the server failed: the kubeconfig's CA (or server URL) does not match it."""


class ApiError(ClusterError):
    """The API answered with an error Status."""

    def __init__(self, status: int, reason: str, message: str, body: dict[str, Any]) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.body = body

    @property
    def causes(self) -> list[dict[str, Any]]:
        return list((self.body.get("details") or {}).get("causes") or [])


class LockHeld(ClusterError):
    """The lock stayed with another run for longer than we may wait."""
