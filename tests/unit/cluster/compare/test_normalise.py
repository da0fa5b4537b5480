"""cluster/compare/normalise.py: what the server adds is dropped before comparing."""

from __future__ import annotations

from kubepush.cluster.compare import normalise
from tests.unit.cluster.compare.objects import live


def test_clean_drops_status_and_server_metadata():
    cleaned = normalise.clean(live())
    assert "status" not in cleaned
    assert set(cleaned["metadata"]) == {"name", "namespace"}
