"""Apply one target, end to end: the steps between a rendered set and an inventory that records it.

The steps, each stopping the run when it fails:

1. guardrails on the rendered objects, before any call to the cluster (and, for custom
   kinds whose scope only discovery knows, before any write);
2. connect and prove the cluster answers (``/version``) - nothing changes otherwise;
3. objects whose live copy belongs to another inventory are refused (unless taken over,
   see :mod:`kubepush.cluster.ownership`); the target's lock is taken
   (:mod:`kubepush.cluster.lock`); the inventory parent is read and widened (after stage 1,
   whose Namespace it may need);
4. the stages (:mod:`kubepush.cluster.applier`), each waiting for its CRDs/Namespaces to be
   usable before the next;
5. prune what left Git (:mod:`kubepush.cluster.prune`), then narrow the inventory and record
   the revision;
6. wait for health (:mod:`kubepush.cluster.wait`); record the revision as healthy (only a
   commit - not a dirty working tree - whose objects all became healthy; never with
   ``--no-wait``), or roll back when asked to.

What drift shares with it - connecting, preparing the objects, the inventory parent, the
ownership check - is :mod:`kubepush.cluster.session`; this module is the order of the
steps and what a failure of each leaves behind (``not-applied`` for the rest, the phase
named when the cluster goes away), like Flux's ``ssa/manager_apply.go``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from kubepush import model as ch
from kubepush.cluster import history, hooks, ownership, rollout, session, wait
from kubepush.cluster import inventory as inv
from kubepush.cluster.applier import Applied, Applier, StageLost
from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.compare.ignore import IgnoreRule
from kubepush.cluster.errors import ApiError, ClusterError, LockHeld, Unreachable
from kubepush.cluster.lock import ApplyLock
from kubepush.cluster.migrate import Legacy
from kubepush.cluster.plan import STAGE_NAMES, Item, Scope, group_of, stages, static_scope
from kubepush.cluster.prune import left_behind, prune
from kubepush.cluster.readiness import Waiter
from kubepush.cluster.session import Progress, TargetResult
from kubepush.cluster.spec import TargetSpec
from kubepush.errors import UsageError
from kubepush.gitops.revisions import is_dirty
from kubepush.model import Finding


@dataclass
class ApplyOptions:
    """How to apply (the flags and kubepush.yaml's ``apply:``), complete: the command layer merges them."""

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
    ignore: tuple[IgnoreRule, ...] = ()
    #: run the hooks (a rollback re-applies an old revision's objects, never its hooks)
    hooks: bool = True
    #: who applies, for the target's history (:mod:`kubepush.cluster.history`): the CI run and its user
    run_url: str = ""
    actor: str = ""
    #: set on a rollback's own apply: the revision whose failed health it returns from
    rollback_of: str = ""


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


def apply_target(spec: TargetSpec, items: list[Item], options: ApplyOptions, progress: Progress) -> TargetResult:
    """Apply one target; never raises for cluster trouble (it lands in the result)."""
    result = TargetResult(spec.name)
    result.refused = session.refuse(spec, items, static_scope(items))
    if result.refused:
        return result
    cluster = session.open_for(spec, items, result, concurrency=options.concurrency,
                               request_timeout=options.request_timeout)
    if cluster is None:
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
    prepared, scope, parent = session.prepare(spec, items, cluster)
    result.refused = session.refuse(spec, prepared, scope) + unknown_kinds(spec, prepared, scope)
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
        others = session.foreign(cluster, spec, parent, prepared, labels)
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
    started = history.now()
    try:
        _apply_stages(spec, prepared, scope, parent, options, progress, cluster, result,
                      parent_live=held.live if held is not None else None, rollback=not lock)
        for change in result.changes:
            owner = taken.get((group_of(change.ref.api_version), change.ref.kind, change.ref.namespace,
                               change.ref.name))
            if owner is not None and change.action in (ch.CONFIGURED, ch.UNCHANGED, ch.RECREATED):
                change.reason = "; ".join(r for r in (f"taken over from {owner.describe()}", change.reason) if r)
                progress(f"{change.ref} taken over from {owner.describe()}")
        if parent:  # the lock's claim returned the parent; a rollback since has written its own entry
            rolled = any(note.startswith("ROLLED BACK") for note in result.notes)
            _record_history(cluster, spec, parent, options, result, started, progress,
                            held.live if held is not None and not rolled else None)
        return result
    finally:
        if held is not None:
            held.release()


def _apply_stages(spec: TargetSpec, prepared: list[Item], scope: Scope, parent: inv.Parent | None,
                  options: ApplyOptions, progress: Progress, cluster: Cluster, result: TargetResult,
                  parent_live: dict[str, Any] | None = None, rollback: bool = False) -> TargetResult:
    """The waves, prune and the inventory; a ``rollback`` (inside the failed apply) does not say what
    it leaves behind of the failed revision: a rollback never prunes, that is not news."""
    order = rollout.plan(prepared)
    members = order.members
    waiter = Waiter(cluster, options.timeout, progress)
    applier = Applier(cluster, target=spec.name, force=options.force, recreate=spec.recreate,
                      concurrency=options.concurrency, ignore=options.ignore, progress=progress, waiter=waiter)
    record = _Record.read(cluster, spec, parent, members, options, parent_live) if parent else None
    run = _Run(spec, scope, options, progress, cluster, result, applier, record, order, waiter,
               parent.id if parent else f"target {spec.name}")
    if not run.hooks_of(rollout.PRE, members):
        return result
    applied: list[Applied] = []
    waves = order.waves or [(0, [])]
    for index, (wave, items) in enumerate(waves):
        later = [i for _, rest in waves[index + 1:] for i in rest]
        label = f"wave {wave} ({index + 1}/{len(waves)}): " if len(waves) > 1 else ""
        if label:
            progress(f"{label}applying {ch.plural(len(items), 'object')}")
        done = run.wave(items, label, later)
        if done is None:
            return result
        applied.extend(done)
        if not run.hooks_of(rollout.APPLY, later, wave=wave):
            return result
        if index + 1 < len(waves) and done:  # the gate: healthy before the next wave starts (even with --no-wait)
            with _phase(f"waiting for wave {wave} to become healthy"), _unreached(later, spec.name, result):
                healthy = wait.healthy(cluster, done, options.timeout, options.concurrency, progress)
            if not healthy:
                _skip_rest([later], spec.name, result, f"wave {wave} did not become healthy")
                run.failed(health=True)
                return result
    final = done  # the earlier waves were seen healthy at their gates
    if record and not result.error:
        # what the stages listed shows the set's members (under the lock, no other run of the target
        # writes), unless the migration just relabelled some into it
        listed = {} if record.migrate(cluster, options.adopt_inventory, progress) else applier.listed
        with _phase("pruning" if spec.prune else "listing what left Git"):
            if spec.prune:
                prune(cluster, spec, record.parent, record.wide, members, options.concurrency, progress, result,
                      listed)
            elif not rollback:
                left_behind(cluster, spec, record.parent, record.wide, members, options.concurrency, result, listed)
        record.write(cluster, record.final, options.revision, record.old.healthy_revision, result)
    post = order.phase(rollout.POST) if options.hooks else []
    if (options.wait or post) and not result.failed:
        with _phase("waiting for health"):
            result.healthy = wait.healthy(cluster, final or [], options.timeout, options.concurrency, progress)
        if result.healthy and post:
            result.healthy = run.hooks_of(rollout.POST, [])
        if result.healthy and record and options.revision and options.wait:
            why_not = _not_healthy_revision(options.revision, applied)
            if why_not:
                progress(f"revision {options.revision} is not recorded as healthy: {why_not}")
            else:
                record.write(cluster, record.final, options.revision, options.revision, result)
        elif not result.healthy:
            run.failed(health=any(c.action == ch.UNHEALTHY for c in result.changes))
    elif result.failed:
        run.failed()
    return result


@dataclass
class _Run:
    """One target's rollout as it goes: what applying a wave and running hooks share."""

    spec: TargetSpec
    scope: Scope
    options: ApplyOptions
    progress: Progress
    cluster: Cluster
    result: TargetResult
    applier: Applier
    record: _Record | None
    order: rollout.Rollout
    waiter: Waiter
    owner: str
    written: bool = False
    failure_handled: bool = False

    def wave(self, items: list[Item], label: str, later: list[Item]) -> list[Applied] | None:
        """Apply one wave's objects in the three stages; None (the rest not-applied) when it stopped."""
        spec, result, progress, cluster = self.spec, self.result, self.progress, self.cluster
        applied: list[Applied] = []
        planned = stages(items, self.scope)
        for number, stage in enumerate(planned):
            if self.record and number >= 1 and not self.written:
                self.written = True
                self.record.write(cluster, self.record.wide, self.options.revision,
                                  self.record.old.healthy_revision, result)
                if result.error:  # without an inventory a later prune could not find what this run creates
                    _skip_rest([*planned[number:], later], spec.name, result, "the inventory could not be written")
                    return None
            if not stage:
                continue
            progress(f"{label}stage {number + 1}/{len(planned)} ({STAGE_NAMES[number]}): applying "
                     f"{ch.plural(len(stage), 'object')}")
            try:
                done = self.applier.apply(stage)
            except Unreachable as exc:
                if isinstance(exc, StageLost):
                    result.changes.extend(a.change for a in exc.applied)
                _skip_rest([*(planned[number + 1:] if isinstance(exc, StageLost) else planned[number:]), later],
                           spec.name, result, f"the cluster became unreachable ({exc})")
                raise Lost(f"{label}stage {number + 1} ({STAGE_NAMES[number]})", exc) from None
            applied.extend(done)
            result.changes.extend(a.change for a in done)
            if any(a.change.failed for a in done):
                _skip_rest([*planned[number + 1:], later], spec.name, result,
                           f"{label}stage {number + 1} had failures")
                self.failed()
                return None
            if number == 0:
                try:
                    with _phase("waiting for CRDs and Namespaces"):
                        ready = wait.ready(cluster, done, self.options.timeout, progress)
                except Lost:
                    _skip_rest([*planned[1:], later], spec.name, result, "the cluster became unreachable while "
                                                                         "waiting for CRDs and Namespaces")
                    raise
                if not ready:
                    _skip_rest([*planned[1:], later], spec.name, result, "CRDs or Namespaces did not become ready")
                    self.failed()
                    return None
                cluster.refresh()
        return applied

    def hooks_of(self, phase: str, rest: list[Item], wave: int | None = None) -> bool:
        """Run ``phase``'s hooks (of ``wave`` only, for the hooks applied with a wave); when one
        fails, ``rest`` is not-applied and the on-failure hooks run."""
        todo = [h for h in self.order.phase(phase) if wave is None or h.wave == wave] if self.options.hooks else []
        if not todo:
            return True
        self.progress(f"running {ch.plural(len(todo), phase + ' hook')}")
        with _phase(f"running the {phase} hooks"), _unreached(rest, self.spec.name, self.result):
            changes, ok = hooks.run(self._hook_phase(), todo)
        self.result.changes.extend(changes)
        if not ok:
            _skip_rest([rest], self.spec.name, self.result, f"a {phase} hook failed")
            self.failed()
        return ok

    def failed(self, health: bool = False) -> None:
        """The apply failed: roll back when health failed and that is asked for, and run the
        on-failure hooks (once)."""
        if self.failure_handled:
            return
        self.failure_handled = True
        options = self.options
        if options.rollback and health:
            _rollback(self.cluster, self.spec, self.record.old.healthy_revision if self.record else "", options,
                      self.progress, self.result)
        todo = self.order.phase(rollout.ON_FAILURE) if options.hooks else []
        if todo:
            self.progress(f"the apply failed: running {ch.plural(len(todo), 'on-failure hook')}")
            with _phase("running the on-failure hooks"):
                changes, _ = hooks.run(self._hook_phase(), todo)
            self.result.changes.extend(changes)

    def _hook_phase(self) -> hooks.Phase:
        return hooks.Phase(self.cluster, self.spec.name, self.owner, self.options.timeout, self.progress,
                           self.waiter)


def _record_history(cluster: Cluster, spec: TargetSpec, parent: inv.Parent, options: ApplyOptions,
                    result: TargetResult, started: str, progress: Progress, live: dict[str, Any] | None) -> None:
    """This apply's entry in the target's history; the API server refusing it only warns (what
    was applied stands), a cluster gone meanwhile is the run's error like any other write."""
    own = [c for c in result.changes if c.target == spec.name]  # a rollback's changes are its own entry
    outcome = (history.FAILED if result.error or any(c.action == ch.FAILED for c in own) else
               history.UNHEALTHY if result.failed or any(c.action == ch.SKIPPED for c in own)  # a gate that held
               or options.wait and not result.healthy else
               history.HEALTHY if options.wait else history.APPLIED)
    entry = history.Entry(options.revision, started, history.now(), outcome, options.run_url, options.actor,
                          ch.summary(own), options.rollback_of)
    try:
        with _phase("recording the apply history"):
            history.record(cluster, cluster.resource("v1", parent.kind), parent, entry, live)
    except ApiError as exc:
        progress(f"warning: the apply history on {parent.kind}/{parent.namespace}/{parent.name} could not be "
                 f"recorded: {exc}")


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
    _apply(replace(spec, prune=False), items, replace(options, revision=revision, rollback=False, hooks=False,
                                                      rollback_of=options.revision or "(unknown)"),
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


@dataclass
class _Record:
    """The target's inventory parent as this run reads and writes it.

    Like kubectl's ApplySet, the parent covers the old and the new members while applying
    (``wide``), so an interrupted run never forgets members it may have created, and only
    the new ones after pruning (``final``; with prune off the old ones stay, as nothing
    deleted them).
    """

    parent: inv.Parent
    info: ResourceInfo
    old: inv.State
    wide: inv.State
    final: inv.State
    #: the inventory of an earlier version, looked for on a first apply (or to adopt it)
    legacy: Legacy | None
    #: the parent as the server last returned it (read, or answered to this run's last write)
    live: dict[str, Any] | None = None

    @classmethod
    def read(cls, cluster: Cluster, spec: TargetSpec, parent: inv.Parent, prepared: list[Item],
             options: ApplyOptions, live: dict[str, Any] | None = None) -> _Record:
        """The inventory as it is: ``live`` when the lock's claim just returned it, else read."""
        info = cluster.resource("v1", parent.kind)
        old_live = live if live is not None else cluster.get(info, parent.namespace, parent.name)
        old = inv.State.read(parent, old_live)
        wide = old.union(inv.State.of(parent, prepared))
        # a parent without the tooling annotation is new, or only the lock's so far
        first = inv.TOOLING not in (((old_live or {}).get("metadata") or {}).get("annotations") or {})
        legacy = (Legacy.find(cluster, info, spec.legacy_inventory, parent, {i.key for i in prepared},
                              lambda c, p, s: session.members(c, p, s, options.concurrency))
                  if first or options.adopt_inventory else None)
        if legacy is not None and options.adopt_inventory:
            wide = wide.union(legacy.state)  # the new parent covers the adopted members before they move
        final = inv.State.of(parent, prepared) if spec.prune else wide
        return cls(parent, info, old, wide, final, legacy, old_live)

    def migrate(self, cluster: Cluster, adopt: bool, progress: Progress) -> bool:
        """Move what is left of the earlier inventory (see :mod:`kubepush.cluster.migrate`); True
        when members were relabelled into this target's set (what was listed before is stale then)."""
        legacy, parent = self.legacy, self.parent
        if legacy is None:
            return False
        adopted = adopt and bool(legacy.leftover)
        if adopted:
            progress(f"adopting {ch.plural(len(legacy.leftover), 'member')} of {legacy.parent.kind} "
                     f"{legacy.parent.namespace}/{legacy.parent.name} (--adopt-inventory)")
            legacy.adopt(cluster, parent)
        progress(legacy.note(parent))
        legacy.retire(cluster, self.info)
        return adopted

    def write(self, cluster: Cluster, state: inv.State, revision: str, healthy: str, result: TargetResult) -> None:
        """The parent with ``state``'s kinds and namespaces and the two revisions (a failure lands in ``result``)."""
        parent = self.parent
        state = inv.State(state.group_kinds, state.namespaces, revision, healthy)
        manifest = parent.manifest(state)
        if _recorded(self.live, manifest):
            return  # a steady-state run: the parent already says this, and this run holds its lock
        try:
            self.live = cluster.apply(self.info, manifest)
        except ClusterError as exc:
            if isinstance(exc, Unreachable):
                raise Lost(f"writing the inventory {parent.kind}/{parent.namespace}/{parent.name}", exc) from None
            result.error = f"cannot write the inventory {parent.kind}/{parent.namespace}/{parent.name}: {exc}"


@contextlib.contextmanager
def _unreached(rest: list[Item], target: str, result: TargetResult) -> Iterator[None]:
    """When the cluster goes away meanwhile, ``rest`` is reported not-applied (then the loss goes up)."""
    try:
        yield
    except Unreachable as exc:
        _skip_rest([rest], target, result, f"the cluster became unreachable ({exc})")
        raise


def _recorded(live: dict[str, Any] | None, manifest: dict[str, Any]) -> bool:
    """Whether applying ``manifest`` would leave the live parent as it is: every label and
    annotation it sends is there with its value, and no optional annotation an earlier write
    sent would be dropped. Anything beyond metadata (a manifest that grew) is always written."""
    meta = manifest["metadata"]
    if live is None or set(manifest) != {"apiVersion", "kind", "metadata"} or \
            set(meta) - {"name", "namespace", "labels", "annotations"}:
        return False
    have = live.get("metadata") or {}
    for key in ("labels", "annotations"):
        current = have.get(key) or {}
        if any(current.get(k) != v for k, v in (meta.get(key) or {}).items()):
            return False
    annotations = have.get("annotations") or {}
    return not any(k in annotations and k not in meta["annotations"] for k in inv.OPTIONAL_ANNOTATIONS)


def _skip_rest(rest: Iterable[list[Item]], target: str, result: TargetResult, why: str) -> None:
    for stage in rest:
        for item in stage:
            result.changes.append(ch.Change.of(item, ch.SKIPPED, why, target))
