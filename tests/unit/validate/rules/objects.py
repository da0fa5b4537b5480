"""What the rule tests share: the Kubernetes version they check against, the check runners and
the workloads they edit; not a test module."""

from __future__ import annotations

from kubepush.validate.rules import DEFAULT_ENABLED, check_document

V = (1, 37)


def run(doc, version=V, enabled=DEFAULT_ENABLED):
    return check_document(doc, kubernetes_version=version, enabled=enabled)


def only(doc, rule, version=V):
    """The single finding of ``rule`` (and assert there is exactly one)."""
    found = [f for f in run(doc, version) if f.rule == rule]
    assert len(found) == 1, [(f.rule, f.json_path, f.message) for f in run(doc, version)]
    return found[0]


def deployment(**container):
    c = {"name": "web", "image": "nginx:1.27"}
    c.update(container)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [c]}},
        },
    }


def service(**spec):
    s = {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": s}


def cronjob(pod_spec):
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "backup"},
        "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": pod_spec}}}},
    }


POD_PATH = ("spec", "template", "spec")


C0 = POD_PATH + ("containers", 0)
