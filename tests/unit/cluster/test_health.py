"""cluster/health.py: when an applied object counts as current, in progress or failed (pure)."""

from __future__ import annotations

import pytest

from kubepush.cluster.health import CURRENT, FAILED, IN_PROGRESS, health


def deployment(generation=2, observed=2, replicas=3, updated=3, available=3, total=3, progressing=None):
    conditions = [{"type": "Progressing", "status": "False" if progressing else "True",
                   "reason": progressing or "NewReplicaSetAvailable", "message": "m"}]
    return {"kind": "Deployment", "metadata": {"generation": generation}, "spec": {"replicas": replicas},
            "status": {"observedGeneration": observed, "replicas": total, "updatedReplicas": updated,
                       "availableReplicas": available, "conditions": conditions}}


@pytest.mark.parametrize("kwargs, state", [
    ({}, CURRENT),
    ({"observed": 1}, IN_PROGRESS),
    ({"updated": 2}, IN_PROGRESS),
    ({"total": 4}, IN_PROGRESS),
    ({"available": 1}, IN_PROGRESS),
    ({"progressing": "ProgressDeadlineExceeded", "available": 0}, FAILED),
])
def test_deployment_health(kwargs, state):
    assert health(deployment(**kwargs)).state == state


def test_progress_deadline_exceeded_is_failed_even_with_an_old_observed_generation():
    assert health(deployment(observed=2, progressing="ProgressDeadlineExceeded")).state == FAILED


@pytest.mark.parametrize("status, state", [
    ({"conditions": [{"type": "Complete", "status": "True"}]}, CURRENT),
    ({"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}, FAILED),
    ({"active": 1}, IN_PROGRESS),
])
def test_job_health(status, state):
    assert health({"kind": "Job", "metadata": {}, "status": status}).state == state


@pytest.mark.parametrize("conditions, state", [
    ([], CURRENT),
    ([{"type": "Ready", "status": "True"}], CURRENT),
    ([{"type": "Ready", "status": "False", "reason": "Waiting"}], IN_PROGRESS),
    ([{"type": "Reconciling", "status": "True"}, {"type": "Ready", "status": "True"}], IN_PROGRESS),
    ([{"type": "Stalled", "status": "True", "reason": "Broken", "message": "bad"}], FAILED),
])
def test_custom_resource_health_by_conventional_conditions(conditions, state):
    verdict = health({"kind": "Backup", "metadata": {"generation": 1},
                      "status": {"observedGeneration": 1, "conditions": conditions}})
    assert verdict.state == state


def test_health_of_statefulsets_daemonsets_pvcs_crds():
    sts = {"kind": "StatefulSet", "metadata": {"generation": 1}, "spec": {"replicas": 2},
           "status": {"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 2,
                      "currentRevision": "a", "updateRevision": "b"}}
    assert health(sts).state == IN_PROGRESS
    sts["status"]["currentRevision"] = "b"
    assert health(sts).state == CURRENT
    ds = {"kind": "DaemonSet", "metadata": {"generation": 1}, "status": {
        "observedGeneration": 1, "desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberAvailable": 1}}
    assert health(ds).state == IN_PROGRESS
    assert health({"kind": "PersistentVolumeClaim", "metadata": {}, "status": {"phase": "Pending"}}).state == IN_PROGRESS
    assert health({"kind": "PersistentVolumeClaim", "metadata": {}, "status": {"phase": "Bound"}}).state == CURRENT
    crd = {"kind": "CustomResourceDefinition", "metadata": {}, "status": {"conditions": [
        {"type": "NamesAccepted", "status": "True"}, {"type": "Established", "status": "False"}]}}
    assert health(crd).state == IN_PROGRESS
    assert health({"kind": "ConfigMap", "metadata": {}}).state == CURRENT
    assert health({"kind": "ConfigMap", "metadata": {"deletionTimestamp": "x"}}).state == IN_PROGRESS
