"""What the compare tests share: a Deployment as Git has it, and as the cluster shows it (with
managedFields); not a test module."""

from __future__ import annotations

import base64


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
