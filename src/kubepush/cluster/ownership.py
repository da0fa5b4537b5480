"""Who owns a live object: this inventory, another one, or none - read before anything is written.

kubectl's ApplySet rules are the model (KEP-3659, kubernetes/enhancements
``keps/sig-cli/3659-kubectl-apply-prune/README.md``, "ApplySet Specification": an object is
part of at most one ApplySet, and the ``applyset.kubernetes.io/part-of`` label is the source
of truth for membership; kubectl's ``staging/src/k8s.io/kubectl/pkg/cmd/apply/applyset.go``
selects prune candidates by that label only and refuses input that already carries it).
So an object labelled as part of *another* set is never adopted, pruned or called extra here:

- apply refuses it before any write (a finding naming the object and the other set's parent
  with its target and source), unless ``--take-over`` is given - then it is applied with this
  set's label and reported as taken over;
- diff and drift report it as ``owned-elsewhere`` instead of comparing it (its differences
  are the other set's, not Git's);
- two exceptions are not "another set": members of this target's inventory of an earlier
  kubepush version (``kubepush-<target>``, moved over by the next apply, see
  :mod:`kubepush.cluster.migrate`), and a shared object (``shared:``) last labelled by
  another target of the same kubepush.yaml (the label is dropped by the next apply).

The other set's parent is found by its ``applyset.kubernetes.io/id`` label: one LIST of
Secrets and one of ConfigMaps (the parent kinds kubectl builds in) across namespaces, for all
ids at once; without permission for that, in the members' namespaces; failing that the
message names the id only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kubepush.cluster import inventory as inv
from kubepush.cluster.client import Cluster
from kubepush.cluster.errors import ClusterError, Unreachable
from kubepush.cluster.identity import Source
from kubepush.cluster.listing import Query, list_each, query
from kubepush.cluster.plan import Item
from kubepush.model import Finding

RULE = "owned-elsewhere"
FIX = ("remove it from this target, declare it shared in kubepush.yaml (shared:) if both sets must apply it, "
       "or run apply with --take-over to move it into this set")


@dataclass(frozen=True)
class Owner:
    """Another ApplySet, and its parent when found."""

    id: str
    parent: dict[str, Any] | None = None

    @property
    def annotations(self) -> dict[str, str]:
        return ((self.parent or {}).get("metadata") or {}).get("annotations") or {}

    def same_source(self, source: Source | None) -> bool:
        """Written by another target of the same kubepush.yaml?"""
        return (source is not None and self.annotations.get(inv.SOURCE) == source.path
                and self.annotations.get(inv.REPOSITORY, "") == source.repository)

    def describe(self) -> str:
        """``Secret shop/kubepush-staging-1a2b (target staging of github.com/acme/one, kubepush.yaml)``."""
        if self.parent is None:
            return f"the ApplySet {self.id} (its parent Secret/ConfigMap was not found)"
        meta = self.parent["metadata"]
        where = f"{self.parent.get('kind', 'Secret')} {meta.get('namespace', '')}/{meta['name']}"
        notes = self.annotations
        if inv.TARGET not in notes:
            return f"{where} (tooling {notes.get(inv.TOOLING, 'unknown')})"
        origin = ", ".join(v for v in (notes.get(inv.REPOSITORY), notes.get(inv.SOURCE)) if v)
        return f"{where} (target {notes[inv.TARGET]}" + (f" of {origin})" if origin else ")")


def label_of(obj: dict[str, Any] | None) -> str:
    """The set a live object is part of ("" for none)."""
    labels: dict[str, str] = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(inv.PART_OF_LABEL, "")


def foreign_labels(cluster: Cluster, parent: inv.Parent, items: list[Item], concurrency: int = 8
                   ) -> dict[tuple[str, str, str, str], str]:
    """For each item whose live copy is part of another set: that set's id.

    One LIST per kind and namespace, filtered by the server to members of other sets
    (``part-of,part-of!=<id>``), so the answer holds only what matters. A LIST the server
    refuses raises: without it nothing proves the objects are not another set's.
    """
    queries: list[Query] = []
    for item in items:
        try:
            info = cluster.resource(item.obj["apiVersion"], item.obj["kind"])
        except Unreachable:
            raise
        except ClusterError:
            continue  # not served yet (its CRD comes in stage 1): nothing of it exists
        queries.append(query(info, item))
    selector = f"{inv.PART_OF_LABEL},{inv.PART_OF_LABEL}!={parent.id}"
    wanted = {item.key for item in items}
    # an error (not allowed to list) is the caller's
    return {inv.live_key(obj): label_of(obj) for _, objs in list_each(cluster, queries, concurrency, selector)
            for obj in objs if inv.live_key(obj) in wanted}


def owners(cluster: Cluster, ids: Iterable[str], namespaces: Iterable[str] = ()) -> dict[str, Owner]:
    """The parents of ``ids`` (an Owner without parent when it cannot be found). Without
    permission to list across namespaces, ``namespaces`` (where the members are: a namespaced
    parent's own namespace holds members too) are searched instead."""
    ids = sorted(set(ids) - {""})
    found: dict[str, dict[str, Any]] = {}
    if ids:
        selector = f"{inv.ID_LABEL} in ({','.join(ids)})"
        for kind in ("Secret", "ConfigMap"):
            info = cluster.resource("v1", kind)
            for where in (None, *sorted(set(namespaces))):
                try:
                    for obj in cluster.list(info, where, label_selector=selector):
                        found.setdefault(obj["metadata"].get("labels", {}).get(inv.ID_LABEL, ""), obj)
                    break
                except Unreachable:
                    raise
                except ClusterError:
                    continue  # not allowed here: the next namespace, or the id has to do
    return {i: Owner(i, found.get(i)) for i in ids}


@dataclass
class Claims:
    """How this target relates to the live owners of its objects."""

    parent: inv.Parent
    legacy: str = ""  # the id of this target's inventory of an earlier version ("" for none)
    source: Source | None = None

    def foreign(self, item: Item, label: str, owner: Owner, shared: bool) -> bool:
        """Is ``label`` (the live copy's set) another set in the sense of the rules above?"""
        if not label or label in (self.parent.id, self.legacy):
            return False
        return not (shared and owner.same_source(self.source))


def refusal(target: str, item: Item, owner: Owner) -> Finding:
    return Finding(rule=RULE, file=item.file, line=item.line, document=item.document, object=item.ref,
                   message=f"[{target}] {item.ref} belongs to another inventory, {owner.describe()}: nothing "
                           "applied", hint=FIX)


def owned_elsewhere(owner: Owner, preview: bool) -> str:
    """The reason of an ``owned-elsewhere`` change in diff/drift."""
    then = "an apply would refuse it" if preview else "not compared: its live state is the other set's"
    return f"belongs to another inventory, {owner.describe()}; {then}; {FIX}"
