"""What a real API server answers while something a write needs is not up yet.

* An admission webhook whose service does not answer: the apiserver's webhook dispatcher wraps
  the transport failure in ``ErrCallingWebhook`` (``failed calling webhook %q: %v``,
  kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/admission/plugin/webhook/errors/errors.go),
  whose reason is ``failed to call webhook: <the client error>`` (webhook/request callHook: a
  ``Post "https://<service>.<namespace>.svc:443/<path>?timeout=10s"`` url.Error with ``dial tcp
  <ip>:443: connect: connection refused``, or ``no endpoints available for service "<service>"``
  from the service resolver), and answers it with ``apierrors.NewInternalError``
  (webhook/validating/dispatcher.go, webhook/mutating/dispatcher.go): 500, reason
  ``InternalError``, message ``Internal error occurred: <err>``, details.causes ``[{message: <err>}]``
  (k8s.io/apimachinery/pkg/api/errors NewInternalError) - :func:`status.internal_error`.
* Discovery lag: a CRD is Established but the apiserver does not route its kind yet - a request
  for it gets the stock 404 (``the server could not find the requested resource``, no details)
  until the client has fetched the group-version's discovery document again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from . import status


@dataclass
class Webhook:
    """A failing webhook on writes of some resources (plurals); ``times`` None: until it comes up."""

    name: str
    resources: tuple[str, ...]
    service: str = "webhook-service"
    namespace: str = "default"
    #: "refused" (the pods listen nowhere yet) or "no-endpoints" (no ready pod behind the service)
    cause: str = "refused"
    times: int | None = None
    calls: int = 0

    def error(self) -> status.ApiError:
        url = f"https://{self.service}.{self.namespace}.svc:443/validate?timeout=10s"
        if self.cause == "no-endpoints":
            detail = f'Post "{url}": no endpoints available for service "{self.service}"'
        else:
            detail = f'Post "{url}": dial tcp 10.96.113.7:443: connect: connection refused'
        return status.internal_error(f'failed calling webhook "{self.name}": failed to call webhook: {detail}')


@dataclass
class Admission:
    lock: threading.Lock = field(default_factory=threading.Lock)
    webhooks: list[Webhook] = field(default_factory=list)
    #: group-versions whose kinds are not routed yet, and whether a request has been refused since
    lagging: dict[tuple[str, str], bool] = field(default_factory=dict)
    lag_new_crds: bool = False

    def check_write(self, plural: str, verb: str) -> None:
        """Raise the webhook failure for a write a failing webhook intercepts."""
        if verb not in ("create", "update", "patch"):
            return
        with self.lock:
            for hook in self.webhooks:
                if plural in hook.resources:
                    hook.calls += 1
                    if hook.times is not None and hook.calls >= hook.times:
                        self.webhooks.remove(hook)
                    raise hook.error()

    def up(self, name: str) -> None:
        with self.lock:
            self.webhooks = [h for h in self.webhooks if h.name != name]

    def crd_written(self, group: str, versions: list[str]) -> None:
        if self.lag_new_crds:
            with self.lock:
                for version in versions:
                    self.lagging.setdefault((group, version), False)

    def check_routed(self, group: str, version: str) -> None:
        with self.lock:
            if (group, version) in self.lagging:
                self.lagging[(group, version)] = True
                raise status.ApiError(404, "NotFound", "the server could not find the requested resource")

    def discovered(self, group: str, version: str) -> None:
        """A discovery GET of the group-version: routed from now on, once a request was refused."""
        with self.lock:
            if self.lagging.get((group, version)):
                del self.lagging[(group, version)]
