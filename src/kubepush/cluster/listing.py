"""Reading live objects in bulk: one LIST per kind and namespace, concurrently and bounded.

Apply (what exists before a stage), drift (the live side of the comparison), the ownership
check (members of other sets) and prune (members of this set) all read the cluster this way,
so the grouping of objects into queries and the request fan-out are written once.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.plan import Item

Query = tuple[ResourceInfo, str | None]  # a kind, and its namespace (None: cluster-scoped)


def query(info: ResourceInfo, item: Item) -> Query:
    """The LIST that returns ``item``'s live copy."""
    return info, item.ref.namespace if info.namespaced else None


def list_each(cluster: Cluster, queries: Iterable[Query], concurrency: int, label_selector: str | None = None,
              tolerate: tuple[type[Exception], ...] = ()) -> list[tuple[Query, list[dict[str, Any]]]]:
    """Each distinct query with what it returned, in order. A query that failed with an error of a
    ``tolerate`` type is left out - unknown, not empty (the caller's next request will tell, and
    a caller that reuses the answers lists it again); any other error is raised."""
    distinct = list(dict.fromkeys(queries))

    def fetch(q: Query) -> list[dict[str, Any]] | None:
        try:
            return cluster.list(q[0], q[1], label_selector=label_selector)
        except tolerate:
            return None

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(distinct)))) as pool:
        return [(q, objs) for q, objs in zip(distinct, pool.map(fetch, distinct), strict=True) if objs is not None]
