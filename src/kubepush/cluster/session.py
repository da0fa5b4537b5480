"""What apply and drift share about one target: the connection, the objects as they will be
applied, the inventory they belong to, and the result they report.

Both operations must see a target the same way - the same namespaces filled in, the same
members labelled, the same idea of which live objects another inventory owns - or ``diff``
would preview something the apply does not do and drift would blame Git for another
set's objects. So that part lives here, like the ``ResourceManager`` of Flux's ``ssa``
package (``manager.go``) that its apply, diff, wait and delete operations share, and the
operation modules (:mod:`.apply`, :mod:`.drift`, :mod:`.prune`) build on it, never on
each other.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kubepush import model as ch
from kubepush.cluster import inventory as inv
from kubepush.cluster import ownership, rollout
from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.errors import ClusterError, Unreachable
from kubepush.cluster.listing import Query, list_each
from kubepush.cluster.plan import Item, Scope, duplicates, static_scope, violations, with_namespaces
from kubepush.cluster.spec import TargetSpec
from kubepush.errors import UsageError
from kubepush.model import Finding

Progress = Callable[[str], None]


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


def refuse(spec: TargetSpec, items: list[Item], scope: Scope) -> list[Finding]:
    """Guardrail and duplicate findings for the whole set (every offending object)."""
    order = rollout.plan(items).findings
    misplaced = {(f.file, f.document) for f in order}  # the same object in two waves: said once, there
    found = violations(items, spec.guard, scope) + [
        f for f in duplicates(items) if (f.file, f.document) not in misplaced] + order
    for f in found:
        f.message = f"[{spec.name}] {f.message}"
    return found


def connect(spec: TargetSpec, items: Iterable[Item] = (), *, concurrency: int = 16,
            request_timeout: float = 30.0) -> Cluster:
    """A checked connection; discovery of the items' group-versions runs alongside the check."""
    cluster = Cluster(spec.kubeconfig, spec.context, pool_size=concurrency, timeout=request_timeout)
    with ThreadPoolExecutor(max_workers=1) as pool:
        warm = pool.submit(cluster.prefetch, {item.obj.get("apiVersion", "") for item in items} - {""})
        try:
            cluster.check()
        finally:
            warm.result()
    return cluster


def open_for(spec: TargetSpec, items: list[Item], result: TargetResult, *, concurrency: int,
             request_timeout: float) -> Cluster | None:
    """:func:`connect` for an operation on ``spec``: None, with the one-line reason in
    ``result.error`` (exit 2), when the kubeconfig, the credentials or the cluster fail."""
    try:
        return connect(spec, items, concurrency=concurrency, request_timeout=request_timeout)
    except UsageError as exc:
        result.error = str(exc)
        return None


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
        inv.label_members([item for item in prepared if item not in spec.shared and not rollout.is_hook(item)],
                          parent)
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


def members(cluster: Cluster, parent: inv.Parent, state: inv.State, concurrency: int = 8,
            listed: Mapping[Query, list[dict[str, Any]]] | None = None) -> list[dict[str, Any]]:
    """Every live member of the set in its group-kinds and namespaces: those among what the
    caller's unfiltered LISTs returned (``listed``, by kind and namespace), and what a LIST by the
    set's label finds in the pairs the caller did not list."""
    listed = listed or {}
    found = [obj for objs in listed.values() for obj in objs if ownership.label_of(obj) == parent.id]
    return found + _list_members(cluster, parent, state, concurrency, skip=listed.keys())


def _list_members(cluster: Cluster, parent: inv.Parent, state: inv.State, concurrency: int,
                  skip: Collection[Query]) -> list[dict[str, Any]]:
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
    return [obj for _, objs in list_each(cluster, queries, concurrency, parent.selector) for obj in objs]
