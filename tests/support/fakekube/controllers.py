"""Stand-ins for kube-controller-manager, off unless a test turns them on.

A tool that applies and then waits (``kubepush apply --wait``) runs to completion inside
one call, so a test cannot step in between to report the rollout. With these on, the
fake reacts to writes the way the real controllers eventually would: workloads whose
new generation was not yet observed roll out (or fail), Jobs finish, claims bind.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .schema import ResourceType

if TYPE_CHECKING:
    from .fake import FakeKube

_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


@dataclass
class Controllers:
    """What to do after writes: ``rollouts``/``jobs``/``pods`` are "complete", "fail" or None
    (``jobs`` also a map from a Job's name or generateName to one of them)."""

    rollouts: str | None = None
    jobs: str | dict[str, str] | None = None
    bind_pvcs: bool = False
    pods: str | None = None
    termination_message: str = ""
    #: Seconds between the write and the status update (a rollout takes time).
    delay: float = 0.0
    _timers: list[threading.Timer] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_write(self, fake: FakeKube, rt: ResourceType, obj: dict[str, Any], event: str) -> None:
        """Called (under the store lock) after every persisted write; schedules the reaction."""
        meta = obj["metadata"]
        action = None
        if rt.kind in _WORKLOADS and self.rollouts and event in ("ADDED", "MODIFIED"):
            if (obj.get("status") or {}).get("observedGeneration") != meta.get("generation"):
                action = self._rollout(fake, rt.kind, meta["namespace"], meta["name"], meta.get("generation"))
        elif rt.kind == "Job" and self.jobs and event == "ADDED":
            outcome = self.jobs if isinstance(self.jobs, str) else (
                self.jobs.get(meta["name"]) or self.jobs.get(meta.get("generateName", "")))
            if outcome == "complete":
                action = functools.partial(fake.job_complete, meta["namespace"], meta["name"])
            elif outcome == "fail":
                action = functools.partial(fake.job_fail, meta["namespace"], meta["name"],
                                           termination_message=self.termination_message or None)
        elif rt.kind == "Pod" and self.pods and event == "ADDED" and not (meta.get("labels") or {}).get("job-name"):
            action = functools.partial(fake.pod_terminated, meta["namespace"], meta["name"],
                                       0 if self.pods == "complete" else 1, self.termination_message)
        elif rt.kind == "PersistentVolumeClaim" and self.bind_pvcs and event == "ADDED":
            action = functools.partial(fake.pvc_bound, meta["namespace"], meta["name"])
        if action is not None:
            timer = threading.Timer(self.delay, self._run, args=(action,))
            timer.daemon = True
            with self._lock:
                self._timers = [t for t in self._timers if t.is_alive()] + [timer]
            timer.start()

    def _rollout(self, fake: FakeKube, kind: str, namespace: str, name: str, generation: Any
                 ) -> Callable[[], None]:
        def act() -> None:
            live = fake.get(kind, namespace, name)
            if live is None or live["metadata"].get("generation") != generation:
                return  # deleted or superseded by a newer write, which has its own reaction
            if self.rollouts == "complete":
                fake.rollout_complete(kind, namespace, name)
            else:
                fake.rollout_fail(kind, namespace, name)
        return act

    @staticmethod
    def _run(action: Callable[[], Any]) -> None:
        try:
            action()
        except KeyError:
            pass  # the object went away before the controller got to it

    def cancel(self) -> None:
        with self._lock:
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
