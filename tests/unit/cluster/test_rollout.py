"""rollout.py: waves and hooks from annotations, Argo CD's mapped, bad ones as findings."""

from __future__ import annotations

from kubepush.cluster import rollout
from kubepush.cluster.plan import Item


def item(name, annotations=None, kind="ConfigMap", generate=False, line=1):
    meta = {"namespace": "default", "annotations": annotations or {}}
    meta["generateName" if generate else "name"] = name
    return Item({"apiVersion": "v1", "kind": kind, "metadata": meta}, "m.yaml", 0, line)


def test_no_annotations_is_one_wave_and_not_ordered():
    order = rollout.plan([item("a"), item("b")])
    assert [(w, [i.ref.name for i in items]) for w, items in order.waves] == [(0, ["a", "b"])]
    assert not order.ordered and not order.findings


def test_waves_ascend_and_argo_cd_counts_when_kubepush_is_absent():
    order = rollout.plan([item("a", {"kubepush.dev/wave": "2"}), item("b", {"argocd.argoproj.io/sync-wave": "-1"}),
                          item("c", {"kubepush.dev/wave": "1", "argocd.argoproj.io/sync-wave": "5"}), item("d")])
    assert [(w, [i.ref.name for i in items]) for w, items in order.waves] == [
        (-1, ["b"]), (0, ["d"]), (1, ["c"]), (2, ["a"])]
    assert order.ordered and [i.ref.name for i in order.members] == ["b", "d", "c", "a"]


def test_hooks_leave_the_normal_set_with_their_phase_wave_and_policies():
    order = rollout.plan([
        item("pre", {"argocd.argoproj.io/hook": "PreSync"}, kind="Job"),
        item("sync", {"argocd.argoproj.io/hook": "Sync", "argocd.argoproj.io/sync-wave": "3"}, kind="Job"),
        item("post", {"kubepush.dev/hook": "post-apply", "kubepush.dev/hook-delete-policy": "on-success,on-failure"}),
        item("fail", {"argocd.argoproj.io/hook": "SyncFail",
                      "argocd.argoproj.io/hook-delete-policy": "HookSucceeded"}),
        item("skipped", {"argocd.argoproj.io/hook": "Skip"}),
        item("seed-", {"kubepush.dev/hook": "pre-apply"}, kind="Job", generate=True),
        item("cfg"),
    ])
    assert not order.findings
    assert [(h.item.ref.name or h.item.obj["metadata"]["generateName"], h.phase) for h in order.hooks] == [
        ("pre", "pre-apply"), ("post", "post-apply"), ("fail", "on-failure"), ("seed-", "pre-apply"),
        ("sync", "apply")]
    hooks = {h.item.ref.name: h for h in order.hooks}
    assert hooks["pre"].policies == {"before-creation"}
    assert hooks["post"].policies == {"on-success", "on-failure"}
    assert hooks["fail"].policies == {"on-success"}
    assert [i.ref.name for i in order.members] == ["cfg"]
    assert [w for w, _ in order.waves] == [0, 3]  # the Sync hook's wave exists though no object is in it
    assert rollout.is_hook(hooks["pre"].item) and not rollout.is_hook(order.members[0])


def test_bad_annotations_are_findings_naming_the_object():
    order = rollout.plan([
        item("a", {"kubepush.dev/wave": "1.5"}, line=3),
        item("b", {"kubepush.dev/hook": "PreSync"}),
        item("c", {"argocd.argoproj.io/hook": "PreSync,PostSync"}),
        item("d", {"kubepush.dev/hook": "pre-apply", "kubepush.dev/hook-delete-policy": "always"}),
        item("e-", generate=True),
        item("f", {"kubepush.dev/wave": "1"}), item("f", {"kubepush.dev/wave": "2"}, line=9),
    ])
    messages = [(f.object.name, f.line, f.message) for f in order.findings]
    assert messages[0][:2] == ("a", 3) and '"1.5" is not an integer' in messages[0][2]
    assert 'kubepush.dev/hook: "PreSync" is not a hook phase; use one of pre-apply' in messages[1][2]
    assert "names several phases" in messages[2][2]
    assert '"always" is not a delete policy' in messages[3][2]
    assert "generateName works only on hooks" in messages[4][2]
    assert messages[5][:2] == ("f", 9) and "in wave 2 here and in wave 1 in m.yaml:1" in messages[5][2]
    assert all(f.rule == "rollout-order" for f in order.findings)
    assert [i.ref.name for i in order.members] == ["f"]
