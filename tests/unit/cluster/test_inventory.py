"""cluster/inventory.py: the ApplySet parent - kubectl's id, and what it records and reads back (pure)."""

from __future__ import annotations

import base64
import hashlib

from kubepush.cluster import inventory as inv
from tests.unit.cluster.objects import items, obj


def test_applyset_id_is_computed_like_kubectl():
    digest = hashlib.sha256(b"web.prod.Secret.").digest()
    expected = "applyset-" + base64.urlsafe_b64encode(digest).decode().rstrip("=") + "-v1"
    assert inv.Parent("web", "prod").id == expected
    assert inv.applyset_id("web", "prod", "Secret", "") != inv.applyset_id("web", "prod", "ConfigMap", "")


def test_parent_manifest_records_group_kinds_namespaces_and_revisions():
    parent = inv.Parent("kubepush-prod", "ops")
    state = inv.State.of(parent, items(obj("Deployment", "d", "shop", "apps/v1"), obj("ConfigMap", "c", "ops"),
                                       obj("Namespace", "shop")))
    manifest = parent.manifest(inv.State(state.group_kinds, state.namespaces, "abc", "def"))
    annotations = manifest["metadata"]["annotations"]
    assert annotations[inv.CONTAINS_GROUP_KINDS] == "ConfigMap,Deployment.apps,Namespace"
    assert annotations[inv.ADDITIONAL_NAMESPACES] == "shop"
    assert annotations[inv.TOOLING].startswith("kubepush/v")
    assert (annotations[inv.REVISION], annotations[inv.HEALTHY_REVISION]) == ("abc", "def")
    assert manifest["metadata"]["labels"] == {inv.ID_LABEL: parent.id}
    assert inv.State.read(parent, manifest) == inv.State(state.group_kinds, state.namespaces, "abc", "def")
