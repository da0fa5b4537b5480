"""API-server validation of common built-in kinds beyond the pod spec.

Each check takes the whole document and is registered for an exact
(apiVersion, kind): semantics differ between versions, and custom resources may
reuse a built-in kind name (Knative's ``serving.knative.dev/v1`` Service).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base import Emitter, Path, Severity, check_enum, enum_finding
from .names import check_labels, dns1123_label
from .percent import check_int_or_percent, check_rolling_update
from .podspec import PROTOCOLS, RESTART_POLICIES, check_pod_spec
from .ports import check_int_or_name, check_port_number
from .quantity import check_quantity, check_resource_map
from .selectors import check_job_selector, check_label_selector, check_rc_selector, check_template_selected

ACCESS_MODES = ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod")
VOLUME_MODES = ("Filesystem", "Block")
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
TRAFFIC_POLICIES = ("Cluster", "Local")
SESSION_AFFINITIES = ("ClientIP", "None")
IP_FAMILY_POLICIES = ("SingleStack", "PreferDualStack", "RequireDualStack")
IP_FAMILIES = ("IPv4", "IPv6")
PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")
DEPLOYMENT_STRATEGIES = ("RollingUpdate", "Recreate")
SET_UPDATE_STRATEGIES = ("RollingUpdate", "OnDelete")
POD_MANAGEMENT_POLICIES = ("OrderedReady", "Parallel")
RETENTION_POLICIES = ("Retain", "Delete")
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
COMPLETION_MODES = ("NonIndexed", "Indexed")
POD_REPLACEMENT_POLICIES = ("TerminatingOrFailed", "Failed")
RECLAIM_POLICIES = ("Retain", "Delete", "Recycle")
BINDING_MODES = ("Immediate", "WaitForFirstConsumer")
POLICY_TYPES = ("Ingress", "Egress")
LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")
EVICTION_POLICIES = ("IfHealthyBudget", "AlwaysAllow")
NODE_PORT_RANGE = (30000, 32767)
_CONTROLLER_RESTART = ("Always",)
_JOB_RESTART = ("OnFailure", "Never")


def _spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    spec = doc.get("spec")
    return spec if type(spec) is dict else None


def _check_template(out: Emitter, template: object, path: Path, restart_policies: tuple[str, ...]) -> None:
    """A pod template: its labels and its pod spec."""
    if type(template) is not dict:
        return
    meta = template.get("metadata")
    if type(meta) is dict:
        check_labels(out, meta.get("labels"), path + ("metadata", "labels"))
    check_pod_spec(out, template.get("spec"), path + ("spec",), restart_policies)


#: apps/v1 controller kind -> (its update strategy field, the strategy types it accepts).
_STRATEGIES = {
    "Deployment": ("strategy", DEPLOYMENT_STRATEGIES),
    "DaemonSet": ("updateStrategy", SET_UPDATE_STRATEGIES),
    "StatefulSet": ("updateStrategy", SET_UPDATE_STRATEGIES),
}


def check_controller(doc: dict[str, Any], out: Emitter) -> None:
    """Deployment, ReplicaSet, DaemonSet, StatefulSet (apps/v1)."""
    spec = _spec(doc)
    if spec is None:
        return
    kind = doc["kind"]
    path: Path = ("spec",)
    _check_template(out, spec.get("template"), path + ("template",), _CONTROLLER_RESTART)
    check_template_selected(out, spec, path, empty_invalid=True, kind=kind)
    if kind in _STRATEGIES:
        field, allowed = _STRATEGIES[kind]
        strategy = spec.get(field)
        if type(strategy) is dict:
            check_enum(out, strategy, "type", allowed, path + (field,))
            # StatefulSets have no maxSurge; Deployments and DaemonSets do.
            surge = kind != "StatefulSet"
            check_rolling_update(out, strategy.get("rollingUpdate"), path + (field, "rollingUpdate"), surge=surge)
    if kind == "StatefulSet":
        _check_statefulset(out, spec, path)


def _check_statefulset(out: Emitter, spec: dict[str, Any], path: Path) -> None:
    check_enum(out, spec, "podManagementPolicy", POD_MANAGEMENT_POLICIES, path)
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if type(retention) is dict:
        p = path + ("persistentVolumeClaimRetentionPolicy",)
        check_enum(out, retention, "whenDeleted", RETENTION_POLICIES, p)
        check_enum(out, retention, "whenScaled", RETENTION_POLICIES, p)
    templates = spec.get("volumeClaimTemplates")
    if type(templates) is list:
        for i, claim in enumerate(templates):
            if type(claim) is dict and type(claim.get("spec")) is dict:
                _check_claim_spec(out, claim["spec"], path + ("volumeClaimTemplates", i, "spec"))


def check_pod(doc: dict[str, Any], out: Emitter) -> None:
    check_pod_spec(out, doc.get("spec"), ("spec",))


def check_pod_template(doc: dict[str, Any], out: Emitter) -> None:
    _check_template(out, doc.get("template"), ("template",), RESTART_POLICIES)


def check_replication_controller(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    if spec is None:
        return
    _check_template(out, spec.get("template"), ("spec", "template"), _CONTROLLER_RESTART)
    check_rc_selector(out, spec, ("spec",))


def _check_job_spec(out: Emitter, spec: dict[str, Any], path: Path) -> None:
    _check_template(out, spec.get("template"), path + ("template",), _JOB_RESTART)
    check_job_selector(out, spec, path)
    check_enum(out, spec, "completionMode", COMPLETION_MODES, path)
    check_enum(out, spec, "podReplacementPolicy", POD_REPLACEMENT_POLICIES, path)


def check_job(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    if spec is not None:
        _check_job_spec(out, spec, ("spec",))


def check_cronjob(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    if spec is None:
        return
    check_enum(out, spec, "concurrencyPolicy", CONCURRENCY_POLICIES, ("spec",))
    job_template = spec.get("jobTemplate")
    if type(job_template) is dict and type(job_template.get("spec")) is dict:
        _check_job_spec(out, job_template["spec"], ("spec", "jobTemplate", "spec"))


def check_service(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    if spec is None:
        return
    path: Path = ("spec",)
    service_type = spec.get("type")
    check_enum(out, spec, "type", SERVICE_TYPES, path)
    check_enum(out, spec, "externalTrafficPolicy", TRAFFIC_POLICIES, path)
    check_enum(out, spec, "internalTrafficPolicy", TRAFFIC_POLICIES, path)
    check_enum(out, spec, "sessionAffinity", SESSION_AFFINITIES, path)
    check_enum(out, spec, "ipFamilyPolicy", IP_FAMILY_POLICIES, path)
    families = spec.get("ipFamilies")
    if type(families) is list:
        for i, family in enumerate(families):
            if type(family) is str and family not in IP_FAMILIES:
                enum_finding(out, family, "ipFamilies", IP_FAMILIES, path + ("ipFamilies", i))
    check_labels(out, spec.get("selector"), path + ("selector",))
    ports = spec.get("ports")
    if type(ports) is list:
        for i, port in enumerate(ports):
            if type(port) is dict:
                _check_service_port(out, port, path + ("ports", i), len(ports) > 1, service_type)


def _check_service_port(out: Emitter, port: dict[str, Any], path: Path, several: bool, service_type: object) -> None:
    check_port_number(out, port, "port", path)
    check_int_or_name(out, port, "targetPort", path)
    check_enum(out, port, "protocol", PROTOCOLS, path)
    node_port = port.get("nodePort")
    if type(node_port) is int and node_port != 0:
        check_port_number(out, port, "nodePort", path)
        if service_type in (None, "ClusterIP"):
            out.add(
                "invalid-port",
                path + ("nodePort",),
                "nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
                "set spec.type: NodePort (or LoadBalancer), or remove nodePort",
            )
        elif 1 <= node_port <= 65535 and not NODE_PORT_RANGE[0] <= node_port <= NODE_PORT_RANGE[1]:
            out.add(
                "invalid-port",
                path + ("nodePort",),
                f"nodePort {node_port} is outside the default NodePort range {NODE_PORT_RANGE[0]}-{NODE_PORT_RANGE[1]}",
                "clusters reject it unless kube-apiserver runs with a wider --service-node-port-range",
                Severity.WARNING,
            )
    name = port.get("name")
    if several and not name:
        out.add(
            "invalid-port",
            path,
            "name: Required value: a Service with more than one port must name every port",
            "add a name (e.g. http, metrics) to each port",
        )
    elif type(name) is str and name:
        errs = dns1123_label(name)
        if errs:
            out.add("invalid-port", path + ("name",), f'name: Invalid value: "{name}": {"; ".join(errs)}')


def check_ingress(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    if spec is None:
        return
    default_backend = spec.get("defaultBackend")
    if type(default_backend) is dict:
        _check_backend(out, default_backend, ("spec", "defaultBackend"))
    rules = spec.get("rules")
    if type(rules) is not list:
        return
    for i, rule in enumerate(rules):
        http = rule.get("http") if type(rule) is dict else None
        paths = http.get("paths") if type(http) is dict else None
        if type(paths) is not list:
            continue
        for j, entry in enumerate(paths):
            if type(entry) is dict:
                p = ("spec", "rules", i, "http", "paths", j)
                check_enum(out, entry, "pathType", PATH_TYPES, p)
                if type(entry.get("backend")) is dict:
                    _check_backend(out, entry["backend"], p + ("backend",))


def _check_backend(out: Emitter, backend: dict[str, Any], path: Path) -> None:
    service = backend.get("service")
    port = service.get("port") if type(service) is dict else None
    if type(port) is dict:
        check_port_number(out, port, "number", path + ("service", "port"))


def _check_claim_spec(out: Emitter, spec: dict[str, Any], path: Path) -> None:
    modes = spec.get("accessModes")
    if type(modes) is list:
        for i, mode in enumerate(modes):
            if type(mode) is str and mode not in ACCESS_MODES:
                enum_finding(out, mode, "accessModes", ACCESS_MODES, path + ("accessModes", i))
    check_enum(out, spec, "volumeMode", VOLUME_MODES, path)
    resources = spec.get("resources")
    if type(resources) is dict:
        requests = resources.get("requests")
        if type(requests) is dict and "storage" in requests:
            check_quantity(
                out, requests["storage"], path + ("resources", "requests", "storage"), "storage request", positive=True
            )
            requests = {k: v for k, v in requests.items() if k != "storage"}
        check_resource_map(out, requests, path + ("resources", "requests"), "request")
        check_resource_map(out, resources.get("limits"), path + ("resources", "limits"), "limit")


def check_pvc(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    if spec is not None:
        _check_claim_spec(out, spec, ("spec",))
        check_label_selector(out, spec.get("selector"), ("spec", "selector"))


def check_pv(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    if spec is None:
        return
    modes = spec.get("accessModes")
    if type(modes) is list:
        for i, mode in enumerate(modes):
            if type(mode) is str and mode not in ACCESS_MODES:
                enum_finding(out, mode, "accessModes", ACCESS_MODES, ("spec", "accessModes", i))
    check_enum(out, spec, "volumeMode", VOLUME_MODES, ("spec",))
    check_enum(out, spec, "persistentVolumeReclaimPolicy", RECLAIM_POLICIES, ("spec",))
    check_resource_map(out, spec.get("capacity"), ("spec", "capacity"), "capacity")


def check_storage_class(doc: dict[str, Any], out: Emitter) -> None:
    check_enum(out, doc, "reclaimPolicy", RETENTION_POLICIES, ())
    check_enum(out, doc, "volumeBindingMode", BINDING_MODES, ())


def check_network_policy(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    if spec is None:
        return
    check_label_selector(out, spec.get("podSelector"), ("spec", "podSelector"))
    types = spec.get("policyTypes")
    if type(types) is list:
        for i, policy_type in enumerate(types):
            if type(policy_type) is str and policy_type not in POLICY_TYPES:
                enum_finding(out, policy_type, "policyTypes", POLICY_TYPES, ("spec", "policyTypes", i))
    for direction in ("ingress", "egress"):
        rules = spec.get(direction)
        if type(rules) is not list:
            continue
        for i, rule in enumerate(rules):
            ports = rule.get("ports") if type(rule) is dict else None
            if type(ports) is not list:
                continue
            for j, port in enumerate(ports):
                if type(port) is dict:
                    p = ("spec", direction, i, "ports", j)
                    check_int_or_name(out, port, "port", p)
                    check_port_number(out, port, "endPort", p)
                    check_enum(out, port, "protocol", PROTOCOLS, p)


def check_limit_range(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    limits = spec.get("limits") if spec else None
    if type(limits) is not list:
        return
    for i, item in enumerate(limits):
        if type(item) is not dict:
            continue
        p = ("spec", "limits", i)
        check_enum(out, item, "type", LIMIT_TYPES, p)
        for field in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            check_resource_map(out, item.get(field), p + (field,), field)


def check_resource_quota(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    if spec is not None:
        check_resource_map(out, spec.get("hard"), ("spec", "hard"), "quota")


def check_priority_class(doc: dict[str, Any], out: Emitter) -> None:
    check_enum(out, doc, "preemptionPolicy", ("PreemptLowerPriority", "Never"), ())


def check_pdb(doc: dict[str, Any], out: Emitter) -> None:
    spec = _spec(doc)
    if spec is not None:
        check_enum(out, spec, "unhealthyPodEvictionPolicy", EVICTION_POLICIES, ("spec",))
        check_label_selector(out, spec.get("selector"), ("spec", "selector"))
        check_int_or_percent(out, spec, "minAvailable", ("spec",), at_most_100=True)
        check_int_or_percent(out, spec, "maxUnavailable", ("spec",), at_most_100=True)


#: (apiVersion, kind) -> kind-specific check.
KIND_CHECKS: dict[tuple[str, str], Callable[[dict[str, Any], Emitter], None]] = {
    **{("apps/v1", k): check_controller for k in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet")},
    ("v1", "Pod"): check_pod,
    ("v1", "PodTemplate"): check_pod_template,
    ("v1", "ReplicationController"): check_replication_controller,
    ("batch/v1", "Job"): check_job,
    ("batch/v1", "CronJob"): check_cronjob,
    ("v1", "Service"): check_service,
    ("networking.k8s.io/v1", "Ingress"): check_ingress,
    ("v1", "PersistentVolumeClaim"): check_pvc,
    ("v1", "PersistentVolume"): check_pv,
    ("storage.k8s.io/v1", "StorageClass"): check_storage_class,
    ("networking.k8s.io/v1", "NetworkPolicy"): check_network_policy,
    ("v1", "LimitRange"): check_limit_range,
    ("v1", "ResourceQuota"): check_resource_quota,
    ("scheduling.k8s.io/v1", "PriorityClass"): check_priority_class,
    ("policy/v1", "PodDisruptionBudget"): check_pdb,
}
