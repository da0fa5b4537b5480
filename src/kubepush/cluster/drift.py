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

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubepush import model as ch
from kubepush.cluster import inventory as inv
from kubepush.cluster import offline, ownership, prune, rollout, session, shared
from kubepush.cluster.applier import Applier
from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.compare.diff import Difference, differences, may_differ, unified
from kubepush.cluster.compare.fields import without
from kubepush.cluster.compare.ignore import IgnoreRule, respect
from kubepush.cluster.compare.mask import mask
from kubepush.cluster.compare.normalise import clean, is_secret
from kubepush.cluster.compare.owners import Owner, attribute, field_change
from kubepush.cluster.errors import ApiError, ClusterError, Unreachable
from kubepush.cluster.listing import Query, list_each, query
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
            return _compare(cluster, item, infos[i], live, options, item in spec.shared, legacy, prepared)

        with ThreadPoolExecutor(max_workers=max(1, min(options.concurrency, len(prepared)))) as pool:
            changes = list(pool.map(one, range(len(prepared))))
        for change in changes:
            change.target = spec.name
        result.changes.extend(changes)
        extras = []
        if parent is not None:
            state = inv.State.read(parent, recorded.result())
            extras = _extras(cluster, spec, parent, state, prepared, live, listed, options)
            result.changes.extend(extras)
    if options.heal and result.refused:
        count = len(result.refused)
        progress(f"not healing: {count} object{'s are' if count != 1 else ' is'} refused by the target's guardrails")
    elif options.heal:
        _heal(cluster, spec, prepared, changes, extras, options, progress)


def _live(cluster: Cluster, items: list[Item], infos: list[ResourceInfo | ClusterError], concurrency: int
          ) -> tuple[dict[tuple[str, str, str, str], dict[str, Any]], dict[Query, list[dict[str, Any]]]]:
    """Every live object of the desired kinds and namespaces (one LIST each), and what each LIST returned."""
    answers = dict(list_each(cluster, (query(info, item) for item, info in zip(items, infos, strict=True)
                                       if isinstance(info, ResourceInfo)), concurrency))
    out = {inv.live_key(obj): obj for objs in answers.values() for obj in objs}
    return out, answers


def _compare(cluster: Cluster, item: Item, info: ResourceInfo | ClusterError,
             live: dict[tuple[str, str, str, str], dict[str, Any]], options: DriftOptions, is_shared: bool = False,
             legacy: str = "", items: list[Item] | None = None) -> ch.Change:
    """One object's entry: in sync, drifted (its fields, who set them, the diff) or missing - for
    ``diff`` the plan's words: unchanged, configure, create."""
    def change(action: str, reason: str = "", fields: list[ch.FieldChange] | None = None, diff: str = ""
               ) -> ch.Change:
        out = ch.Change.of(item, action, reason)
        out.fields, out.diff = fields or [], diff
        return out

    name = str(item.ref)
    in_sync = ch.UNCHANGED if options.preview else ch.IN_SYNC
    if isinstance(info, ClusterError):
        crd = offline.defining_crd(item, items or []) if options.preview else None
        if crd is None:
            return change(ch.FAILED if options.preview else ch.MISSING,
                          f"{info}" + ("; an apply would refuse the target" if options.preview else ""))
        return _with_crd(item, crd, change)
    have = live.get(item.key)
    if have is None:
        masked = mask(None, item.obj, item.sealed)[1]
        return change(ch.CREATE if options.preview else ch.MISSING, "" if options.preview else "not in the cluster",
                      diff=unified(None, masked, name))
    sent = respect(options.ignore, item.obj, have)  # exactly what apply and heal send
    secret = is_secret(item.obj)
    note = sent.note(secret)
    if not may_differ(sent.obj, have):
        return change(in_sync, note)
    try:
        want = cluster.apply(info, sent.obj, force=True, dry_run=True)
    except ApiError as exc:
        return change(ch.FAILED, f"dry run failed: {exc}")
    old, new = clean(have), clean(want)
    lines, fields, explained = [], [], []
    for diff in differences(old, new):
        line, who = attribute(have, diff, secret, item.sealed)
        if _explained(diff, who, is_shared and not options.preview, legacy):
            explained.append(diff.path)
        else:
            lines.append(line)
            fields.append(field_change(diff, who, secret, item.sealed))
    if not lines:
        return change(in_sync, note)
    count = f"{len(lines)} field{'s' if len(lines) > 1 else ''}"
    head = count if options.preview else f"{count} differ{'s' if len(lines) == 1 else ''} from Git"
    shown_old, shown_new = (without(o, explained) for o in mask(old, new, item.sealed))
    return change(ch.CONFIGURE if options.preview else ch.DRIFTED, "\n".join([head, *lines, *([note] if note else [])]),
                  fields, unified(shown_old, shown_new, name))


def _with_crd(item: Item, crd: dict[str, Any], change: Callable[..., ch.Change]) -> ch.Change:
    """A custom resource the cluster cannot dry-run yet because its CRD comes with the same change:
    checked against that CRD's schema from Git (:mod:`.offline`) and planned as created with it."""
    crd_name = crd["metadata"]["name"]
    problems = offline.check(item.obj, crd)
    if problems:
        return change(ch.FAILED, f"does not match its CustomResourceDefinition {crd_name} in Git: "
                      + "; ".join(f"{p.json_path + ': ' if p.path else ''}{p.message}" for p in problems))
    return change(ch.CREATE, f"with its CustomResourceDefinition {crd_name} (checked against the CRD's schema in "
                  "Git: the cluster cannot dry-run it before the CRD exists)",
                  diff=unified(None, mask(None, item.obj, item.sealed)[1], str(item.ref)))


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
            live: dict[tuple[str, str, str, str], dict[str, Any]], listed: dict[Query, list[dict[str, Any]]],
            options: DriftOptions) -> list[ch.Change]:
    """Members of the inventory that Git no longer has; kinds and namespaces already listed are not listed again.

    ``diff`` words them as the apply's prune would treat them: pruned, kept (a Namespace, a CRD,
    ``kubepush.dev/prune: disabled``), or left alone because the target does not prune."""
    if not state.group_kinds:
        return []
    members = session.members(cluster, parent, state, options.concurrency, listed)
    plan = prune.prune_plan(members, {item.key for item in items}, namespaces=spec.prune_namespaces,
                            crds=spec.prune_crds)
    out = [ch.Change(object_ref(obj), ch.KEPT, f"not in Git, an apply keeps it: {why}", target=spec.name)
           if spec.prune and options.preview else ch.Change(object_ref(obj), ch.EXTRA, prune.extra_reason(spec, why),
                                                             target=spec.name)
           for obj, why in plan.kept]
    for obj in plan.delete:
        ref = object_ref(obj)
        if spec.prune and options.preview:  # the plan shows what the prune deletes: its identity only -
            # what Git no longer has cannot say which of its values SOPS kept secret there
            meta = obj.get("metadata") or {}
            shown = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": {
                k: meta[k] for k in ("name", "namespace", "labels") if k in meta}}
            out.append(ch.Change(ref, ch.PRUNE, "no longer in Git", target=spec.name, live=obj,
                                 diff=unified(shown, None, str(ref))))
        else:
            out.append(ch.Change(ref, ch.EXTRA, prune.extra_reason(spec), target=spec.name, live=obj))
    return out


def _heal(cluster: Cluster, spec: TargetSpec, items: list[Item], changes: list[ch.Change], extras: list[ch.Change],
          options: DriftOptions, progress: Progress) -> None:
    """Re-apply drifted and missing objects (force: Git wins), their entries becoming ``healed``; with
    prune enabled, delete the extras the apply's prune would (their entries become ``pruned``)."""
    todo = [i for i, c in enumerate(changes) if c.action in (ch.DRIFTED, ch.MISSING)]
    extras = [c for c in extras if c.action == ch.EXTRA and c.live is not None] if spec.prune else []
    if todo:
        progress(f"healing {len(todo)} object{'s' if len(todo) != 1 else ''}")
        applier = Applier(cluster, target=spec.name, force=True, recreate=spec.recreate,
                          concurrency=options.concurrency, ignore=options.ignore, progress=progress)
        for i, applied in zip(todo, applier.apply([items[i] for i in todo]), strict=True):
            if applied.change.failed:
                changes[i].reason += f"\nheal failed: {applied.change.reason}"
            else:
                changes[i].action = ch.HEALED
                changes[i].reason = f"re-applied ({applied.change.action}); was: {changes[i].reason}"
    pruned = prune.delete_each(cluster, spec, [c.live for c in extras if c.live], options.concurrency, progress)
    for extra, done in zip(extras, pruned, strict=True):
        extra.action = done.action
        extra.reason = done.reason if done.failed else "no longer in Git: pruned (drift --heal, prune enabled)"
