"""Server-side defaulting for the common kinds (pkg/apis/*/v1/defaults.go).

The point is realism for diffing: a live object carries many fields nobody wrote, so a
naive manifest-vs-live comparison is noisy while a dry-run based one is not. Defaults
are only ever filled in where a field is missing, exactly like the real defaulters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from .jsonutil import clone
from .schema import LIST, MAP, STRUCT, Node, ResourceType, resolve

Obj = dict[str, Any]


def _set(d: Obj, key: str, value: Any) -> None:
    if d.get(key) is None:
        d[key] = value


def _sub(d: Obj, key: str) -> Obj:
    if not isinstance(d.get(key), dict):
        d[key] = {}
    return d[key]


def _image_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _ports(ports: Any) -> None:
    for port in ports or []:
        if isinstance(port, dict):
            _set(port, "protocol", "TCP")


def _container(c: Obj) -> None:
    _set(c, "terminationMessagePath", "/dev/termination-log")
    _set(c, "terminationMessagePolicy", "File")
    _set(c, "imagePullPolicy", _image_pull_policy(str(c.get("image", ""))))
    _set(c, "resources", {})
    _ports(c.get("ports"))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        p = c.get(probe)
        if isinstance(p, dict):
            for k, v in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                         ("failureThreshold", 3)):
                _set(p, k, v)
            if isinstance(p.get("httpGet"), dict):
                _set(p["httpGet"], "scheme", "HTTP")
                _set(p["httpGet"], "path", "/")
    for env in c.get("env") or []:
        ref = (env.get("valueFrom") or {}).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(ref, dict):
            _set(ref, "apiVersion", "v1")


def pod_spec(spec: Obj) -> None:
    _set(spec, "restartPolicy", "Always")
    _set(spec, "terminationGracePeriodSeconds", 30)
    _set(spec, "dnsPolicy", "ClusterFirst")
    _set(spec, "securityContext", {})
    _set(spec, "schedulerName", "default-scheduler")
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            if isinstance(c, dict):
                _container(c)
    for vol in spec.get("volumes") or []:
        if not isinstance(vol, dict):
            continue
        for src in ("configMap", "secret"):
            if isinstance(vol.get(src), dict):
                _set(vol[src], "defaultMode", 420)
        if not any(k for k in vol if k != "name"):
            vol["emptyDir"] = {}


def _template(spec: Obj) -> None:
    pod_spec(_sub(_sub(spec, "template"), "spec"))


def _deployment(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    _set(spec, "replicas", 1)
    _set(spec, "revisionHistoryLimit", 10)
    _set(spec, "progressDeadlineSeconds", 600)
    strategy = _sub(spec, "strategy")
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = _sub(strategy, "rollingUpdate")
        _set(ru, "maxUnavailable", "25%")
        _set(ru, "maxSurge", "25%")
    _template(spec)


def _statefulset(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    _set(spec, "replicas", 1)
    _set(spec, "podManagementPolicy", "OrderedReady")
    _set(spec, "revisionHistoryLimit", 10)
    strategy = _sub(spec, "updateStrategy")
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        _set(_sub(strategy, "rollingUpdate"), "partition", 0)
    retention = _sub(spec, "persistentVolumeClaimRetentionPolicy")
    _set(retention, "whenDeleted", "Retain")
    _set(retention, "whenScaled", "Retain")
    for pvc in spec.get("volumeClaimTemplates") or []:
        if isinstance(pvc, dict):
            _set(pvc, "apiVersion", "v1")
            _set(pvc, "kind", "PersistentVolumeClaim")
            _set(_sub(pvc, "spec"), "volumeMode", "Filesystem")
            _set(pvc, "status", {"phase": "Pending"})
    _template(spec)


def _daemonset(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    _set(spec, "revisionHistoryLimit", 10)
    strategy = _sub(spec, "updateStrategy")
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = _sub(strategy, "rollingUpdate")
        _set(ru, "maxUnavailable", 1)
        _set(ru, "maxSurge", 0)
    _template(spec)


def _replicaset(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    _set(spec, "replicas", 1)
    _template(spec)


def _job(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    _set(spec, "backoffLimit", 6)
    _set(spec, "completionMode", "NonIndexed")
    _set(spec, "suspend", False)
    _set(spec, "podReplacementPolicy", "TerminatingOrFailed")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    _set(spec, "parallelism", 1)
    pod_spec(_sub(_sub(spec, "template"), "spec"))


def _allocate_job(obj: Obj) -> None:
    """The selector and labels the Job strategy generates (pkg/registry/batch/job/strategy.go)."""
    meta, spec = obj.get("metadata") or {}, _sub(obj, "spec")
    uid, name = meta.get("uid"), meta.get("name")
    if uid and name and not spec.get("manualSelector"):
        labels = _sub(_sub(_sub(spec, "template"), "metadata"), "labels")
        for k, v in (("batch.kubernetes.io/controller-uid", uid), ("batch.kubernetes.io/job-name", name),
                     ("controller-uid", uid), ("job-name", name)):
            _set(labels, k, v)
        _set(spec, "selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})


def _cronjob(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    _set(spec, "concurrencyPolicy", "Allow")
    _set(spec, "suspend", False)
    _set(spec, "successfulJobsHistoryLimit", 3)
    _set(spec, "failedJobsHistoryLimit", 1)
    job_spec = _sub(_sub(spec, "jobTemplate"), "spec")
    _set(job_spec, "backoffLimit", 6)
    _set(job_spec, "completionMode", "NonIndexed")
    _set(job_spec, "suspend", False)
    _set(job_spec, "podReplacementPolicy", "TerminatingOrFailed")
    pod_spec(_sub(_sub(job_spec, "template"), "spec"))


def _service(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    _set(spec, "type", "ClusterIP")
    _set(spec, "sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        _set(spec, "internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        _set(spec, "externalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            _set(port, "protocol", "TCP")
            _set(port, "targetPort", port.get("port"))


def _allocate_service(obj: Obj, old: Obj | None, allocate_ip: Callable[[], str]) -> None:
    spec = _sub(obj, "spec")
    old_spec = (old or {}).get("spec") or {}
    if spec.get("type") == "ExternalName":
        return
    for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        if spec.get(key) is None and old_spec.get(key) is not None:
            spec[key] = clone(old_spec[key])  # an update that omits them keeps the allocation
    if spec.get("clusterIP") is None:
        spec["clusterIP"] = allocate_ip()
    _set(spec, "clusterIPs", [spec["clusterIP"]])
    _set(spec, "ipFamilies", ["IPv4"])
    _set(spec, "ipFamilyPolicy", "SingleStack")
    if spec.get("type") in ("NodePort", "LoadBalancer"):
        for i, port in enumerate(spec.get("ports") or []):
            if isinstance(port, dict):
                _set(port, "nodePort", 30000 + int(hashlib.sha1(
                    f"{obj.get('metadata', {}).get('name')}/{i}".encode()).hexdigest(), 16) % 2767)


def _secret(obj: Obj) -> None:
    import base64

    _set(obj, "type", "Opaque")
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict):
        data = _sub(obj, "data")
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def _pod(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    pod_spec(spec)
    _set(spec, "serviceAccountName", "default")
    _set(spec, "serviceAccount", spec["serviceAccountName"])
    _set(spec, "enableServiceLinks", True)
    _set(spec, "preemptionPolicy", "PreemptLowerPriority")
    _set(spec, "priority", 0)
    _set(obj, "status", {"phase": "Pending", "qosClass": "BestEffort"})


def _pvc(obj: Obj) -> None:
    _set(_sub(obj, "spec"), "volumeMode", "Filesystem")
    _set(obj, "status", {"phase": "Pending"})


def _network_policy(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    if spec.get("policyTypes") is None:
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    for rules in ("ingress", "egress"):
        for rule in spec.get(rules) or []:
            if isinstance(rule, dict):
                _ports(rule.get("ports"))


def _namespace(obj: Obj) -> None:
    name = (obj.get("metadata") or {}).get("name")
    if name:
        _set(_sub(obj, "metadata"), "labels", {})
        obj["metadata"]["labels"].setdefault("kubernetes.io/metadata.name", name)
    _set(_sub(obj, "spec"), "finalizers", ["kubernetes"])
    _set(obj, "status", {"phase": "Active"})


def _crd(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    _set(spec, "conversion", {"strategy": "None"})
    names = _sub(spec, "names")
    _set(names, "singular", str(names.get("kind", "")).lower())
    _set(names, "listKind", f"{names.get('kind', '')}List")


def _hpa(obj: Obj) -> None:
    spec = _sub(obj, "spec")
    _set(spec, "minReplicas", 1)
    if spec.get("metrics") is None:
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]


_BY_KIND: dict[str, Callable[[Obj], None]] = {
    "Deployment": _deployment, "StatefulSet": _statefulset, "DaemonSet": _daemonset,
    "ReplicaSet": _replicaset, "Job": _job, "CronJob": _cronjob, "Secret": _secret, "Pod": _pod,
    "PersistentVolumeClaim": _pvc, "NetworkPolicy": _network_policy, "Namespace": _namespace,
    "CustomResourceDefinition": _crd, "HorizontalPodAutoscaler": _hpa, "Service": _service,
    "PriorityClass": lambda o: _set(o, "preemptionPolicy", "PreemptLowerPriority"),
    "StorageClass": lambda o: (_set(o, "reclaimPolicy", "Delete"), _set(o, "volumeBindingMode", "Immediate")),
}


def apply_defaults(rt: ResourceType, obj: Obj) -> None:
    """Fill in the scheme defaults for ``obj`` in place (decode time: the writer owns them)."""
    if rt.crd:
        schema_defaults(obj, resolve(rt.schema))
    elif (fn := _BY_KIND.get(rt.kind)) is not None:
        fn(obj)


def allocate(rt: ResourceType, obj: Obj, old: Obj | None, allocate_ip: Callable[[], str]) -> None:
    """Values the registry fills in at storage time, after ownership is computed (nobody owns them)."""
    if rt.crd:
        return
    if rt.kind == "Service":
        _allocate_service(obj, old, allocate_ip)
    elif rt.kind == "Job" and old is None:
        _allocate_job(obj)


def schema_defaults(value: Any, node: Node) -> None:
    """Structural-schema defaulting for custom resources: ``default`` of missing properties.

    Like the apiextensions apiserver, defaults apply inside present objects (and inside
    defaulted values), never to metadata.
    """
    if isinstance(value, dict) and node.shape == STRUCT:
        for name, prop in (node.raw.get("properties") or {}).items():
            if name != "metadata" and name not in value and isinstance(prop, dict) and "default" in prop:
                value[name] = clone(prop["default"])
        for name, child_value in value.items():
            child = node.child(name)
            if name != "metadata" and child is not None:
                schema_defaults(child_value, child)
    elif isinstance(value, dict) and node.shape == MAP:
        for child_value in value.values():
            schema_defaults(child_value, node.child(""))
    elif isinstance(value, list) and node.shape == LIST:
        for item in value:
            schema_defaults(item, node.item())
