"""Objects several targets declare: a conflict, unless kubepush.yaml says they are shared.

A CRD in a kustomize base used by two overlays is rendered by both targets. Each apply
would label it as a member of its own inventory (and relabel it with its overlay's labels),
so the other target's prune could delete it and its drift would blame Git for labels the
other target set. So, before any write, objects declared by two targets of one run that go
to the same cluster are findings (``declared-twice``) naming both targets; across runs
(another repository, another pipeline) :mod:`kubepush.cluster.ownership` catches the same.

Objects the top-level ``shared:`` list selects (kind/name/namespace globs, matched like
``drift.ignore``) are applied by every target that declares them but belong to no
inventory: they carry no ``part-of`` label, no target prunes them or reports them extra,
and labels/annotations last written by another kubepush target are not drift.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kubepush.cluster.compare.ignore import IgnoreRule
from kubepush.cluster.plan import Item, static_scope, with_namespaces
from kubepush.errors import UsageError
from kubepush.model import Finding

RULE = "declared-twice"
#: differences on a shared object that another target's apply explains
METADATA = (("metadata", "labels"), ("metadata", "annotations"))


@dataclass(frozen=True)
class Shared:
    """The ``shared:`` selectors of kubepush.yaml."""

    selectors: tuple[IgnoreRule, ...] = ()

    @classmethod
    def from_config(cls, raw: Iterable[dict[str, str]]) -> Shared:
        return cls(tuple(IgnoreRule(r["kind"], r["name"], r.get("namespace", "*")) for r in raw))

    def __contains__(self, item: Item) -> bool:
        return any(s.matches(item.obj) for s in self.selectors)


def destination(spec: Any) -> tuple[str, str] | None:
    """``(server URL, default namespace)`` of a target from its kubeconfig alone - no connection,
    no credentials, no exec plugin run (None when the kubeconfig cannot work: its own run reports that).
    The client is imported here, not with the module: kubepush.yaml's targets (cluster/spec.py) read this
    module in commands that never connect (diff --rendered)."""
    from kubepush.cluster import kubeconfig
    from kubepush.cluster.client import in_cluster_destination, kubeconfig_files

    files = kubeconfig_files(spec.kubeconfig)
    try:
        server, namespace = in_cluster_destination() if files is None else kubeconfig.destination(files, spec.context)
    except UsageError:
        return None
    return server, spec.namespace or namespace


def declared_twice(targets: list[tuple[Any, list[Item]]], shared: Shared) -> list[Finding]:
    """One finding per target and object that another target of the run also declares for the
    same cluster (namespaces filled in as the apply would)."""
    if len(targets) < 2:
        return []
    everything = [item for _, items in targets for item in items]
    scope = static_scope(everything)  # a CRD in one target tells the scope of its kind in all
    declared: dict[tuple[str, tuple[str, str, str, str]], list[tuple[str, Item]]] = defaultdict(list)
    for spec, items in targets:
        where = destination(spec)
        if where is None:
            continue
        for item in with_namespaces(items, scope, where[1]):
            if item not in shared:
                declared[(where[0], item.key)].append((spec.name, item))
    findings = []
    for (server, _), seen in declared.items():
        names = sorted({name for name, _ in seen})
        if len(names) < 2:
            continue
        for name, item in seen:
            others = " and ".join(n for n in names if n != name)
            ref = item.ref
            selector = f"{{kind: {ref.kind}, name: {ref.name}" + (f", namespace: {ref.namespace}}}" if ref.namespace
                                                                 else "}")
            findings.append(Finding(
                rule=RULE, file=item.file, line=item.line, document=item.document, object=ref,
                message=f"[{name}] {ref} is also declared by target {others} for the same cluster ({server}): "
                        "each apply would claim it for its own inventory (and the other's prune or drift would "
                        "act on it); nothing applied",
                hint=f"keep it in one target, or declare it shared in kubepush.yaml: shared: [{selector}]"))
    return findings
