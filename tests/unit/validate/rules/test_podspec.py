"""validate/rules/podspec.py: the pod spec of Pods and every workload template."""

from __future__ import annotations

from tests.unit.validate.rules.objects import C0, POD_PATH, cronjob, deployment, only, run


def test_restart_policy_per_controller():
    d = deployment()
    d["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    f = only(d, "invalid-enum")
    assert f.path == POD_PATH + ("restartPolicy",) and 'supported values: "Always"' in f.message
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}},
    }
    f = only(job, "invalid-enum")
    assert f.path == POD_PATH and "restartPolicy: Required value" in f.message
    job["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert only(job, "invalid-enum").path == POD_PATH + ("restartPolicy",)
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    assert run(job) == []


def test_missing_image_in_workloads():
    doc = deployment()
    del doc["spec"]["template"]["spec"]["containers"][0]["image"]
    f = only(doc, "missing-image")
    assert f.path == C0 and f.message == "containers[0] 'web': image: Required value"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"initContainers": [{"name": "init", "image": ""}], "containers": [{"name": "c", "image": "x"}]},
    }
    assert only(pod, "missing-image").path == ("spec", "initContainers", 0)
    cj = cronjob({"restartPolicy": "Never", "containers": [{"name": "c"}]})
    assert only(cj, "missing-image").path == ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0)
