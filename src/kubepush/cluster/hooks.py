"""Running a phase's hooks (see :mod:`kubepush.cluster.rollout`): delete the last run's object,
create the hook, wait for it to finish, say why it failed, apply its delete policy.

A hook is created, not merely applied: a Job whose spec is unchanged must run again, so the
previous run's object is deleted first (``before-creation``) and waited out; a hook named by
``generateName`` is POSTed and the API server names it. Each hook is labelled
``kubepush.dev/hook-of: <inventory id>``, and an existing object without that label is never
deleted: it belongs to someone else (another target, a person), and the hook fails saying so.

A Job or a Pod is waited for until it *completes* (a Job's ``Complete``/``Failed`` condition, a
Pod's ``Succeeded``/``Failed`` phase - a running Pod is not done), within ``--timeout``. A failure
says why: the Job's condition and the termination message of its failed pods' containers (what
the container wrote to ``/dev/termination-log``, or its last log lines with
``terminationMessagePolicy: FallbackToLogsOnError``). Any other kind cannot complete: it is
created and judged by the usual health rules (a ConfigMap at once), and its change says so.

Hooks of one wave run concurrently; the waves of a phase in ascending order, a failed wave
stopping the later ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from kubepush import model as ch
from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.errors import ClusterError, Unreachable
from kubepush.cluster.health import CURRENT, FAILED, IN_PROGRESS, Health, health
from kubepush.cluster.readiness import Waiter
from kubepush.cluster.rollout import BEFORE_CREATION, ON_HOOK_FAILURE, ON_SUCCESS, Hook
from kubepush.cluster.wait import Watched, wait_for

HOOK_OF = "kubepush.dev/hook-of"
#: Kinds that run to completion; anything else is only created.
COMPLETES = frozenset({"Job", "Pod"})
#: The label the Job controller puts on its pods (1.27+), then the older one.
JOB_LABELS = ("batch.kubernetes.io/job-name", "job-name")


@dataclass
class Phase:
    """What running a phase needs to know about the run."""

    cluster: Cluster
    target: str
    #: the target's inventory id (the hooks' ``hook-of`` label), or the target name without one
    owner: str
    timeout: float
    progress: Callable[[str], None]
    waiter: Waiter


def run(phase: Phase, hooks: list[Hook]) -> tuple[list[ch.Change], bool]:
    """Run ``hooks`` (one phase's, in wave order): a change per hook, and whether all succeeded.
    Hooks of a wave after a failed one are ``not-applied``."""
    changes: list[ch.Change] = []
    ok = True
    for _, group in groupby(hooks, key=lambda h: h.wave):
        batch = list(group)
        if not ok:
            changes.extend(ch.Change.of(h.item, ch.SKIPPED, f"{h.phase} hook not run: an earlier hook failed",
                                        phase.target) for h in batch)
            continue
        with ThreadPoolExecutor(max_workers=min(8, len(batch))) as pool:
            done = list(pool.map(lambda h: _one(phase, h), batch))
        changes.extend(done)
        ok = not any(c.failed for c in done)
    return changes, ok


def _one(phase: Phase, hook: Hook) -> ch.Change:
    item, cluster = hook.item, phase.cluster
    obj = _labelled(item.obj, phase.owner)
    meta = obj["metadata"]
    namespace = meta.get("namespace") or None
    shown = "/".join(p for p in (namespace, meta.get("name") or f"{meta.get('generateName', '')}*") if p)
    what = f"{hook.phase} hook {item.ref.kind} {shown}"

    def change(action: str, reason: str, live: dict[str, Any] | None = None) -> ch.Change:
        return ch.Change.of(item, action, f"{hook.phase} hook: {reason}", phase.target, live)

    try:
        info = cluster.resource(obj["apiVersion"], obj["kind"])
        if meta.get("name") and BEFORE_CREATION in hook.policies:
            refusal = _delete_previous(phase, info, namespace, meta["name"])
            if refusal:
                return change(ch.FAILED, refusal)
        phase.progress(f"{what}: creating")
        live = phase.waiter.write(info, what, lambda: cluster.create(info, obj) if not meta.get("name")
                                  else cluster.apply(info, obj))
    except Unreachable:
        raise
    except ClusterError as exc:
        return change(ch.FAILED, f"not created: {exc}")
    name = live["metadata"]["name"]
    if not meta.get("name"):
        what = f"{what[:-1]}{name[len(meta.get('generateName', '')):]}"
    watched = Watched(0, info, namespace, name, live)
    state = wait_for(cluster, [watched], phase.timeout, rule=completion,
                     on_change=lambda w, h: phase.progress(f"{what}: {h.state}" + (f": {h.message}" if h.message
                                                                                   else "")))[0]
    succeeded = state.state == CURRENT
    reason = state.message or ("done" if succeeded else "failed")
    if not succeeded:
        if state.message.startswith("timed out"):
            reason = f"did not finish within --timeout {phase.timeout:g}s ({state.message})"
        why = _pod_failures(cluster, item.ref.kind, namespace, name, watched.obj)
        if why:
            reason += "; " + "; ".join(why)
        phase.progress(f"{what} FAILED: {reason}")
    if item.ref.kind not in COMPLETES:
        reason = f"created only: a {item.ref.kind} does not run to completion ({reason})"
    if (succeeded and ON_SUCCESS in hook.policies) or (not succeeded and ON_HOOK_FAILURE in hook.policies):
        policy = ON_SUCCESS if succeeded else ON_HOOK_FAILURE
        try:
            cluster.delete(info, namespace, name)
            reason += f"; deleted (delete policy {policy})"
        except Unreachable:
            raise
        except ClusterError as exc:
            reason += f"; could not be deleted (delete policy {policy}): {exc}"
    if not meta.get("name"):
        reason += f" (created as {name})"
    return change(ch.CREATED if succeeded else ch.FAILED, reason, watched.obj)


def completion(obj: dict[str, Any]) -> Health:
    """A hook's verdict: done only when it ran to completion (a Pod that is Ready is still running)."""
    if obj.get("kind") == "Pod":
        phase = (obj.get("status") or {}).get("phase")
        if phase == "Succeeded":
            return Health(CURRENT, "Succeeded")
        if phase == "Failed":
            return Health(FAILED, "Failed" + (f": {obj['status'].get('reason')}" if obj["status"].get("reason")
                                              else ""))
        return Health(IN_PROGRESS, f"phase {phase or 'Pending'}")
    return health(obj)


def _labelled(obj: dict[str, Any], owner: str) -> dict[str, Any]:
    meta = dict(obj.get("metadata") or {})
    meta["labels"] = {**(meta.get("labels") or {}), HOOK_OF: owner}
    return {**obj, "metadata": meta}


def _delete_previous(phase: Phase, info: ResourceInfo, namespace: str | None, name: str) -> str:
    """Delete the previous run's hook and wait until it is gone; the refusal when it is not ours."""
    cluster = phase.cluster
    live = cluster.get(info, namespace, name)
    if live is None:
        return ""
    labels = (live.get("metadata") or {}).get("labels") or {}
    if labels.get(HOOK_OF) != phase.owner:
        whose = f"it is a hook of {labels[HOOK_OF]}" if labels.get(HOOK_OF) else "it is not a kubepush hook"
        return (f"{info.kind} {'/'.join(p for p in (namespace, name) if p)} already exists and {whose}, not of "
                "this target: not deleted; rename the hook or use generateName")
    cluster.delete(info, namespace, name, uid=live["metadata"].get("uid"))
    deadline = time.monotonic() + phase.timeout
    pause = 0.05
    while cluster.get(info, namespace, name) is not None:
        if time.monotonic() > deadline:
            return f"the previous run's {info.kind} {name} is still being deleted after {phase.timeout:g}s"
        time.sleep(pause)
        pause = min(1.0, pause * 2)
    return ""


def _pod_failures(cluster: Cluster, kind: str, namespace: str | None, name: str, live: dict[str, Any]) -> list[str]:
    """Why the hook's pods failed: each failed container's exit code, reason and termination message."""
    if kind == "Pod":
        pods = [live]
    elif kind == "Job":
        pods = []
        try:
            info = cluster.resource("v1", "Pod")
            for label in JOB_LABELS:
                pods = cluster.list(info, namespace, f"{label}={name}")
                if pods:
                    break
        except Unreachable:
            raise
        except ClusterError:
            return []
    else:
        return []
    found = []
    for pod in pods:
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        for status in statuses:
            ended = (status.get("state") or {}).get("terminated") or (status.get("lastState") or {}).get(
                "terminated") or {}
            if not ended or ended.get("exitCode", 0) == 0:
                continue
            text = " ".join(str(ended.get("message") or "").split())[:500]
            found.append(f"pod {pod['metadata']['name']} container {status.get('name')} exited "
                         f"{ended.get('exitCode')} ({ended.get('reason') or 'Error'})" + (f": {text}" if text else ""))
    return found[:5]
