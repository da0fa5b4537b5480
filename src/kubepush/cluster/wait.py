"""Waiting for health: poll the objects still in progress until all are done or the deadline.

The rules are :func:`kubepush.cluster.health.health`; this module fetches (:func:`wait_for`)
and records the verdicts on what an apply did (:func:`ready` for the CRDs and Namespaces
later stages need, :func:`healthy` at the end), like Flux's ``ssa/manager_wait.go``. Objects
that are already current in the apply response (ConfigMaps, RBAC, ...) are never
fetched again. Polling starts fast and backs off, so a rollout that finishes quickly
is seen quickly and a slow one does not hammer the API server. Every change of an
object's state is reported through ``on_change`` (one line per change in CI logs).

A cluster that stops answering (connections refused, or requests that time out) is not
waited on until the deadline: after ``LOST_AFTER`` polling rounds in a row in which no
read got an answer, :class:`LostContact` is raised with the verdicts known so far. One
failed round - an apiserver restarting, a load balancer failing over - is ridden out.
Objects applied but not yet seen healthy by then are ``not-verified``, never ``unhealthy``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubepush import model as ch
from kubepush.cluster.applier import Applied
from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.errors import ClusterError, Unreachable
from kubepush.cluster.health import CURRENT, FAILED, IN_PROGRESS, Health, health

FIRST_INTERVAL, MAX_INTERVAL = 0.1, 2.0
#: Rounds in a row without any answer that mean the cluster is gone, and the pause before
#: retrying after such a round (so a few seconds of outage are ridden out).
LOST_AFTER, RETRY_UNREACHABLE = 3, 1.0


class LostContact(Unreachable):
    """The cluster stopped answering while waiting; ``states`` holds the verdicts known by then."""

    def __init__(self, cause: Unreachable, states: dict[int, Health]) -> None:
        super().__init__(str(cause))
        self.states = states


@dataclass(slots=True)
class Watched:
    """One object to wait for: how to fetch it, and its last known state."""

    key: int  #: the object's position in what the caller watches
    info: ResourceInfo
    namespace: str | None
    name: str
    obj: dict[str, Any]


def wait_for(cluster: Cluster, objects: list[Watched], timeout: float, *,
             on_change: Callable[[Watched, Health], None] = lambda w, h: None, workers: int = 8,
             stop: threading.Event | None = None, rule: Callable[[dict[str, Any]], Health] = health
             ) -> dict[int, Health]:
    """Final health per key; objects still in progress at the deadline are failed ("timed out").
    ``rule`` judges a live object (a hook waits for completion, not readiness: :mod:`.hooks`).

    Raises :class:`LostContact` when the cluster stops answering (see the module docstring).
    """
    deadline = time.monotonic() + timeout
    states: dict[int, Health] = {}
    pending: list[Watched] = []
    for w in objects:
        states[w.key] = rule(w.obj)
        on_change(w, states[w.key])
        if states[w.key].state == IN_PROGRESS:
            pending.append(w)
    interval = FIRST_INTERVAL
    stop = stop or threading.Event()
    silent: list[Unreachable] = []  # the failures of the last rounds that got no answer at all
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while pending:
            remaining = deadline - time.monotonic()
            pause = max(interval, RETRY_UNREACHABLE) if silent else interval
            if remaining <= 0 or stop.wait(min(pause, remaining)):
                break
            interval = min(MAX_INTERVAL, interval * 1.5)
            fetched = list(pool.map(lambda w: _fetch(cluster, w), pending))
            lost = [f for f in fetched if isinstance(f, Unreachable)]
            silent = silent + lost[:1] if len(lost) == len(fetched) else []
            if len(silent) >= LOST_AFTER:
                raise LostContact(silent[-1], states)
            for w, got in zip(pending, fetched, strict=True):
                if isinstance(got, Unreachable):
                    continue  # no news: the last verdict stands
                new = got if isinstance(got, Health) else rule(got)
                if new != states[w.key]:
                    states[w.key] = new
                    on_change(w, new)
            pending = [w for w in pending if states[w.key].state == IN_PROGRESS]
    if silent:  # the deadline came while the cluster was not answering: health is unknown, not failed
        raise LostContact(silent[-1], states)
    for w in pending:
        last = states[w.key].message
        states[w.key] = Health(FAILED, f"timed out after {timeout:g}s waiting ({last})" if last
                               else f"timed out after {timeout:g}s")
        on_change(w, states[w.key])
    return states


def _fetch(cluster: Cluster, w: Watched) -> dict[str, Any] | Health | Unreachable:
    """The live object, a verdict when it cannot be read (gone, the API failing), or the
    connection failure when the cluster did not answer at all."""
    try:
        obj = cluster.get(w.info, w.namespace, w.name)
    except Unreachable as exc:
        return exc
    except ClusterError as exc:
        return Health(IN_PROGRESS, f"cannot read status: {exc}")
    if obj is None:
        return Health(FAILED, "the object disappeared while waiting")
    w.obj = obj
    return obj


def ready(cluster: Cluster, done: list[Applied], timeout: float, progress: Callable[[str], None]) -> bool:
    """Stage 1 gate (even with --no-wait): CRDs Established and Namespaces Active before anything uses them.

    Raises :class:`LostContact` (what was not yet seen ready marked ``not-verified``) when the cluster goes.
    """
    watched = [Watched(i, a.info, None, a.item.ref.name, a.live) for i, a in enumerate(done)
               if a.live and a.info is not None]
    try:
        states = wait_for(cluster, watched, timeout,
                          on_change=lambda w, h: progress(f"{done[w.key].item.ref}: {h.state} {h.message}".rstrip())
                          if h.state != "current" else None)
    except LostContact as exc:
        _not_verified(done, exc.states)
        raise
    ok = True
    for key, state in states.items():
        if state.state == FAILED:
            change = done[key].change
            change.action, change.reason = ch.UNHEALTHY, state.message
            ok = False
    return ok


def healthy(cluster: Cluster, applied: list[Applied], timeout: float, concurrency: int,
            progress: Callable[[str], None]) -> bool:
    """Wait until every applied object is healthy (its change becomes ``unhealthy`` when it is not).

    Raises :class:`LostContact` (what was not yet seen healthy marked ``not-verified``) when the cluster goes.
    """
    watched = [Watched(i, a.info, a.item.ref.namespace or None, a.item.ref.name, a.live)
               for i, a in enumerate(applied) if a.live is not None and a.info is not None]

    def on_change(w: Watched, h: Health) -> None:
        if h.state != "current" or w.key in reported:
            progress(f"{applied[w.key].item.ref}: {h.state}{': ' + h.message if h.message else ''}")
        if h.state != "current":
            reported.add(w.key)

    reported: set[int] = set()
    progress(f"waiting for {ch.plural(len(watched), 'object')} to become healthy (timeout {timeout:g}s)")
    try:
        states = wait_for(cluster, watched, timeout, on_change=on_change, workers=min(8, concurrency))
    except LostContact as exc:
        _not_verified(applied, exc.states)
        raise
    ok = True
    for key, state in states.items():
        change = applied[key].change
        if state.state == FAILED:
            change.action, change.reason = ch.UNHEALTHY, state.message
            ok = False
        elif state.message and not change.reason:
            change.reason = state.message
    return ok


def _not_verified(applied: list[Applied], states: dict[int, Health]) -> None:
    """After losing the cluster mid-wait: what was not yet seen healthy is unknown, not unhealthy."""
    for key, state in states.items():
        if state.state != CURRENT:
            change = applied[key].change
            last = f" (last seen: {state.message})" if state.message else ""
            change.reason = (f"applied ({change.action}), health not verified: the cluster stopped answering "
                             f"while waiting{last}")
            change.action = ch.NOT_VERIFIED
