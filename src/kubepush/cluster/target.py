"""One target, end to end: what to apply (from kubepush.yaml and flags) and the apply itself.

The steps, each stopping the run when it fails:

1. guardrails on the rendered objects, before any call to the cluster (and, for custom
   kinds whose scope only discovery knows, before any write);
2. connect and prove the cluster answers (``/version``) - nothing changes otherwise;
3. objects whose live copy belongs to another inventory are refused (unless taken over,
   see :mod:`kubepush.cluster.ownership`); the inventory parent is read and widened (after
   stage 1, whose Namespace it may need);
4. the stages, each waiting for its CRDs/Namespaces to be usable before the next;
5. prune what left Git, then narrow the inventory and record the revision;
6. wait for health; record the revision as healthy (only a commit - not a dirty working tree -
   whose objects all became healthy; never with ``--no-wait``), or roll back when asked to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from kubepush import model as ch
from kubepush.cluster import compare
from kubepush.cluster import inventory as inv
from kubepush.cluster import ownership
from kubepush.cluster.apply import Applied, Applier, StageLost
from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.errors import ApiError, ClusterError, LockHeld, Unreachable
from kubepush.cluster.lock import ApplyLock
from kubepush.cluster.health import CURRENT, FAILED, Health
from kubepush.cluster.identity import Source
from kubepush.cluster.migrate import Legacy
from kubepush.cluster.plan import (
    STAGE_NAMES,
    Guardrails,
    Item,
    Scope,
    duplicates,
    group_of,
    stages,
    static_scope,
    violations,
    with_namespaces,
)
from kubepush.cluster.shared import Shared
from kubepush.cluster.wait import LostContact, Watched, wait_for
from kubepush.errors import UsageError
from kubepush.gitops.revisions import is_dirty
from kubepush.manifests.documents import object_ref
from kubepush.model import Finding


@dataclass
class TargetSpec:
    """Everything about one target that is not the manifests."""

    name: str
    paths: list[str]
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    guard: Guardrails = field(default_factory=Guardrails)
    inventory: bool = True
    inventory_kind: str = "Secret"
    inventory_name: str = ""
    prune: bool = False
    prune_namespaces: bool = False
    prune_crds: bool = False
    recreate: bool = False
    #: where the manifests come from (recorded on the inventory parent, names it when derived)
    source: Source | None = None
    #: the parent name of an earlier kubepush version, looked for to migrate ("" for none)
    legacy_inventory: str = ""
    shared: Shared = field(default_factory=Shared)

    @classmethod
    def from_config(cls, raw: dict[str, Any], path: str, kubeconfig: str | None, context: str | None
                    ) -> TargetSpec:
        prune = raw.get("prune", False)
        prune = {"enabled": prune} if isinstance(prune, bool) else prune
        inventory = raw.get("inventory", True)
        inventory = {"enabled": inventory} if isinstance(inventory, bool) else {"enabled": True, **inventory}
        return cls(
            name=raw.get("name", "default"), paths=[path], kubeconfig=kubeconfig or raw.get("kubeconfig"),
            context=context or raw.get("context"), namespace=raw.get("namespace"),
            guard=Guardrails.from_target(raw), inventory=bool(inventory.get("enabled", True)),
            inventory_kind=inventory.get("kind", "Secret"), inventory_name=inventory.get("name", ""),
            prune=bool(prune.get("enabled", False)), prune_namespaces=bool(prune.get("namespaces", False)),
            prune_crds=bool(prune.get("customResourceDefinitions", False)),
            recreate=bool(raw.get("recreate", False)),
        )


@dataclass
class ApplyOptions:
    force: bool = True
    wait: bool = True
    timeout: float = 300.0
    concurrency: int = 16
    revision: str = ""
    request_timeout: float = 30.0
    #: On failed health, re-apply the last revision that applied healthy (read through ``load_revision``).
    rollback: bool = False
    load_revision: Callable[[TargetSpec, str], list[Item]] | None = None
    #: apply objects another inventory owns, moving them into this one (reported per object)
    take_over: bool = False
    #: move the members of the target's inventory of an earlier version that Git does not declare
    adopt_inventory: bool = False
    #: ``drift.ignore``: fields of live objects that apply leaves as they are
    ignore: tuple[compare.IgnoreRule, ...] = ()


@dataclass
class TargetResult:
    """Per target: a change per object, findings that refused the run, or an environment error."""

    name: str
    changes: list[ch.Change] = field(default_factory=list)
    refused: list[Finding] = field(default_factory=list)
    error: str = ""
    healthy: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.error or self.refused or any(c.failed for c in self.changes))


Progress = Callable[[str], None]


def refuse(spec: TargetSpec, items: list[Item], scope: Scope) -> list[Finding]:
    """Guardrail and duplicate findings for the whole set (every offending object)."""
    found = violations(items, spec.guard, scope) + duplicates(items)
    for f in found:
        f.message = f"[{spec.name}] {f.message}"
    return found


def unknown_kinds(spec: TargetSpec, items: list[Item], scope: Scope) -> list[Finding]:
    """Objects whose kind the cluster does not serve and no CRD in the set defines: refused up
    front, so a missing CRD does not leave a half-applied target behind."""
    found = []
    for item in items:
        ref = item.ref
        if scope(ref.api_version, ref.kind) is None:
            found.append(Finding(
                rule="unknown-kind", file=item.file, line=item.line, document=item.document, object=ref,
                message=f"[{spec.name}] the cluster does not serve {ref.kind} in {ref.api_version} and no "
                        "CustomResourceDefinition for it is in this target: nothing applied",
                hint="install the CRD first, or add it to the target's manifests"))
    return found


def connect(spec: TargetSpec, options: ApplyOptions, items: Iterable[Item] = ()) -> Cluster:
    """A checked connection; discovery of the items' group-versions runs alongside the check."""
    cluster = Cluster(spec.kubeconfig, spec.context, pool_size=options.concurrency, timeout=options.request_timeout)
    with ThreadPoolExecutor(max_workers=1) as pool:
        warm = pool.submit(cluster.prefetch, {item.obj.get("apiVersion", "") for item in items} - {""})
        try:
            cluster.check()
        finally:
            warm.result()
    return cluster


def discovery_scope(cluster: Cluster, static: Scope) -> Scope:
    """Scope from the objects themselves first, discovery for custom kinds defined elsewhere."""
    def namespaced(api_version: str, kind: str) -> bool | None:
        known = static(api_version, kind)
        if known is not None:
            return known
        try:
            return cluster.resource(api_version, kind).namespaced
        except Unreachable:
            raise
        except ClusterError:
            return None
    return namespaced


def prepare(spec: TargetSpec, items: list[Item], cluster: Cluster) -> tuple[list[Item], Scope, inv.Parent | None]:
    """Namespaces filled in, members labelled: the objects exactly as they will be applied."""
    scope = discovery_scope(cluster, static_scope(items))
    namespace = spec.namespace or cluster.namespace
    prepared = with_namespaces(items, scope, namespace)
    parent = inventory_parent(spec, namespace)
    if parent:
        inv.label_members([item for item in prepared if item not in spec.shared], parent)
    return prepared, scope, parent


def inventory_parent(spec: TargetSpec, namespace: str) -> inv.Parent | None:
    """Where the target's inventory lives (``None`` with ``inventory: false``); ``namespace`` is the
    target's, or the kubeconfig context's when the target names none."""
    if not spec.inventory:
        return None
    return inv.Parent.for_target(spec.inventory_name or f"kubepush-{spec.name}", namespace, spec.inventory_kind,
                                 spec.name, spec.source)


def claims(spec: TargetSpec, parent: inv.Parent) -> ownership.Claims:
    legacy = inv.Parent(spec.legacy_inventory, parent.namespace, parent.kind).id if spec.legacy_inventory else ""
    return ownership.Claims(parent, legacy, spec.source)


def foreign(cluster: Cluster, spec: TargetSpec, parent: inv.Parent, items: list[Item],
            labels: dict[inv.Key, str]) -> list[tuple[Item, ownership.Owner]]:
    """The items whose live copy (``labels``: its part-of label by key) belongs to another inventory."""
    rules = claims(spec, parent)
    suspects = {key: label for key, label in labels.items() if label not in ("", parent.id, rules.legacy)}
    owners = ownership.owners(cluster, suspects.values(), {key[2] for key in suspects if key[2]})
    return [(item, owners[suspects[item.key]]) for item in items if item.key in suspects
            and rules.foreign(item, suspects[item.key], owners[suspects[item.key]], item in spec.shared)]


def apply_target(spec: TargetSpec, items: list[Item], options: ApplyOptions, progress: Progress) -> TargetResult:
    """Apply one target; never raises for cluster trouble (it lands in the result)."""
    result = TargetResult(spec.name)
    result.refused = refuse(spec, items, static_scope(items))
    if result.refused:
        return result
    try:
        cluster = connect(spec, options, items)
    except UsageError as exc:
        result.error = str(exc)
        return result
    try:
        return _apply(spec, items, options, progress, cluster, result)
    except Unreachable as exc:
        during = f" during {exc.phase}" if isinstance(exc, Lost) else ""
        result.error = f"cluster {cluster.host} became unreachable{during}: {exc}; re-run to converge"
        if not result.changes:  # lost before the first stage: say that nothing was applied
            _skip_rest([items], spec.name, result, "the cluster became unreachable before anything was applied")
        return result
    finally:
        cluster.close()


class Lost(Unreachable):
    """The cluster stopped answering in the middle of ``phase`` ("pruning", "waiting for health"...)."""

    def __init__(self, phase: str, cause: Unreachable) -> None:
        super().__init__(str(cause))
        self.phase = phase


@contextlib.contextmanager
def _phase(phase: str) -> Iterator[None]:
    """Name what the run was doing when the cluster went away (the innermost phase wins)."""
    try:
        yield
    except Lost:
        raise
    except Unreachable as exc:
        raise Lost(phase, exc) from None


def _apply(spec: TargetSpec, items: list[Item], options: ApplyOptions, progress: Progress, cluster: Cluster,
           result: TargetResult, lock: bool = True) -> TargetResult:
    prepared, scope, parent = prepare(spec, items, cluster)
    result.refused = refuse(spec, prepared, scope) + unknown_kinds(spec, prepared, scope)
    if result.refused:
        return result
    taken: dict[tuple[str, str, str, str], ownership.Owner] = {}
    if parent:  # before any write: what another inventory owns is refused, or taken over when asked to
        try:
            labels = ownership.foreign_labels(cluster, parent, prepared, options.concurrency)
        except ApiError as exc:
            result.error = (f"cannot tell whether another inventory owns some of the objects: {exc}; nothing "
                            "applied (kubepush needs to list the kinds it applies)")
            _skip_rest([prepared], spec.name, result, "ownership could not be checked")
            return result
        others = foreign(cluster, spec, parent, prepared, labels)
        if others and not options.take_over:
            result.refused = [ownership.refusal(spec.name, item, owner) for item, owner in others]
            return result
        taken = {item.key: owner for item, owner in others}
    held = ApplyLock(cluster, cluster.resource("v1", parent.kind), parent, wait=options.timeout,
                     progress=progress) if parent and lock else None
    if held is not None:
        try:
            held.acquire()
        except LockHeld as exc:
            result.error = str(exc)
            _skip_rest([prepared], spec.name, result, "another apply holds the target")
            return result
        except ApiError as exc:
            if exc.status != 404:
                raise
            held = None  # its namespace does not exist yet: a first apply, nothing to serialize against
    try:
        _apply_stages(spec, prepared, scope, parent, options, progress, cluster, result)
        for change in result.changes:
            owner = taken.get((group_of(change.ref.api_version), change.ref.kind, change.ref.namespace,
                               change.ref.name))
            if owner is not None and change.action in (ch.CONFIGURED, ch.UNCHANGED, ch.RECREATED):
                change.reason = "; ".join(r for r in (f"taken over from {owner.describe()}", change.reason) if r)
                progress(f"{change.ref} taken over from {owner.describe()}")
        return result
    finally:
        if held is not None:
            held.release()


def _apply_stages(spec: TargetSpec, prepared: list[Item], scope: Scope, parent: inv.Parent | None,
                  options: ApplyOptions, progress: Progress, cluster: Cluster, result: TargetResult) -> TargetResult:
    applier = Applier(cluster, target=spec.name, force=options.force, recreate=spec.recreate,
                      concurrency=options.concurrency, ignore=options.ignore, progress=progress)
    secret_info = cluster.resource("v1", parent.kind) if parent else None
    old_live = cluster.get(secret_info, parent.namespace, parent.name) if parent else None
    old_state = inv.State.read(parent, old_live) if parent else None
    wide = old_state.union(inv.State.of(parent, prepared)) if parent else None  # while applying: old and new
    first = inv.TOOLING not in (((old_live or {}).get("metadata") or {}).get("annotations") or {})  # (the lock's only)
    legacy = (Legacy.find(cluster, secret_info, spec.legacy_inventory, parent, {i.key for i in prepared},
                          lambda c, p, s: list_members(c, p, s, options.concurrency))
              if parent and (first or options.adopt_inventory) else None)
    if legacy is not None and options.adopt_inventory:
        wide = wide.union(legacy.state)  # the new parent covers the adopted members before they move
    final = inv.State.of(parent, prepared) if parent and spec.prune else wide  # after pruning: the new set
    applied: list[Applied] = []
    planned = stages(prepared, scope)
    for number, stage in enumerate(planned):
        if parent and number == 1:
            _write_parent(cluster, parent, secret_info, wide, options.revision, old_state.healthy_revision, result)
            if result.error:  # without an inventory a later prune could not find what this run creates
                _skip_rest(planned[1:], spec.name, result, "the inventory could not be written")
                return result
        if not stage:
            continue
        progress(f"stage {number + 1}/{len(planned)} ({STAGE_NAMES[number]}): applying {len(stage)} objects")
        try:
            done = applier.apply(stage)
        except Unreachable as exc:
            if isinstance(exc, StageLost):
                result.changes.extend(a.change for a in exc.applied)
            _skip_rest(planned[number + 1:] if isinstance(exc, StageLost) else planned[number:], spec.name, result,
                       f"the cluster became unreachable ({exc})")
            raise Lost(f"stage {number + 1} ({STAGE_NAMES[number]})", exc) from None
        applied.extend(done)
        result.changes.extend(a.change for a in done)
        if any(a.change.failed for a in done):
            _skip_rest(planned[number + 1:], spec.name, result, f"stage {number + 1} had failures")
            return result
        if number == 0:
            try:
                ready = _ready(cluster, done, options.timeout, progress)
            except Lost:
                _skip_rest(planned[1:], spec.name, result, "the cluster became unreachable while waiting for "
                                                          "CRDs and Namespaces")
                raise
            if not ready:
                _skip_rest(planned[1:], spec.name, result, "CRDs or Namespaces did not become ready")
                return result
            cluster.refresh()
    if parent and not result.error:
        if legacy is not None:
            _migrate(cluster, legacy, parent, secret_info, options.adopt_inventory, progress)
        if spec.prune:
            with _phase("pruning"):
                _prune(cluster, spec, parent, wide, prepared, options, progress, result)
        _write_parent(cluster, parent, secret_info, final, options.revision, old_state.healthy_revision, result)
    if options.wait and not result.failed:
        result.healthy = _wait(cluster, applied, options, progress, result)
        if result.healthy and parent and options.revision:
            why_not = _not_healthy_revision(options.revision, applied)
            if why_not:
                progress(f"revision {options.revision} is not recorded as healthy: {why_not}")
            else:
                _write_parent(cluster, parent, secret_info, final, options.revision, options.revision, result)
        elif not result.healthy and options.rollback:
            _rollback(cluster, spec, old_state.healthy_revision if old_state else "", options, progress, result)
    return result


def _not_healthy_revision(revision: str, applied: list[Applied]) -> str:
    """Why a revision that applied and waited healthy still must not become the one rollback
    returns to ("" when it may): a dirty working tree is no commit, and an empty set proves nothing.
    (``--no-wait`` never gets here: it proved no health at all.)"""
    if is_dirty(revision):
        return "the working tree had uncommitted changes"
    if not applied:
        return "the target rendered no objects"
    return ""


def _rollback(cluster: Cluster, spec: TargetSpec, revision: str, options: ApplyOptions, progress: Progress,
              result: TargetResult) -> None:
    """Re-apply the last healthy revision (no prune: nothing is deleted on the way back)."""
    if not revision or revision == options.revision or is_dirty(revision) or options.load_revision is None:
        why = ("no healthy revision is recorded on the inventory" if not revision else
               "the last healthy revision is the one that failed" if revision == options.revision else
               f"the healthy revision on the inventory, {revision}, is a tree with uncommitted changes, "
               "not a commit" if is_dirty(revision) else
               "no way to read old revisions")
        result.notes.append(f"ROLLBACK NOT POSSIBLE: {why}")
        progress(result.notes[-1])
        return
    progress(f"ROLLING BACK to {revision}: health failed for revision {options.revision or '(unknown)'}")
    try:
        items = options.load_revision(spec, revision)
    except UsageError as exc:
        result.notes.append(f"ROLLBACK FAILED: cannot read revision {revision}: {exc}")
        progress(result.notes[-1])
        return
    back = TargetResult(spec.name)
    _apply(replace(spec, prune=False), items, replace(options, revision=revision, rollback=False),
           progress, cluster, back, lock=False)  # this run already holds the target
    if back.refused:
        result.notes.append(f"ROLLBACK FAILED: the manifests at {revision} were refused: {back.refused[0].message}")
        progress(result.notes[-1])
        return
    for change in back.changes:
        change.target = f"{spec.name} rollback {revision[:12]}"
    result.changes.extend(back.changes)
    outcome = "healthy" if back.healthy and not back.failed else "NOT healthy"
    result.notes.append(f"ROLLED BACK to {revision} after health failed for {options.revision or 'this apply'}: "
                        f"{ch.summary(back.changes)}; the rolled-back revision is {outcome}"
                        + (f" ({back.error})" if back.error else ""))
    progress(result.notes[-1])


def _migrate(cluster: Cluster, legacy: Legacy, parent: inv.Parent, info: ResourceInfo, adopt: bool,
             progress: Progress) -> None:
    """Move what is left of the earlier inventory (see :mod:`kubepush.cluster.migrate`)."""
    if adopt and legacy.leftover:
        progress(f"adopting {len(legacy.leftover)} members of {legacy.parent.kind} {legacy.parent.namespace}/"
                 f"{legacy.parent.name} (--adopt-inventory)")
        legacy.adopt(cluster, parent)
    progress(legacy.note(parent))
    legacy.retire(cluster, info)


def _write_parent(cluster: Cluster, parent: inv.Parent, info: ResourceInfo, state: inv.State, revision: str,
                  healthy: str, result: TargetResult) -> None:
    state = inv.State(state.group_kinds, state.namespaces, revision, healthy)
    try:
        cluster.apply(info, parent.manifest(state))
    except ClusterError as exc:
        if isinstance(exc, Unreachable):
            raise Lost(f"writing the inventory {parent.kind}/{parent.namespace}/{parent.name}", exc) from None
        result.error = f"cannot write the inventory {parent.kind}/{parent.namespace}/{parent.name}: {exc}"


def _skip_rest(rest: Iterable[list[Item]], target: str, result: TargetResult, why: str) -> None:
    for stage in rest:
        for item in stage:
            result.changes.append(ch.Change.of(item, ch.SKIPPED, why, target))


def _ready(cluster: Cluster, done: list[Applied], timeout: float, progress: Progress) -> bool:
    """Stage 1 gate (even with --no-wait): CRDs Established and Namespaces Active before anything uses them."""
    watched = [Watched(i, a.info, None, a.item.ref.name, a.live) for i, a in enumerate(done) if a.live]
    try:
        states = wait_for(cluster, watched, timeout,
                          on_change=lambda w, h: progress(f"{done[w.key].item.ref}: {h.state} {h.message}".rstrip())
                          if h.state != "current" else None)
    except LostContact as exc:
        _not_verified(done, exc.states)
        raise Lost("waiting for CRDs and Namespaces", exc) from None
    ok = True
    for key, state in states.items():
        if state.state == FAILED:
            change = done[key].change
            change.action, change.reason = ch.UNHEALTHY, state.message
            ok = False
    return ok


def _wait(cluster: Cluster, applied: list[Applied], options: ApplyOptions, progress: Progress,
          result: TargetResult) -> bool:
    watched = [Watched(i, a.info, a.item.ref.namespace or None, a.item.ref.name, a.live)
               for i, a in enumerate(applied) if a.live is not None]

    def on_change(w: Watched, h: Any) -> None:
        if h.state != "current" or w.key in reported:
            progress(f"{applied[w.key].item.ref}: {h.state}{': ' + h.message if h.message else ''}")
        if h.state != "current":
            reported.add(w.key)

    reported: set[int] = set()
    progress(f"waiting for {len(watched)} objects to become healthy (timeout {options.timeout:g}s)")
    try:
        states = wait_for(cluster, watched, options.timeout, on_change=on_change,
                          workers=min(8, options.concurrency))
    except LostContact as exc:
        _not_verified(applied, exc.states)
        raise Lost("waiting for health", exc) from None
    healthy = True
    for key, state in states.items():
        change = applied[key].change
        if state.state == FAILED:
            change.action, change.reason = ch.UNHEALTHY, state.message
            healthy = False
        elif state.message and not change.reason:
            change.reason = state.message
    return healthy


def _not_verified(applied: list[Applied], states: dict[Any, Health]) -> None:
    """After losing the cluster mid-wait: what was not yet seen healthy is unknown, not unhealthy."""
    for key, state in states.items():
        if state.state != CURRENT:
            change = applied[key].change
            last = f" (last seen: {state.message})" if state.message else ""
            change.reason = (f"applied ({change.action}), health not verified: the cluster stopped answering "
                             f"while waiting{last}")
            change.action = ch.NOT_VERIFIED


def _prune(cluster: Cluster, spec: TargetSpec, parent: inv.Parent, state: inv.State, prepared: list[Item],
           options: ApplyOptions, progress: Progress, result: TargetResult) -> None:
    try:
        members = list_members(cluster, parent, state, options.concurrency)
    except ApiError as exc:
        result.error = f"cannot list the inventory's members to prune them: {exc}; nothing pruned"
        return
    plan = inv.prune_plan(members, {item.key for item in prepared}, namespaces=spec.prune_namespaces,
                          crds=spec.prune_crds)
    for obj, why in plan.kept:
        result.changes.append(ch.Change(object_ref(obj), ch.KEPT, f"not in Git, not pruned: {why}", target=spec.name))

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

    if plan.delete:
        with ThreadPoolExecutor(max_workers=min(options.concurrency, len(plan.delete))) as pool:
            result.changes.extend(pool.map(delete, plan.delete))


def list_members(cluster: Cluster, parent: inv.Parent, state: inv.State, concurrency: int = 8,
                 skip: set[tuple[ResourceInfo, str | None]] = frozenset()) -> list[dict[str, Any]]:
    """Every live object labelled as part of the set, in its group-kinds and namespaces
    (except the kind/namespace pairs in ``skip``, which the caller has already listed)."""
    queries: list[tuple[ResourceInfo, str | None]] = []
    for gk in sorted(state.group_kinds):
        group, kind = inv.split_group_kind(gk)
        try:
            info = cluster.resource_for(group, kind)
        except Unreachable:
            raise
        except ClusterError:
            continue  # the kind is gone (its CRD deleted): so are its objects
        wanted = [(info, ns) for ns in sorted(state.namespaces)] if info.namespaced else [(info, None)]
        queries.extend(q for q in wanted if q not in skip)
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(queries)))) as pool:
        found = pool.map(lambda q: cluster.list(q[0], q[1], label_selector=parent.selector), queries)
        return [obj for objs in found for obj in objs]
