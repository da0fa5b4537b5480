"""validate/rules/duplicates.py: duplicate-resource, the same object defined twice in one run."""

from __future__ import annotations

from kubepush.model import ObjectRef
from kubepush.validate.rules import DuplicateTracker


def test_duplicate_resource_in_unset_namespace():
    tracker = DuplicateTracker()
    ref = ObjectRef("v1", "Service", "", "adservice")
    assert tracker.add(("a.yaml", 0), ref, "a.yaml (document 1)") is None
    f = tracker.add(("a.yaml", 1), ref, "a.yaml (document 2)")
    assert f.rule == "duplicate-resource" and f.path == ("metadata", "name") and f.object == ref
    assert "v1 Service adservice" in f.message and "default/unset" in f.message
    assert "first defined at a.yaml (document 1)" in f.message


def test_duplicate_resource_identity_is_group_kind_namespace_name():
    tracker = DuplicateTracker()
    assert tracker.add(1, ObjectRef("autoscaling/v1", "HorizontalPodAutoscaler", "a", "x"), "one") is None
    assert tracker.add(2, ObjectRef("autoscaling/v2", "HorizontalPodAutoscaler", "a", "x"), "two") is not None
    assert tracker.add(3, ObjectRef("autoscaling/v2", "HorizontalPodAutoscaler", "b", "x"), "three") is None
    assert tracker.add(4, ObjectRef("autoscaling/v2", "HorizontalPodAutoscaler", "", "x"), "four") is None
    assert tracker.add(5, ObjectRef("v1", "ConfigMap", "a", "x"), "five") is None
    # cluster-scoped: the namespace is ignored
    assert tracker.add(6, ObjectRef("rbac.authorization.k8s.io/v1", "ClusterRole", "a", "view"), "six") is None
    f = tracker.add(7, ObjectRef("rbac.authorization.k8s.io/v1", "ClusterRole", "", "view"), "seven")
    assert f is not None and "cluster-scoped" in f.message


def test_duplicate_resource_same_document_twice_or_nameless_is_not_a_duplicate():
    tracker = DuplicateTracker()
    ref = ObjectRef("v1", "ConfigMap", "", "cfg")
    assert tracker.add(("f", 0), ref, "f") is None
    assert tracker.add(("f", 0), ref, "f") is None
    nameless = ObjectRef("batch/v1", "Job", "", "")
    assert tracker.add(("f", 1), nameless, "f") is None and tracker.add(("f", 2), nameless, "f") is None
