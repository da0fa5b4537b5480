"""One apply per target at a time: a lease-style lock on the inventory parent.

Two pipelines applying one target at once would each prune the other's objects
and leave the cluster matching neither revision. The lock is the annotation
``kubepush.dev/apply-lock: <holder> <expiry>``, written by server-side apply under
a field manager unique to this run and *without* force: while another run's
manager owns the annotation the API server answers 409, so the second run waits
(applies are serialized) until the lock is released or expires. The holder renews
the expiry while it works, so a run killed with -9 blocks the next one for one
lease duration at most. Releasing applies an empty configuration under the same
manager, which removes the annotation.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.errors import ApiError, ClusterError, LockHeld
from kubepush.cluster.inventory import Parent

LOCK_ANNOTATION = "kubepush.dev/apply-lock"
LEASE_SECONDS = 15.0


@dataclass
class ApplyLock:
    cluster: Cluster
    info: ResourceInfo
    parent: Parent
    wait: float  # how long to wait for another run's lock
    progress: Callable[[str], None] = lambda message: None
    holder: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _stop: threading.Event = field(default_factory=threading.Event)
    _renewer: threading.Thread | None = None
    #: the inventory parent as the API server answered the claim that took the lock: what a GET
    #: right after it would return, so the apply reads the inventory from it (one round trip less)
    live: dict[str, Any] | None = None

    @property
    def manager(self) -> str:
        return f"kubepush-lock-{self.holder}"

    def _write(self, annotations: dict[str, str], force: bool) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": self.parent.name, "namespace": self.parent.namespace}
        if annotations:
            meta["annotations"] = annotations
        return self.cluster.apply(self.info, {"apiVersion": "v1", "kind": self.parent.kind, "metadata": meta},
                                  force=force, manager=self.manager)

    def _claim(self, force: bool) -> dict[str, Any]:
        return self._write({LOCK_ANNOTATION: f"{self.holder} {int(time.time() + LEASE_SECONDS)}"}, force)

    def acquire(self) -> None:
        """Take the lock, waiting while another run holds it; :class:`LockHeld` after ``wait``."""
        deadline = time.monotonic() + self.wait
        announced = False
        while True:
            try:
                self.live = self._claim(force=False)
                break
            except ApiError as exc:
                if exc.status != 409:
                    raise
            holder, expiry = self._current()
            if expiry < time.time():  # left by a run that died: take it over
                self.live = self._claim(force=True)
                break
            if time.monotonic() > deadline:
                raise LockHeld(f"another kubepush apply still holds this target (lock {holder} on "
                               f"{self.parent.kind}/{self.parent.namespace}/{self.parent.name}); re-run when "
                               "it has finished") from None
            if not announced:
                self.progress(f"waiting for another kubepush apply on this target to finish (lock {holder})")
                announced = True
            time.sleep(1.0)
        self._renewer = threading.Thread(target=self._renew, name="kubepush-lock", daemon=True)
        self._renewer.start()

    def _current(self) -> tuple[str, float]:
        current = self.cluster.get(self.info, self.parent.namespace, self.parent.name) or {}
        value = ((current.get("metadata") or {}).get("annotations") or {}).get(LOCK_ANNOTATION, "")
        holder, _, expiry = value.partition(" ")
        return holder, float(expiry) if expiry.isdigit() else 0.0

    def _renew(self) -> None:
        while not self._stop.wait(LEASE_SECONDS / 3):
            try:
                self._claim(force=True)
            except ClusterError:
                pass  # the next renewal (or the expiry) settles it

    def release(self) -> None:
        """Stop renewing and drop the annotation; best effort (an unreachable cluster lets it expire)."""
        if self._renewer is None:
            return
        self._stop.set()
        self._renewer.join()
        self._renewer = None
        try:
            self._write({}, force=False)
        except ClusterError:
            pass
