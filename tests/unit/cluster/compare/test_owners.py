"""cluster/compare/owners.py: who drifted a field, from managedFields - never quoting a Secret value."""

from __future__ import annotations

from kubepush.cluster.compare import fields, mask, owners
from kubepush.cluster.compare.diff import Difference
from tests.unit.cluster.compare.objects import OURS, live, managed


def test_who_drifted_names_manager_operation_and_time():
    edit = managed("kubectl-edit", "Update", {"f:spec": {"f:replicas": {}}})
    scaler = managed("hpa-controller", "Update", {"f:spec": {"f:template": {"f:spec": {"f:containers": {
        'k:{"name":"app"}': {"f:image": {}}}}}}}, time="2026-11-21T08:00:00Z")
    have = live(replicas=5, image="nginx:9", managers=(OURS, edit, scaler))
    line, who = owners.attribute(have, Difference(("spec", "replicas"), 5, 2))
    assert line == "spec.replicas set to 5 by kubectl-edit (Update), 2026-11-20 10:22 UTC (Git: 2)"
    assert [o.manager for o in who] == ["kubectl-edit"]
    line, _ = owners.attribute(have, Difference(("spec", "template", "spec", "containers", 0, "image"),
                                                 "nginx:9", "nginx:1"))
    assert line.endswith('set to nginx:9 by hpa-controller (Update), 2026-11-21 08:00 UTC (Git: nginx:1)')
    # kubepush's own value that Git changed since
    line, who = owners.attribute(live(), Difference(("spec", "replicas"), 2, 3))
    assert line == "spec.replicas changed in Git: 2 -> 3" and who == []
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
        assert "Git: x" not in line


def test_a_secret_value_changed_in_git_says_so_without_a_value_and_its_field_is_masked():
    """It used to read "changed in Git (live: a new value)": the live value is not new, and not shown."""
    have = {"kind": "Secret", "metadata": {}, "data": {"pw": "c2VjcmV0"}}
    difference = Difference(("data", "pw"), "c2VjcmV0", "bmV3")
    line, who = owners.attribute(have, difference, secret=True)
    assert line == "data.pw changed in Git (the value is secret: not shown)" and who == []
    change = owners.field_change(difference, who, secret=True)
    assert (change.change, change.old, change.new, change.masked) == ("changed", mask.MASK, mask.CHANGED, True)
    assert "c2VjcmV0" not in repr(change) and "bmV3" not in repr(change)
    added = owners.field_change(Difference(("data", "new"), fields.ABSENT, "bmV3"), [], secret=True)
    assert added.to_dict() == {"path": "data.new", "change": "added", "new": mask.ADDED, "masked": True}


def test_a_field_change_names_the_last_other_manager():
    edit = managed("kubectl-edit", "Update", {"f:spec": {"f:replicas": {}}})
    have = live(replicas=5, managers=(OURS, edit))
    difference = Difference(("spec", "replicas"), 5, 2)
    change = owners.field_change(difference, owners.attribute(have, difference)[1])
    assert change.to_dict() == {"path": "spec.replicas", "change": "changed", "old": 5, "new": 2,
                                "manager": "kubectl-edit", "operation": "Update", "time": "2026-11-20T10:22:31Z"}
