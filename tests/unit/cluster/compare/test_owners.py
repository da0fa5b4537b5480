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
