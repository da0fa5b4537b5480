"""cluster/listing.py: one LIST per distinct query; a tolerated refusal leaves its query out."""

from __future__ import annotations

import pytest

from kubepush.cluster.client import ResourceInfo
from kubepush.cluster.errors import ApiError
from kubepush.cluster.listing import list_each

CONFIGMAPS = ResourceInfo(api_version="v1", kind="ConfigMap", plural="configmaps", namespaced=True)


class Cluster:
    """Answers a LIST per namespace; ``refused`` namespaces answer 403."""

    def __init__(self, refused=()):
        self.refused = set(refused)
        self.calls = []

    def list(self, info, namespace, label_selector=None):
        self.calls.append(namespace)
        if namespace in self.refused:
            raise ApiError(403, "Forbidden", "configmaps is forbidden", {})
        return [{"metadata": {"name": f"in-{namespace}"}}]


def test_each_distinct_query_is_listed_once_in_order():
    cluster = Cluster()
    answers = list_each(cluster, [(CONFIGMAPS, "a"), (CONFIGMAPS, "b"), (CONFIGMAPS, "a")], 4)
    assert [(q[1], [o["metadata"]["name"] for o in objs]) for q, objs in answers] == [("a", ["in-a"]), ("b", ["in-b"])]
    assert sorted(cluster.calls) == ["a", "b"]


def test_a_tolerated_refusal_leaves_its_query_out_and_another_is_raised():
    """Out, not empty: a caller that reuses the answers (prune after a stage) must list it itself."""
    answers = list_each(Cluster(refused={"b"}), [(CONFIGMAPS, "a"), (CONFIGMAPS, "b")], 4, tolerate=(ApiError,))
    assert [q[1] for q, _ in answers] == ["a"]
    with pytest.raises(ApiError):
        list_each(Cluster(refused={"b"}), [(CONFIGMAPS, "a"), (CONFIGMAPS, "b")], 4)
