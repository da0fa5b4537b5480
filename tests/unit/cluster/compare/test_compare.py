"""Pure comparison: masking, ignore rules, the cheap pre-check, differences and who-drifted."""

from __future__ import annotations

import base64
import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from kubepush.cluster.compare import diff, fields, mask, normalise, owners
from kubepush.cluster.compare.diff import Difference
from kubepush.cluster.compare.ignore import Ignore, IgnoreRule, respect


def b64(text):
    return base64.b64encode(text.encode()).decode()


def managed(manager, operation, fields, time="2026-11-20T10:22:31Z", subresource=None):
    entry = {"manager": manager, "operation": operation, "apiVersion": "apps/v1", "time": time,
             "fieldsType": "FieldsV1", "fieldsV1": fields}
    if subresource:
        entry["subresource"] = subresource
    return entry


DESIRED = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "app", "image": "nginx:1"}]}}}}
OURS = managed("kubepush", "Apply", {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
    'k:{"name":"app"}': {".": {}, "f:name": {}, "f:image": {}}}}}}})


def live(replicas=2, image="nginx:1", managers=(OURS,), extra_container_field=True):
    container = {"name": "app", "image": image}
    if extra_container_field:
        container["imagePullPolicy"] = "IfNotPresent"  # a server default
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "7", "generation": 3,
                         "uid": "u", "managedFields": list(managers)},
            "spec": {"replicas": replicas, "progressDeadlineSeconds": 600,
                     "template": {"spec": {"containers": [container]}}},
            "status": {"observedGeneration": 3}}


def test_may_differ_is_false_only_when_git_is_already_live_and_kubepush_owns_nothing_more():
    assert diff.may_differ(DESIRED, live()) is False
    assert diff.may_differ(DESIRED, live(replicas=5)) is True
    assert diff.may_differ(DESIRED, live(image="nginx:2")) is True
    # a field kubepush applied earlier and Git dropped since: an apply would remove it
    dropped = {**DESIRED, "spec": {k: v for k, v in DESIRED["spec"].items() if k != "replicas"}}
    assert diff.may_differ(dropped, live()) is True
    # never applied by kubepush: only a dry run knows
    assert diff.may_differ(DESIRED, live(managers=())) is True


def test_may_differ_is_false_for_what_respect_sends_when_only_ignored_fields_differ():
    sent = respect([IgnoreRule(paths=("/spec/replicas",))], DESIRED, live(replicas=5))
    assert diff.may_differ(sent.obj, live(replicas=5)) is False


def test_secret_string_data_compares_as_the_data_the_api_stores():
    desired = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"pw": "hunter2"}}
    owned = {"f:stringData": {"f:pw": {}}}
    have = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "managedFields": [
        {"manager": "kubepush", "operation": "Apply", "fieldsV1": owned}]}, "data": {"pw": b64("hunter2")}}
    assert diff.may_differ(desired, have) is False
    have["data"]["pw"] = b64("changed")
    assert diff.may_differ(desired, have) is True


def test_mask_never_shows_secret_values_only_whether_they_changed():
    have = {"apiVersion": "v1", "kind": "Secret", "data": {"same": b64("a"), "moved": b64("b"), "gone": b64("c")}}
    want = {"apiVersion": "v1", "kind": "Secret", "data": {"same": b64("a"), "moved": b64("B")},
            "stringData": {"new": "secret-value"}}
    shown_live, shown_want = mask.mask(have, want)
    assert shown_live["data"] == {"same": "***", "moved": "***", "gone": "***"}
    assert shown_want["data"] == {"same": "***", "moved": "*** (changed)", "new": "*** (added)"}
    text = diff.unified(shown_live, shown_want, "Secret/s")
    for value in ("secret-value", b64("a"), b64("B"), b64("b"), b64("secret-value")):
        assert value not in text
    assert "*** (changed)" in text
    # kubectl's client-side apply annotation holds the values too
    annotated = {**have, "metadata": {"annotations": {mask.LAST_APPLIED: '{"data":{"same":"YQ=="}}'}}}
    shown_live, shown_want = mask.mask(annotated, {**want, "metadata": annotated["metadata"]})
    assert shown_live["metadata"]["annotations"][mask.LAST_APPLIED] == "***"
    assert shown_want["metadata"]["annotations"][mask.LAST_APPLIED] == "***"
    assert annotated["metadata"]["annotations"][mask.LAST_APPLIED] != "***"  # copies were masked
    # not a Secret: untouched
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}}
    assert mask.mask(cm, cm) == (cm, cm)


def test_clean_drops_status_and_server_metadata():
    cleaned = normalise.clean(live())
    assert "status" not in cleaned
    assert set(cleaned["metadata"]) == {"name", "namespace"}


def test_differences_align_named_list_items_and_report_leaves():
    old = normalise.clean(live(replicas=5, image="nginx:2"))
    new = normalise.clean(live())
    found = diff.differences(old, new)
    assert [d.path for d in found] == [("spec", "replicas"), ("spec", "template", "spec", "containers", 0, "image")]
    assert found[0] == Difference(("spec", "replicas"), 5, 2)
    two = {"c": [{"name": "a", "v": 1}, {"name": "b", "v": 2}]}
    reordered = {"c": [{"name": "b", "v": 2}, {"name": "a", "v": 1}, {"name": "x", "v": 3}]}
    assert [d.path for d in diff.differences(two, reordered)] == [("c", 2)]


def test_who_drifted_names_manager_operation_and_time():
    edit = managed("kubectl-edit", "Update", {"f:spec": {"f:replicas": {}}})
    scaler = managed("hpa-controller", "Update", {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"app"}': {"f:image": {}}}}}}}, time="2026-11-21T08:00:00Z")
    have = live(replicas=5, image="nginx:9", managers=(OURS, edit, scaler))
    line, who = owners.attribute(have, Difference(("spec", "replicas"), 5, 2))
    assert line == "spec.replicas set to 5 by kubectl-edit (Update), 2026-11-20 10:22 UTC"
    assert [o.manager for o in who] == ["kubectl-edit"]
    line, _ = owners.attribute(have, Difference(("spec", "template", "spec", "containers", 0, "image"),
                                                 "nginx:9", "nginx:1"))
    assert line.endswith('set to nginx:9 by hpa-controller (Update), 2026-11-21 08:00 UTC')
    # kubepush's own value that Git changed since
    line, who = owners.attribute(live(), Difference(("spec", "replicas"), 2, 3))
    assert line == "spec.replicas changed in Git (live: 2)" and who == []
    line, _ = owners.attribute(live(), Difference(("spec", "paused"), fields.ABSENT, True))
    assert "not in the cluster" in line


def test_owners_understand_atomic_parents_sets_and_subresources():
    atomic = managed("other", "Apply", {"f:spec": {"f:selector": {}}})
    scale = managed("kube-controller-manager", "Update", {"f:spec": {"f:replicas": {}}}, subresource="scale")
    have = live(managers=(atomic, scale))
    have["spec"]["selector"] = {"matchLabels": {"app": "web"}}
    assert [o.manager for o in owners.owners(have, ("spec", "selector", "matchLabels", "app"))] == ["other"]
    owner = owners.owners(have, ("spec", "replicas"))[0]
    assert str(owner) == "kube-controller-manager (Update /scale), 2026-11-20 10:22 UTC"
    finalizers = {"metadata": {"finalizers": ["a", "b"], "managedFields": [
        managed("ctl", "Update", {"f:metadata": {"f:finalizers": {'v:"b"': {}}}})]}}
    assert [o.manager for o in owners.owners(finalizers, ("metadata", "finalizers", 1))] == ["ctl"]
    assert owners.owners(finalizers, ("metadata", "finalizers", 0)) == []


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


def test_who_drifted_never_quotes_secret_values():
    have = {"kind": "Secret", "metadata": {"annotations": {mask.LAST_APPLIED: '{"data":{"pw":"c2VjcmV0"}}'},
                                           "managedFields": [managed("kubectl-client-side-apply", "Update", {
                                               "f:data": {"f:pw": {}}, "f:metadata": {"f:annotations": {
                                                   f"f:{mask.LAST_APPLIED}": {}}}})]},
            "data": {"pw": "c2VjcmV0"}}
    for path, live_value in ((("data", "pw"), "c2VjcmV0"),
                             (("metadata", "annotations", mask.LAST_APPLIED), "{...c2VjcmV0...}")):
        line, _ = owners.attribute(have, Difference(path, live_value, "x"), secret=True)
        assert "c2VjcmV0" not in line and "set to a new value by kubectl-client-side-apply" in line


# --- properties ---------------------------------------------------------------------------------

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("abc", max_size=3))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text("xyz", min_size=1, max_size=2), inner, max_size=3)),
    max_leaves=12)
_objects = st.dictionaries(st.text("xyz", min_size=1, max_size=2), _values, max_size=4)


@settings(max_examples=200, deadline=None)
@given(_objects, _objects)
def test_differences_are_empty_exactly_for_equal_objects(a, b):
    assert diff.differences(a, a) == []
    found = diff.differences(a, b)
    assert (found == []) == (a == b)
    for difference in found:  # every reported path exists on at least one side
        assert difference.live is not fields.ABSENT or difference.want is not fields.ABSENT


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text("kp", min_size=1, max_size=3), st.text(max_size=12).map("s3cr3t-".__add__),
                       min_size=1, max_size=4),
       st.dictionaries(st.text("kp", min_size=1, max_size=3), st.text(max_size=12).map("s3cr3t-".__add__),
                       max_size=4))
def test_no_secret_value_survives_masking(live_values, git_values):
    live = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {k: b64(v) for k, v in live_values.items()}}
    want = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": git_values}
    shown = diff.unified(*mask.mask(live, want), "Secret/s")
    for value in [*live_values.values(), *git_values.values()]:
        assert value not in shown and b64(value) not in shown


def test_respect_reads_a_pointer_number_as_a_map_key_in_a_map():
    desired = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"0": "git", "1": "git"}}
    have = {**desired, "metadata": {"name": "c", "managedFields": [managed("kubepush", "Apply", {
        "f:data": {"f:0": {}, "f:1": {}}})]}, "data": {"0": "live", "1": "live"}}
    sent = respect([IgnoreRule(paths=("/data/0",))], desired, have)
    assert sent.obj["data"] == {"0": "live", "1": "git"}
