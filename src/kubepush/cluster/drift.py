"""Drift (and the PR preview, ``diff``): is the cluster what Git says, and if not, who changed it?

Cost is what makes a scheduled drift check usable: live objects are read with one LIST
per kind and namespace, :func:`~kubepush.cluster.compare.diff.may_differ` clears the objects
that cannot differ from the live object alone, and only the rest get a server-side
apply dry run - the comparison without noise. With an inventory, members the cluster
has and Git does not are reported as extra. ``heal`` re-applies what drifted.

What drift must see exactly as apply does - the prepared objects, the inventory parent,
which live objects another set owns - comes from :mod:`kubepush.cluster.session`, and what
it sends is what apply sends (:func:`~kubepush.cluster.compare.ignore.respect`), so
``diff`` previews the apply without depending on the apply flow.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubepush import model as ch
from kubepush.cluster import inventory as inv
from kubepush.cluster import ownership, rollout, session, shared
from kubepush.cluster.applier import Applier
from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.compare.diff import Difference, differences, may_differ, unified
from kubepush.cluster.compare.fields import without
from kubepush.cluster.compare.ignore import IgnoreRule, respect
from kubepush.cluster.compare.mask import mask
from kubepush.cluster.compare.normalise import clean, is_secret
from kubepush.cluster.compare.owners import Owner, attribute
from kubepush.cluster.errors import ApiError, ClusterError, Unreachable
from kubepush.cluster.listing import list_each, query
from kubepush.cluster.plan import Item
from kubepush.cluster.session import Progress, TargetResult
from kubepush.cluster.spec import TargetSpec
from kubepush.manifests.documents import object_ref


@dataclass
class DriftOptions:
    ignore: tuple[IgnoreRule, ...] = ()
    heal: bool = False
    preview: bool = False  # ``diff``: word entries as what an apply would do
    concurrency: int = 16
    request_timeout: float = 30.0


def check_target(spec: TargetSpec, items: list[Item], options: DriftOptions, progress: Progress) -> TargetResult:
    """Compare one target; never raises for cluster trouble (it lands in the result)."""
    result = TargetResult(spec.name)
    cluster = session.open_for(spec, items, result, concurrency=options.concurrency,
                               request_timeout=options.request_timeout)
    if cluster is None:
        return result
    try:
        _check(cluster, spec, items, options, progress, result)
    except Unreachable as exc:
        result.error = f"cluster {cluster.host} became unreachable: {exc}"
    finally:
        cluster.close()
    return result


def _check(cluster: Cluster, spec: TargetSpec, items: list[Item], options: DriftOptions, progress: Progress,
           result: TargetResult) -> None:
    prepared, scope, parent = session.prepare(spec, items, cluster)
    result.refused = session.refuse(spec, prepared, scope)  # Git holds objects the target may not touch
    # hooks are created per run and deleted by their policy: never compared, never drift
    prepared = [item for item in prepared if not rollout.is_hook(item)]
    infos: list[ResourceInfo | ClusterError] = []
    for item in prepared:
        try:
            infos.append(cluster.resource(item.obj["apiVersion"], item.obj["kind"]))
        except Unreachable:
            raise
        except ClusterError as exc:
            infos.append(exc)
    with ThreadPoolExecutor(max_workers=1) as side:  # the inventory is read while the objects are listed
        recorded = side.submit(_read_parent, cluster, parent)
        live, listed = _live(cluster, prepared, infos, options.concurrency)
        legacy = session.claims(spec, parent).legacy if parent else ""
        elsewhere = {item.key: owner for item, owner in session.foreign(cluster, spec, parent, prepared, {
            item.key: ownership.label_of(live.get(item.key)) for item in prepared})} if parent else {}

        def one(i: int) -> ch.Change:
            item = prepared[i]
            owner = elsewhere.get(item.key)
            if owner is not None:  # its state is the other inventory's: not drift blaming Git
                return ch.Change.of(item, ch.OWNED_ELSEWHERE, ownership.owned_elsewhere(owner, options.preview))
            return _compare(cluster, item, infos[i], live, options, item in spec.shared, legacy)

        with ThreadPoolExecutor(max_workers=max(1, min(options.concurrency, len(prepared)))) as pool:
            changes = list(pool.map(one, range(len(prepared))))
        for change in changes:
            change.target = spec.name
        result.changes.extend(changes)
        if parent is not None:
            state = inv.State.read(parent, recorded.result())
            result.changes.extend(_extras(cluster, spec, parent, state, prepared, live, listed, options))
    if options.heal and result.refused:
        progress(f"not healing: {len(result.refused)} objects are refused by the target's guardrails")
    elif options.heal:
        _heal(cluster, spec, prepared, changes, options, progress)


def _live(cluster: Cluster, items: list[Item], infos: list[ResourceInfo | ClusterError], concurrency: int
          ) -> tuple[dict[tuple[str, str, str, str], dict[str, Any]], set[tuple[ResourceInfo, str | None]]]:
    """Every live object of the desired kinds and namespaces (one LIST each), and which were listed."""
    answers = list_each(cluster, (query(info, item) for item, info in zip(items, infos, strict=True)
                                  if isinstance(info, ResourceInfo)), concurrency)
    out = {inv.live_key(obj): obj for _, objs in answers for obj in objs}
    return out, {q for q, _ in answers}


def _compare(cluster: Cluster, item: Item, info: ResourceInfo | ClusterError,
             live: dict[tuple[str, str, str, str], dict[str, Any]], options: DriftOptions, is_shared: bool = False,
             legacy: str = "") -> ch.Change:
    def change(action: str, reason: str = "") -> ch.Change:
        return ch.Change.of(item, action, reason)

    name = str(item.ref)
    if isinstance(info, ClusterError):
        return change(ch.MISSING, f"{info}")
    have = live.get(item.key)
    if have is None:
        masked = mask(None, item.obj, item.sealed)[1]
        verb = "would be created" if options.preview else "missing from the cluster"
        return change(ch.MISSING, verb + "\n" + unified(None, masked, name))
    sent = respect(options.ignore, item.obj, have)  # exactly what apply and heal send
    secret = is_secret(item.obj)
    note = sent.note(secret)
    if not may_differ(sent.obj, have):
        return change(ch.IN_SYNC, note)
    try:
        want = cluster.apply(info, sent.obj, force=True, dry_run=True)
    except ApiError as exc:
        return change(ch.FAILED, f"dry run failed: {exc}")
    old, new = clean(have), clean(want)
    lines, explained = [], []
    for diff in differences(old, new):
        line, who = attribute(have, diff, secret, item.sealed)
        if _explained(diff, who, is_shared and not options.preview, legacy):
            explained.append(diff.path)
        else:
            lines.append(line)
    if not lines:
        return change(ch.IN_SYNC, note)
    head = (f"an apply would change {len(lines)} field{'s' if len(lines) > 1 else ''}" if options.preview
            else f"{len(lines)} field{'s' if len(lines) > 1 else ''} differ{'s' if len(lines) == 1 else ''} from Git")
    shown_old, shown_new = (without(o, explained) for o in mask(old, new, item.sealed))
    return change(ch.DRIFTED, "\n".join([head, *lines, *([note] if note else []),
                                         unified(shown_old, shown_new, name)]))


def _explained(diff: Difference, who: list[Owner], is_shared: bool, legacy: str) -> bool:
    """Differences that are not drift: on a shared object, labels and annotations no other manager
    than kubepush owns (another target's - drift only: the preview, ``diff``, shows them, because
    this target's apply will write them); the membership label of the target's inventory of an
    earlier version (the next apply moves it). Ignored fields never get here: what is compared is
    the dry run of what an apply sends, which leaves them as they are live."""
    return bool(is_shared and not who and diff.path[:2] in shared.METADATA
                or legacy and diff.path == ("metadata", "labels", inv.PART_OF_LABEL) and diff.live == legacy)


def _read_parent(cluster: Cluster, parent: inv.Parent | None) -> dict[str, Any] | None:
    """The inventory parent as recorded (None when there is none, or it cannot be read)."""
    if parent is None:
        return None
    try:
        return cluster.get(cluster.resource("v1", parent.kind), parent.namespace, parent.name)
    except ApiError:
        return None


def _extras(cluster: Cluster, spec: TargetSpec, parent: inv.Parent, state: inv.State, items: list[Item],
            live: dict[tuple[str, str, str, str], dict[str, Any]], listed: set[tuple[ResourceInfo, str | None]],
            options: DriftOptions) -> list[ch.Change]:
    """Members of the inventory that Git no longer has; kinds and namespaces already listed are not listed again."""
    if not state.group_kinds:
        return []
    desired = {item.key for item in items}
    why = "in the cluster but not in Git" + (" (an apply will prune it)" if spec.prune else
                                             " (prune is off for this target)")
    members = [o for o in live.values()
               if ((o.get("metadata") or {}).get("labels") or {}).get(inv.PART_OF_LABEL) == parent.id]
    members += session.list_members(cluster, parent, state, options.concurrency, skip=listed)
    return [ch.Change(object_ref(obj), ch.EXTRA, why, target=spec.name)
            for obj in members if inv.live_key(obj) not in desired]


def _heal(cluster: Cluster, spec: TargetSpec, items: list[Item], changes: list[ch.Change], options: DriftOptions,
          progress: Progress) -> None:
    """Re-apply drifted and missing objects (force: Git wins); their entries become ``healed``."""
    todo = [i for i, c in enumerate(changes) if c.action in (ch.DRIFTED, ch.MISSING)]
    if not todo:
        return
    progress(f"healing {len(todo)} objects")
    applier = Applier(cluster, target=spec.name, force=True, recreate=spec.recreate,
                      concurrency=options.concurrency, ignore=options.ignore, progress=progress)
    for i, applied in zip(todo, applier.apply([items[i] for i in todo]), strict=True):
        if applied.change.failed:
            changes[i].reason += f"\nheal failed: {applied.change.reason}"
        else:
            changes[i].action = ch.HEALED
            changes[i].reason = f"re-applied ({applied.change.action}); was: {changes[i].reason}"
