"""cluster/compare/diff.py: the cheap pre-check before a dry run, and the differences between live and Git."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from kubepush.cluster.compare import diff, fields, normalise
from kubepush.cluster.compare.diff import Difference
from kubepush.cluster.compare.ignore import IgnoreRule, respect
from tests.unit.cluster.compare.objects import DESIRED, OURS, b64, live, managed


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


def test_an_apply_is_a_no_op_only_when_kubepush_already_owns_every_declared_field():
    assert diff.apply_is_noop(DESIRED, live()) is True
    assert diff.apply_is_noop(DESIRED, live(replicas=5)) is False  # a value differs
    assert diff.apply_is_noop(DESIRED, live(managers=())) is False  # kubepush owns nothing yet
    # the value is live, but another manager set it: the apply would make kubepush own it too
    partly = managed("kubepush", "Apply", {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"app"}': {".": {}, "f:name": {}, "f:image": {}}}}}}})
    assert diff.apply_is_noop(DESIRED, live(managers=(partly,))) is False
    # the same fields owned by a status entry of the same name are not the object's apply
    status = managed("kubepush", "Apply", OURS["fieldsV1"], subresource="status")
    assert diff.apply_is_noop(DESIRED, live(managers=(status,))) is False
    # recorded in another version of the kind: its field names are that version's
    other = managed("kubepush", "Apply", OURS["fieldsV1"])
    other["apiVersion"] = "apps/v1beta2"
    assert diff.apply_is_noop(DESIRED, live(managers=(other,))) is False
    # a status in the manifest is never applied, so never owned: sent, as before
    assert diff.apply_is_noop({**DESIRED, "status": {"observedGeneration": 3}}, live()) is False


def test_a_field_inside_an_atomic_one_is_owned_with_it():
    """A label selector is atomic: managedFields says ``f:selector: {}``, not its keys."""
    selector = {"matchLabels": {"app": "web"}}
    desired = {**DESIRED, "spec": {**DESIRED["spec"], "selector": selector}}
    fieldset = json.loads(json.dumps(OURS["fieldsV1"]))
    fieldset["f:spec"]["f:selector"] = {}
    have = live(managers=(managed("kubepush", "Apply", fieldset),))
    have["spec"]["selector"] = selector
    assert diff.apply_is_noop(desired, have) is True
    fieldset["f:spec"]["f:selector"] = {"f:matchExpressions": {}}  # not atomic, and not the declared key
    have["metadata"]["managedFields"] = [managed("kubepush", "Apply", fieldset)]
    assert diff.apply_is_noop(desired, have) is False


def test_a_secret_applied_as_string_data_is_a_no_op_whichever_form_is_owned():
    desired = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"pw": "hunter2"}}
    for owned in ({"f:stringData": {"f:pw": {}}}, {"f:data": {"f:pw": {}}}):
        have = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "managedFields": [
            {"manager": "kubepush", "operation": "Apply", "apiVersion": "v1", "fieldsV1": owned}]},
            "data": {"pw": b64("hunter2")}}
        assert diff.apply_is_noop(desired, have) is True
        have["data"]["pw"] = b64("changed")
        assert diff.apply_is_noop(desired, have) is False


def test_differences_align_named_list_items_and_report_leaves():
    old = normalise.clean(live(replicas=5, image="nginx:2"))
    new = normalise.clean(live())
    found = diff.differences(old, new)
    assert [d.path for d in found] == [("spec", "replicas"), ("spec", "template", "spec", "containers", 0, "image")]
    assert found[0] == Difference(("spec", "replicas"), 5, 2)
    two = {"c": [{"name": "a", "v": 1}, {"name": "b", "v": 2}]}
    reordered = {"c": [{"name": "b", "v": 2}, {"name": "a", "v": 1}, {"name": "x", "v": 3}]}
    assert [d.path for d in diff.differences(two, reordered)] == [("c", 2)]


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("abc", max_size=3))


_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text("xyz", min_size=1, max_size=2), inner, max_size=3)),
    max_leaves=12)


_objects = st.dictionaries(st.text("xyz", min_size=1, max_size=2), _values, max_size=4)


def _json(value):
    return json.dumps(value, sort_keys=True)


@settings(max_examples=200, deadline=None)
@given(_objects, _objects)
def test_differences_are_empty_exactly_for_equal_objects(a, b):
    assert diff.differences(a, a) == []
    found = diff.differences(a, b)
    # equal as JSON values: Python's == says False == 0 and True == 1, which Kubernetes does not
    assert (found == []) == (_json(a) == _json(b))
    for difference in found:  # every reported path exists on at least one side
        assert difference.live is not fields.ABSENT or difference.want is not fields.ABSENT


def test_a_boolean_and_the_number_python_equates_with_it_differ():
    # JSON (and so the API server) tells false from 0 and true from 1; Python's == does not
    assert diff.differences({"x": False}, {"x": 0}) == [Difference(path=("x",), live=False, want=0)]
    assert diff.differences({"x": [1]}, {"x": [True]}) == [Difference(path=("x", 0), live=1, want=True)]
