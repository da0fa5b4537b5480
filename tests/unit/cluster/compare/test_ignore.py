"""cluster/compare/ignore.py: drift.ignore rules, and what an apply sends so that ignored fields
stay as they are."""

from __future__ import annotations

import copy

from kubepush.cluster.compare import fields
from kubepush.cluster.compare.ignore import Ignore, IgnoreRule, respect
from tests.unit.cluster.compare.objects import DESIRED, OURS, b64, live, managed


def test_ignore_rules_match_kind_name_namespace_and_parse_pointers():
    rule = IgnoreRule.from_config({"kind": "Deployment.apps", "name": "web*", "paths": ["/spec/replicas",
                                                                                      "/metadata/annotations/a~1b"]})
    obj = {**DESIRED, "metadata": {**DESIRED["metadata"], "annotations": {"a/b": "x", "c": "y"}}}
    ignore = Ignore.for_object([rule, IgnoreRule(kind="Service", paths=("/spec",))], obj)
    assert ignore.paths == (("spec", "replicas"), ("metadata", "annotations", "a/b"))
    assert Ignore.for_object([IgnoreRule(name="other")], obj).paths == ()
    assert fields.parse_pointer("/spec/containers/0/image") == ("spec", "containers", 0, "image")


# --- respect: what an apply sends so that ignored fields stay as they are ----------------------------
REPLICAS = [IgnoreRule(paths=("/spec/replicas",))]


def with_replicas(replicas):
    return {**DESIRED, "spec": {**DESIRED["spec"], "replicas": replicas}}


def test_respect_sends_the_live_value_of_an_ignored_field_kubepush_owns():
    """Dropping a field kubepush owns would make the server remove it (or reset it to its default)."""
    sent = respect(REPLICAS, with_replicas(5), live(replicas=2))
    assert sent.obj["spec"]["replicas"] == 2
    assert sent.note() == "left alone: spec.replicas stays 2 (Git: 5; ignored: /spec/replicas)"
    assert DESIRED["spec"]["replicas"] == 2 and with_replicas(5)["spec"]["replicas"] == 5  # inputs untouched


def test_respect_drops_an_ignored_field_another_manager_took_over():
    """Not sending a field kubepush does not own leaves it (and its owner) as it is."""
    ours = managed("kubepush", "Apply", {"f:spec": {"f:template": OURS["fieldsV1"]["f:spec"]["f:template"]}})
    scaler = managed("kubectl", "Update", {"f:spec": {"f:replicas": {}}}, subresource="scale")
    sent = respect(REPLICAS, DESIRED, live(replicas=3, managers=(ours, scaler)))
    assert "replicas" not in sent.obj["spec"]
    assert sent.obj["spec"]["template"] == DESIRED["spec"]["template"]
    assert sent.note() == "left alone: spec.replicas stays 3 (Git: 2; ignored: /spec/replicas)"


def test_respect_does_not_add_an_ignored_field_the_live_object_lacks():
    have = live()
    del have["spec"]["replicas"]
    sent = respect(REPLICAS, DESIRED, have)
    assert "replicas" not in sent.obj["spec"]
    assert sent.note() == "left alone: spec.replicas stays unset (Git: 2; ignored: /spec/replicas)"


def test_respect_changes_nothing_for_a_created_object_or_without_matching_rules():
    assert respect(REPLICAS, DESIRED, None).obj == DESIRED
    assert respect([IgnoreRule(name="other", paths=("/spec/replicas",))], with_replicas(5),
                           live()).obj == with_replicas(5)
    same = respect(REPLICAS, DESIRED, live())
    assert same.obj == DESIRED and same.note() == ""  # Git's value is live: nothing to tell


def test_respect_keeps_only_the_part_of_an_ignored_map_kubepush_owns():
    ours = managed("kubepush", "Apply", {"f:metadata": {"f:annotations": {"f:mine": {}}}})
    theirs = managed("other", "Update", {"f:metadata": {"f:annotations": {"f:theirs": {}}}})
    desired = {**DESIRED, "metadata": {**DESIRED["metadata"], "annotations": {"mine": "git", "new": "git"}}}
    have = live(managers=(ours, theirs))
    have["metadata"]["annotations"] = {"mine": "live", "theirs": "live"}
    sent = respect([IgnoreRule(paths=("/metadata/annotations",))], desired, have)
    assert sent.obj["metadata"]["annotations"] == {"mine": "live"}


def test_respect_leaves_fields_of_ignored_managers_alone_matching_list_items_by_key():
    updater = managed("image-updater", "Update", {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"app"}': {"f:image": {}}}}}}})
    other = managed("kubectl-edit", "Update", {"f:spec": {"f:replicas": {}}})
    have = live(replicas=4, image="nginx:9", managers=(updater, other))
    have["spec"]["template"]["spec"]["containers"].insert(0, {"name": "sidecar", "image": "envoy:1"})
    desired = copy.deepcopy(DESIRED)
    desired["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "envoy:2"})
    sent = respect([IgnoreRule(managers=("image-updater",))], desired, have)
    containers = sent.obj["spec"]["template"]["spec"]["containers"]
    assert containers == [{"name": "app"}, {"name": "sidecar", "image": "envoy:2"}]
    assert sent.obj["spec"]["replicas"] == 2  # owned by a manager that is not ignored: Git wins
    assert sent.note() == ("left alone: spec.template.spec.containers[0].image stays nginx:9 "
                           "(Git: nginx:1; owned by image-updater)")


def test_respect_sends_the_live_value_of_a_field_kubepush_shares_with_an_ignored_manager():
    hpa = managed("hpa", "Apply", {"f:spec": {"f:replicas": {}}})
    both = managed("other", "Update", {"f:spec": {"f:paused": {}}})
    have = live(replicas=2, managers=(OURS, hpa, both))
    sent = respect([IgnoreRule(managers=("hpa",))], with_replicas(7), have)
    assert sent.obj["spec"]["replicas"] == 2


def test_respect_never_quotes_secret_values():
    desired = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"pw": b64("git-pw")}}
    have = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "managedFields": [
        managed("rotator", "Update", {"f:data": {"f:pw": {}}})]}, "data": {"pw": b64("live-pw")}}
    sent = respect([IgnoreRule(managers=("rotator",))], desired, have)
    assert sent.obj["data"] == {}
    note = sent.note(secret=True)
    assert note == "left alone: data.pw stays as it is (Git: a different value; owned by rotator)"
    assert b64("git-pw") not in note and b64("live-pw") not in note



def test_respect_reads_a_pointer_number_as_a_map_key_in_a_map():
    desired = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"0": "git", "1": "git"}}
    have = {**desired, "metadata": {"name": "c", "managedFields": [managed("kubepush", "Apply", {
        "f:data": {"f:0": {}, "f:1": {}}})]}, "data": {"0": "live", "1": "live"}}
    sent = respect([IgnoreRule(paths=("/data/0",))], desired, have)
    assert sent.obj["data"] == {"0": "live", "1": "git"}
