"""Writes the API server refuses only because something it needs is not up yet: retried, bounded.

Two answers mean "not yet" rather than "no":

* **an admission webhook that does not answer** - right after installing the operator that
  serves it (cert-manager, an ingress controller...). The API server wraps a failed call in
  ``ErrCallingWebhook`` ("failed calling webhook %q: %v", kubernetes/kubernetes
  staging/src/k8s.io/apiserver/pkg/admission/plugin/webhook/errors/errors.go; the reason is
  ``failed to call webhook: Post "https://svc.ns.svc:443/...": dial tcp ...: connect: connection
  refused`` or ``no endpoints available for service "svc"``, from
  .../webhook/request/... callHook) and answers it with ``apierrors.NewInternalError``
  (.../webhook/validating/dispatcher.go and mutating/dispatcher.go): HTTP 500, reason
  ``InternalError``, message ``Internal error occurred: failed calling webhook "name": ...``.
  Only transport failures take that path - a webhook that *denies* a request answers 4xx
  ("admission webhook ... denied the request") and is never retried, nor is any other 500.
* **discovery lag**: just after a CRD becomes Established the API server may not route its
  kind yet and a write gets 404 ``the server could not find the requested resource`` (no
  object named: the resource path itself is unknown; a missing object or namespace names it).
  The kind's group-version is discovered again and the write retried, for at most
  :data:`DISCOVERY_LAG` seconds; so is a kind that discovery does not list yet.

Both wait with exponential backoff until the write succeeds or ``deadline`` (the run's
``--timeout``) passes; the log names the webhook waited for, once per webhook.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.errors import ApiError, ClusterError, Unreachable

#: How long a kind may stay unrouted after its CRD is Established before the 404 is believed.
DISCOVERY_LAG = 15.0
FIRST_PAUSE, MAX_PAUSE = 0.2, 5.0
_WEBHOOK = re.compile(r'failed calling webhook "([^"]+)"')
NOT_ROUTED = "the server could not find the requested resource"


def webhook_not_answering(exc: ApiError) -> str:
    """The webhook a 500 says the API server could not call ('' when the 500 is about anything else)."""
    if exc.status != 500 or exc.reason != "InternalError":
        return ""
    found = _WEBHOOK.search(str(exc))
    return found.group(1) if found else ""


def not_routed(exc: ApiError) -> bool:
    """A 404 for the resource path itself (discovery lag), not for an object or a namespace."""
    details = (exc.body or {}).get("details") or {}
    return exc.status == 404 and not details.get("name") and str(exc).rstrip().endswith(NOT_ROUTED)


class Waiter:
    """Retries one write while the API server says "not yet"; shared by the objects of a run."""

    def __init__(self, cluster: Cluster, timeout: float, progress: Callable[[str], None]) -> None:
        self.cluster = cluster
        self.timeout = timeout
        self.progress = progress
        self._announced: set[str] = set()
        self._lock = threading.Lock()

    def write(self, info: ResourceInfo, what: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``call()``'s answer; the last :class:`ApiError` when it stays "not yet" past the deadline
        (its message then says what was waited for)."""
        deadline = time.monotonic() + self.timeout
        lag_deadline = time.monotonic() + min(self.timeout, DISCOVERY_LAG)
        pause = FIRST_PAUSE
        while True:
            try:
                return call()
            except ApiError as exc:
                webhook = webhook_not_answering(exc)
                lagging = not webhook and not_routed(exc)
                if not webhook and not lagging:
                    raise
                now = time.monotonic()
                if now + pause > (deadline if webhook else lag_deadline):
                    raise _gave_up(exc, webhook, self.timeout if webhook else min(self.timeout, DISCOVERY_LAG)
                                   ) from None
                if webhook:
                    self._announce(webhook, what, exc)
                else:
                    self.cluster.rediscover(info.api_version)
            time.sleep(pause)
            pause = min(MAX_PAUSE, pause * 2)

    def resource(self, api_version: str, kind: str) -> ResourceInfo:
        """:meth:`Cluster.resource`, asked again (discovery refreshed) for up to :data:`DISCOVERY_LAG`
        seconds: a kind whose CRD was just Established may be missing from discovery for a moment."""
        deadline = time.monotonic() + min(self.timeout, DISCOVERY_LAG)
        pause = FIRST_PAUSE
        while True:
            try:
                return self.cluster.resource(api_version, kind)
            except (Unreachable, ApiError):
                raise  # discovery itself failed: not a kind it does not list yet
            except ClusterError:
                if time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(MAX_PAUSE, pause * 2)
            self.cluster.refresh()

    def _announce(self, webhook: str, what: str, exc: ApiError) -> None:
        with self._lock:
            if webhook in self._announced:
                return
            self._announced.add(webhook)
        cause = str(exc).split(f'failed calling webhook "{webhook}": ', 1)[-1]
        self.progress(f'waiting for admission webhook "{webhook}" to answer ({cause}); retrying {what} and '
                      f"the writes it blocks for up to {self.timeout:g}s")


def _gave_up(exc: ApiError, webhook: str, waited: float) -> ApiError:
    if webhook:
        text = (f'admission webhook "{webhook}" did not answer within {waited:g}s ({exc}); is the service '
                "behind it running? raise --timeout if it starts slowly")
    else:
        text = (f"the kind is still not served {waited:g}s after its CRD became Established ({exc}); "
                "check the CRD's served versions")
    return ApiError(exc.status, exc.reason, text, exc.body)
