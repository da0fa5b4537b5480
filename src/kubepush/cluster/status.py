"""What runs where: one target's status - the revision applied, when and by whom, health now,
in sync or not, and its last applies. ``kubepush status``, the ``argocd app list`` of push mode.

Read-only, and cheap enough for a schedule: one GET of the inventory parent (its revisions and
:mod:`~kubepush.cluster.history`), one LIST per kind and namespace of the target's objects and
members (:mod:`~kubepush.cluster.listing`), kstatus health from those same objects
(:mod:`~kubepush.cluster.health`), and sync from drift's pre-check
(:func:`~kubepush.cluster.compare.diff.may_differ`: an object is in sync when every value an apply
would send is live and kubepush owns no field Git dropped). Objects the pre-check cannot clear
are reported as drifted without a dry run; ``deep`` runs drift itself
(:func:`kubepush.cluster.drift.check_target`: a server-side dry run each) to confirm them.

What another inventory owns is not this target's: a Git object whose live copy is labelled part
of another set is listed as owned elsewhere and counted neither for health nor for sync, and
only the target's own members (the ``part-of`` label) are read as extras - another repository's
objects in the same namespace never appear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubepush import model as ch
from kubepush.cluster import health as kstatus
from kubepush.cluster import history as applies
from kubepush.cluster import inventory as inv
from kubepush.cluster import ownership, session
from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.compare.diff import may_differ
from kubepush.cluster.compare.ignore import IgnoreRule, respect
from kubepush.cluster.errors import ClusterError, Unreachable
from kubepush.cluster.last_applied import recorded
from kubepush.cluster.listing import list_each, query
from kubepush.cluster.plan import Item
from kubepush.cluster.session import Progress
from kubepush.cluster.spec import TargetSpec
from kubepush.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError
from kubepush.manifests.documents import object_ref
from kubepush.model import ObjectRef

#: health of a target: every object current; some still in progress; some failed; none of Git's live
HEALTHY, PROGRESSING, DEGRADED, MISSING = "healthy", "progressing", "degraded", "missing"
#: sync of a target (``unknown``: Git's manifests could not be read, so there is nothing to compare)
IN_SYNC, DRIFTED, UNKNOWN = "in-sync", "drifted", "unknown"
#: the last apply, beyond :data:`kubepush.cluster.history.RESULTS`: the revision recorded has no entry
#: (the run was cut off, or an earlier kubepush applied it); no inventory parent at all; a target
#: without an inventory (``inventory: false``), which records nothing
INTERRUPTED, NEVER, NOT_RECORDED = "interrupted", "never-applied", "not-recorded"

_HEALTH = {kstatus.FAILED: DEGRADED, kstatus.IN_PROGRESS: PROGRESSING}
_MAY_DIFFER = ("may differ from Git: a value Git sets is not live, or a field kubepush applied is gone from "
               "Git (a cheap check; --deep confirms it with a server-side dry run)")


@dataclass
class StatusOptions:
    ignore: tuple[IgnoreRule, ...] = ()
    #: confirm what the pre-check cannot clear with a dry run (drift's comparison)
    deep: bool = False
    concurrency: int = 16
    request_timeout: float = 30.0


@dataclass(frozen=True)
class ObjectHealth:
    ref: ObjectRef
    state: str
    message: str = ""


@dataclass
class TargetStatus:
    """One target as the cluster has it. ``error`` is an environment error (exit 2)."""

    name: str
    #: ``Secret/ns/name`` of the inventory parent, ``""`` with ``inventory: false``
    inventory: str = ""
    revision: str = ""
    healthy_revision: str = ""
    #: what Git holds for the target's paths now (filled by the caller, who knows the checkout)
    git_revision: str = ""
    history: list[applies.Entry] = field(default_factory=list)
    #: the number of the target's own live objects whose health was read
    objects: int = 0
    health: str = HEALTHY
    #: the objects that are not current: failed first, then in progress
    unhealthy: list[ObjectHealth] = field(default_factory=list)
    sync: str = IN_SYNC
    #: ``cheap`` (the pre-check) or ``deep`` (dry runs)
    check: str = "cheap"
    #: drifted, missing and extra objects
    drifted: list[ch.Change] = field(default_factory=list)
    owned_elsewhere: list[ch.Change] = field(default_factory=list)
    #: why Git could not be compared (its manifests do not render or are invalid): a finding, exit 1
    problems: list[str] = field(default_factory=list)
    error: str = ""
    #: whether the parent exists at all
    applied_ever: bool = False

    @property
    def last(self) -> applies.Entry | None:
        return self.history[-1] if self.history else None

    @property
    def applied(self) -> applies.Entry | None:
        """The entry of the revision the inventory records: when it was applied, and by whom."""
        return next((e for e in reversed(self.history) if e.revision == self.revision), None)

    @property
    def last_apply(self) -> str:
        """How the last apply ended: one of :data:`applies.RESULTS`, :data:`INTERRUPTED` or :data:`NEVER`."""
        if not self.inventory:
            return NOT_RECORDED
        if not self.applied_ever:
            return NEVER
        last = self.last
        if last is None or last.revision != self.revision:
            return INTERRUPTED
        return last.result

    @property
    def ok(self) -> bool:
        """Healthy, in sync, and the last apply went through - and Git declares nothing another
        inventory holds (not counted for health or sync, but the next apply refuses it)."""
        return (not self.error and not self.problems and not self.owned_elsewhere and self.health == HEALTHY
                and self.sync == IN_SYNC and self.last_apply in (applies.HEALTHY, applies.APPLIED, NOT_RECORDED))


def target_status(spec: TargetSpec, items: list[Item] | None, options: StatusOptions,
                  progress: Progress) -> TargetStatus:
    """The status of one target; ``items`` is ``None`` when its manifests could not be read (health
    is then that of its inventory's members, and sync unknown). Never raises for cluster trouble."""
    status = TargetStatus(spec.name)
    try:
        cluster = session.connect(spec, items or (), concurrency=options.concurrency,
                                  request_timeout=options.request_timeout)
    except UsageError as exc:
        status.error = str(exc)
        return status
    try:
        _read(cluster, spec, items, options, status)
    except Unreachable as exc:
        status.error = f"cluster {cluster.host} became unreachable: {exc}"
    except ClusterError as exc:
        status.error = f"cannot read target {spec.name}: {exc}"
    finally:
        cluster.close()
    if not status.error and items is not None and options.deep and status.drifted:
        _confirm(spec, items, options, progress, status)
    return status


Key = tuple[str, str, str, str]


def _read(cluster: Cluster, spec: TargetSpec, items: list[Item] | None, options: StatusOptions,
          status: TargetStatus) -> None:
    prepared, _, parent = session.prepare(spec, items or [], cluster)
    live_parent = recorded(cluster, spec, parent) if parent else None
    if parent is not None:
        status.inventory = f"{parent.kind}/{parent.namespace}/{parent.name}"
        status.applied_ever = live_parent is not None
    state = inv.State.read(parent, live_parent) if parent else inv.State()
    status.revision, status.healthy_revision = state.revision, state.healthy_revision
    status.history = applies.read(live_parent)

    infos: dict[Key, ResourceInfo] = {}
    for item in prepared:
        try:
            infos[item.key] = cluster.resource(item.obj["apiVersion"], item.obj["kind"])
        except Unreachable:
            raise
        except ClusterError:
            pass  # the kind is not served: the object is missing
    answers = list_each(cluster, (query(infos[i.key], i) for i in prepared if i.key in infos), options.concurrency)
    live = {inv.live_key(obj): obj for _, objs in answers for obj in objs}
    members = {inv.live_key(o): o for o in session.members(cluster, parent, state, options.concurrency,
                                                           dict(answers))} if parent is not None else {}
    foreign = {item.key for item, _ in session.foreign(
        cluster, spec, parent, prepared, {i.key: ownership.label_of(live.get(i.key)) for i in prepared})} \
        if parent else set()

    own: list[dict[str, Any]] = []
    for item in prepared:
        have = live.get(item.key)
        if item.key in foreign:
            status.owned_elsewhere.append(ch.Change.of(item, ch.OWNED_ELSEWHERE, "its live copy belongs to another "
                                                       "inventory: not counted", spec.name))
        elif have is None:
            status.drifted.append(ch.Change.of(item, ch.MISSING, "not in the cluster", spec.name))
        else:
            own.append(have)
            if may_differ(respect(options.ignore, item.obj, have).obj, have):
                status.drifted.append(ch.Change.of(item, ch.DRIFTED, _MAY_DIFFER, spec.name))
    if items is not None:
        desired = {item.key for item in prepared}
        extras = [o for key, o in members.items() if key not in desired]
        status.drifted += [ch.Change(object_ref(o), ch.EXTRA, "in the cluster but not in Git", target=spec.name)
                           for o in extras]
        own += extras
        status.sync = DRIFTED if status.drifted else IN_SYNC
    else:
        own = list(members.values())
        status.sync = UNKNOWN
    _health(status, own, expected=bool(prepared) or bool(members))


def _health(status: TargetStatus, objects: list[dict[str, Any]], expected: bool) -> None:
    """The target's health from its live objects: degraded when one failed, progressing when one is
    still on its way, missing when it should have objects and none is live."""
    status.objects = len(objects)
    verdicts = [(object_ref(o), kstatus.health(o)) for o in objects]
    status.unhealthy = sorted((ObjectHealth(ref, h.state, h.message) for ref, h in verdicts
                               if h.state != kstatus.CURRENT), key=lambda o: (o.state != kstatus.FAILED, str(o.ref)))
    if status.unhealthy:
        status.health = _HEALTH[status.unhealthy[0].state]
    elif expected and not objects:
        status.health = MISSING


def _confirm(spec: TargetSpec, items: list[Item], options: StatusOptions, progress: Progress,
             status: TargetStatus) -> None:
    """``--deep``: drift's own comparison (a dry run per object the pre-check could not clear) decides sync."""
    from kubepush.cluster.drift import DriftOptions, check_target

    result = check_target(spec, items, DriftOptions(ignore=options.ignore, concurrency=options.concurrency,
                                                    request_timeout=options.request_timeout), progress)
    if result.error:
        status.error = result.error
        return
    status.check = "deep"
    status.drifted = [c for c in result.changes if c.action in ch.DRIFT or c.action == ch.FAILED]
    status.sync = DRIFTED if status.drifted else IN_SYNC


def exit_code(statuses: list[TargetStatus]) -> int:
    """2 when a target could not be read (the environment), else 1 when one is not :attr:`~TargetStatus.ok`."""
    if any(s.error for s in statuses):
        return EXIT_USAGE
    return EXIT_OK if all(s.ok for s in statuses) else EXIT_FINDINGS
