"""The real-cluster tier knows when pods cannot run: ``cluster_helpers.pods_cannot_run``."""

from __future__ import annotations

import pytest

from tests.support.cluster_helpers import pods_cannot_run


@pytest.fixture
def cluster(fake_kube):
    from kubepush.cluster.client import Cluster

    c = Cluster(fake_kube.kubeconfig_path)
    yield c
    c.close()


def node(name, ready="True", unschedulable=False, taints=()):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "spec": {"unschedulable": unschedulable, "taints": list(taints)},
            "status": {"conditions": [{"type": "Ready", "status": ready}]}}


def add(fake, obj):
    status = obj.pop("status")
    fake.create(obj)
    fake.set_status("Node", None, obj["metadata"]["name"], status)  # the kubelet reports it


def test_a_control_plane_without_nodes_runs_no_pods(cluster):
    assert pods_cannot_run(cluster) == ("the cluster has no Node objects (control plane only): "
                                        "pods are never scheduled")


def test_cordoned_not_ready_and_tainted_nodes_run_no_pods_until_one_can(fake_kube, cluster):
    add(fake_kube, node("a", unschedulable=True))
    add(fake_kube, node("b", ready="False"))
    add(fake_kube, node("c", taints=[{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},
                                     {"key": "spot", "effect": "PreferNoSchedule"}]))
    assert pods_cannot_run(cluster) == ("no node can take a pod: a is cordoned; b is not Ready; "
                                        "c is tainted node-role.kubernetes.io/control-plane:NoSchedule")
    add(fake_kube, node("d", taints=[{"key": "spot", "effect": "PreferNoSchedule"}]))
    assert pods_cannot_run(cluster) == ""


def test_without_permission_to_list_nodes_it_says_it_cannot_tell(fake_kube, cluster):
    fake_kube.inject("list", "/nodes", status=403)
    assert pods_cannot_run(cluster).startswith("cannot tell whether pods can run: listing Nodes failed (")
