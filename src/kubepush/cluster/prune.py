"""Prune: delete the members of the target's inventory that Git no longer has.

Deleting is the one thing a GitOps tool can do that re-running cannot undo, so the plan
is pure and conservative (:func:`prune_plan`): only members of this target's own set are
candidates - another set's objects and shared objects carry no ``part-of`` label of
ours - and Namespaces, CRDs (which take everything in them along) and objects annotated
``kubepush.dev/prune: disabled`` are kept unless the target allows it. Each delete is
preconditioned on the UID that was listed, so an object recreated meanwhile survives.
Like Flux's ``ssa/manager_delete.go``, one module per operation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kubepush import model as ch
from kubepush.cluster import inventory as inv
from kubepush.cluster.client import Cluster
from kubepush.cluster.errors import ApiError, ClusterError, Unreachable
from kubepush.cluster.listing import Query
from kubepush.cluster.plan import Item
from kubepush.cluster.session import Progress, TargetResult, members
from kubepush.cluster.spec import TargetSpec
from kubepush.manifests.documents import object_ref

PRUNE_ANNOTATION = "kubepush.dev/prune"


@dataclass
class PrunePlan:
    """Members no longer in Git: those to delete, and those kept with the reason."""

    delete: list[dict[str, Any]] = field(default_factory=list)
    kept: list[tuple[dict[str, Any], str]] = field(default_factory=list)


def prune_plan(members: Iterable[dict[str, Any]], desired: set[inv.Key], *, namespaces: bool = False,
               crds: bool = False) -> PrunePlan:
    """Which live members to delete: not desired, not protected, not a Namespace/CRD unless allowed."""
    plan = PrunePlan()
    for obj in members:
        key = inv.live_key(obj)
        if key in desired:
            continue
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        kind = key[1]
        if annotations.get(PRUNE_ANNOTATION) == "disabled":
            plan.kept.append((obj, f'{PRUNE_ANNOTATION}: "disabled"'))
        elif kind == "Namespace" and not namespaces:
            plan.kept.append((obj, "Namespaces are never pruned unless the target sets prune.namespaces: true"))
        elif kind == "CustomResourceDefinition" and not crds:
            plan.kept.append((obj, ("CRDs are never pruned unless the target sets "
                                   "prune.customResourceDefinitions: true")))
        else:
            plan.delete.append(obj)
    return plan


def extra_reason(spec: TargetSpec, kept: str = "") -> str:
    """Why an object of the target's inventory that Git no longer has is still in the cluster."""
    if not spec.prune:
        return ("no longer in Git, left in the cluster: prune is off for this target (delete it, or set "
                "prune: {enabled: true})")
    if kept:
        return f"no longer in Git, left in the cluster: {kept}"
    return "no longer in Git: an apply prunes it (drift --heal too)"


def left_behind(cluster: Cluster, spec: TargetSpec, parent: inv.Parent, state: inv.State, prepared: list[Item],
                concurrency: int, result: TargetResult, listed: Mapping[Query, list[dict[str, Any]]]) -> None:
    """An apply that does not prune says what it leaves behind: each member Git no longer has is an
    ``extra`` change (a warning), the same object diff and drift report from now on. ``listed``:
    what the stages' LISTs found, taken under the apply's lock (no other run of the target writes)."""
    try:
        live = members(cluster, parent, state, concurrency, listed)
    except ApiError:
        return  # only a note: the apply itself went through
    desired = {item.key for item in prepared}
    result.changes.extend(ch.Change(object_ref(obj), ch.EXTRA, extra_reason(spec), target=spec.name, advisory=True)
                          for obj in live if inv.live_key(obj) not in desired)


def prune(cluster: Cluster, spec: TargetSpec, parent: inv.Parent, state: inv.State, prepared: list[Item],
          concurrency: int, progress: Progress, result: TargetResult,
          listed: Mapping[Query, list[dict[str, Any]]]) -> None:
    """Delete what :func:`prune_plan` selects among the set's live members (``state``: the
    kinds and namespaces they may be in; ``listed``: those the stages have listed already, as for
    :func:`left_behind`); a change per member deleted or kept lands in ``result``."""
    try:
        live = members(cluster, parent, state, concurrency, listed)
    except ApiError as exc:
        result.error = f"cannot list the inventory's members to prune them: {exc}; nothing pruned"
        return
    plan = prune_plan(live, {item.key for item in prepared}, namespaces=spec.prune_namespaces,
                      crds=spec.prune_crds)
    for obj, why in plan.kept:
        result.changes.append(ch.Change(object_ref(obj), ch.KEPT, f"not in Git, not pruned: {why}", target=spec.name))
    result.changes.extend(delete_each(cluster, spec, plan.delete, concurrency, progress))


def delete_each(cluster: Cluster, spec: TargetSpec, objs: list[dict[str, Any]], concurrency: int,
                progress: Progress) -> list[ch.Change]:
    """Delete ``objs`` (as listed: each delete preconditioned on its UID), concurrently; a
    ``pruned`` or ``failed`` change each, in order. Apply's prune and ``drift --heal`` share it."""
    def delete(obj: dict[str, Any]) -> ch.Change:
        ref = object_ref(obj)
        try:
            info = cluster.resource(obj["apiVersion"], obj["kind"])
            cluster.delete(info, ref.namespace or None, ref.name, uid=obj["metadata"].get("uid"))
        except Unreachable:
            raise
        except ClusterError as exc:
            return ch.Change(ref, ch.FAILED, f"prune failed: {exc}", target=spec.name)
        progress(f"{ref} pruned")
        return ch.Change(ref, ch.PRUNED, "no longer in Git", target=spec.name)

    if not objs:
        return []
    with ThreadPoolExecutor(max_workers=min(concurrency, len(objs))) as pool:
        return list(pool.map(delete, objs))
