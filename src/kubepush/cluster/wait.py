"""Waiting for health: poll the objects still in progress until all are done or the deadline.

The rules are :func:`kubepush.cluster.health.health`; this module only fetches. Objects
that are already current in the apply response (ConfigMaps, RBAC, ...) are never
fetched again. Polling starts fast and backs off, so a rollout that finishes quickly
is seen quickly and a slow one does not hammer the API server. Every change of an
object's state is reported through ``on_change`` (one line per change in CI logs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubepush.cluster.client import Cluster, ClusterError, ResourceInfo
from kubepush.cluster.health import FAILED, IN_PROGRESS, Health, health

FIRST_INTERVAL, MAX_INTERVAL = 0.1, 2.0


@dataclass(slots=True)
class Watched:
    """One object to wait for: how to fetch it, and its last known state."""

    key: Hashable
    info: ResourceInfo
    namespace: str | None
    name: str
    obj: dict[str, Any]


def wait_for(cluster: Cluster, objects: list[Watched], timeout: float, *,
             on_change: Callable[[Watched, Health], None] = lambda w, h: None, workers: int = 8,
             stop: threading.Event | None = None) -> dict[Hashable, Health]:
    """Final health per key; objects still in progress at the deadline are failed ("timed out")."""
    deadline = time.monotonic() + timeout
    states: dict[Hashable, Health] = {}
    pending: list[Watched] = []
    for w in objects:
        states[w.key] = health(w.obj)
        on_change(w, states[w.key])
        if states[w.key].state == IN_PROGRESS:
            pending.append(w)
    interval = FIRST_INTERVAL
    stop = stop or threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or stop.wait(min(interval, remaining)):
                break
            interval = min(MAX_INTERVAL, interval * 1.5)
            for w, fetched in zip(pending, pool.map(lambda w: _fetch(cluster, w), pending), strict=True):
                new = fetched if isinstance(fetched, Health) else health(fetched)
                if new != states[w.key]:
                    states[w.key] = new
                    on_change(w, new)
            pending = [w for w in pending if states[w.key].state == IN_PROGRESS]
    for w in pending:
        last = states[w.key].message
        states[w.key] = Health(FAILED, f"timed out after {timeout:g}s waiting ({last})" if last
                               else f"timed out after {timeout:g}s")
        on_change(w, states[w.key])
    return states


def _fetch(cluster: Cluster, w: Watched) -> dict[str, Any] | Health:
    """The live object, or a verdict when it cannot be read (gone, or the API failing)."""
    try:
        obj = cluster.get(w.info, w.namespace, w.name)
    except ClusterError as exc:
        return Health(IN_PROGRESS, f"cannot read status: {exc}")
    if obj is None:
        return Health(FAILED, "the object disappeared while waiting")
    w.obj = obj
    return obj
