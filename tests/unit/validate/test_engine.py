"""engine: what a worker sends back arrives as it was sent."""

from __future__ import annotations

import pickle

from kubepush.model import Finding, ObjectRef
from kubepush.validate.engine import SourceResult


def test_a_source_result_survives_the_trip_from_a_worker() -> None:
    result = SourceResult(
        findings=[Finding(rule="invalid-name", message="m", file="a.yaml", line=3, column=5, document=1,
                          object=ObjectRef("v1", "Pod", "ns", "p"), path=("metadata", "name"))],
        resources=[("a.yaml", 0, ObjectRef("apps/v1", "Deployment", "ns", "web")), ("a.yaml", 1, ObjectRef())],
        documents=2,
    )
    back = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == result
    assert all(type(ref) is ObjectRef for _, _, ref in back.resources)
