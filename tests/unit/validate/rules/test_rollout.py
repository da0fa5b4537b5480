"""validate/rules/rollout.py: invalid-rollout-annotation on the annotation itself."""

from __future__ import annotations

from tests.unit.validate.rules.objects import only, run, service


def annotated(**annotations):
    doc = service()
    doc["metadata"]["annotations"] = annotations
    return doc


def test_readable_rollout_annotations_pass():
    assert run(annotated(**{"kubepush.dev/wave": "-2", "kubepush.dev/hook": "post-apply",
                            "kubepush.dev/hook-delete-policy": "on-success,on-failure"})) == []
    assert run(annotated(**{"argocd.argoproj.io/sync-wave": "3", "argocd.argoproj.io/hook": "PreSync",
                            "argocd.argoproj.io/hook-delete-policy": "HookSucceeded"})) == []


def test_each_bad_annotation_is_reported_at_its_key():
    f = only(annotated(**{"argocd.argoproj.io/sync-wave": "first"}), "invalid-rollout-annotation")
    assert f.path == ("metadata", "annotations", "argocd.argoproj.io/sync-wave")
    assert '"first" is not an integer' in f.message
    f = only(annotated(**{"kubepush.dev/hook": "PostSync"}), "invalid-rollout-annotation")
    assert "is not a hook phase; use one of pre-apply, apply, post-apply, on-failure" in f.message
    f = only(annotated(**{"argocd.argoproj.io/hook-delete-policy": "Never"}), "invalid-rollout-annotation")
    assert f.path[-1] == "argocd.argoproj.io/hook-delete-policy" and "BeforeHookCreation" in f.message
