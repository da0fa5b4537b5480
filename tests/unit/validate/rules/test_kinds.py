"""validate/rules/kinds.py: the built-in kinds' own checks beyond the pod spec."""

from __future__ import annotations

from tests.unit.validate.rules.objects import cronjob, deployment, only, run


def test_kind_level_enums():
    d = deployment()
    d["spec"]["strategy"] = {"type": "rollingUpdate"}
    assert only(d, "invalid-enum").path == ("spec", "strategy", "type")
    c = cronjob({"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]})
    c["spec"]["concurrencyPolicy"] = "forbid"
    assert only(c, "invalid-enum").hint == 'did you mean "Forbid"? Values are case-sensitive.'
    ing = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i"},
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "prefix",
                                "backend": {"service": {"name": "s", "port": {"number": 80}}},
                            }
                        ]
                    }
                }
            ]
        },
    }
    assert only(ing, "invalid-enum").path == ("spec", "rules", 0, "http", "paths", 0, "pathType")
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "p"},
        "spec": {"accessModes": ["ReadWriteOnce", "ReadWriteOne"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    assert only(pvc, "invalid-enum").path == ("spec", "accessModes", 1)
    pc = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "p"},
        "value": 1,
        "preemptionPolicy": "never",
    }
    assert only(pc, "invalid-enum").path == ("preemptionPolicy",)


def test_custom_resource_reusing_a_kind_name_is_not_checked_as_built_in():
    knative = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": "hello"},
        "spec": {
            "type": "whatever",
            "template": {"spec": {"containers": [{"image": "x", "imagePullPolicy": "sometimes"}]}},
        },
    }
    assert run(knative) == []
