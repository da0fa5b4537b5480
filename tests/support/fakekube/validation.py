"""The validation the apiserver runs on create/update that kubepush must cope with.

Not the full pkg/apis/*/validation: required names, a few per-kind required fields,
and the immutable-field rules that make an apply fail with 422 (the case a deploy tool
must detect and report, or resolve by recreating the object).
"""

from __future__ import annotations

import json
import re
from typing import Any

Cause = tuple[str, str, str]  # (reason, field, detail)

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_KINDS = {"Namespace", "Service"}


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":")) if not isinstance(value, str) else json.dumps(value)


def _invalid(field: str, value: Any, detail: str) -> Cause:
    return ("FieldValueInvalid", field, f"Invalid value: {_show(value)}: {detail}")


def _required(field: str, detail: str = "") -> Cause:
    return ("FieldValueRequired", field, "Required value" + (f": {detail}" if detail else ""))


def _forbidden(field: str, detail: str) -> Cause:
    return ("FieldValueForbidden", field, f"Forbidden: {detail}")


def _get(obj: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
    return obj


def validate_custom_resource(obj: dict[str, Any]) -> list[Cause]:
    """Custom resources: the schema is enforced by apply/pruning; metadata rules still hold."""
    if not _get(obj, "metadata", "name"):
        return [_required("metadata.name", "name or generateName is required")]
    return _labels("metadata.labels", _get(obj, "metadata", "labels"))


def validate_create(kind: str, obj: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    name = _get(obj, "metadata", "name")
    if not name:
        return [_required("metadata.name", "name or generateName is required")]
    pattern = _DNS1123_LABEL if kind in _LABEL_KINDS else _DNS1123_SUBDOMAIN
    if kind not in ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding") and not pattern.match(name):
        causes.append(_invalid("metadata.name", name, "a lowercase RFC 1123 subdomain must consist of lower "
                               "case alphanumeric characters, '-' or '.', and must start and end with an "
                               "alphanumeric character"))
    causes += _labels("metadata.labels", _get(obj, "metadata", "labels"))
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        causes += _workload(obj)
    if kind == "Deployment":
        strategy = _get(obj, "spec", "strategy") or {}
        if strategy.get("type") == "Recreate" and strategy.get("rollingUpdate") is not None:
            causes.append(_forbidden("spec.strategy.rollingUpdate",
                                     "may not be specified when strategy `type` is 'Recreate'"))
    if kind == "Job":
        policy = _get(obj, "spec", "template", "spec", "restartPolicy")
        if policy not in ("Never", "OnFailure"):
            causes.append(("FieldValueNotSupported", "spec.template.spec.restartPolicy",
                           f'Unsupported value: {_show(policy)}: supported values: "OnFailure", "Never"'))
    for path, spec in _pod_specs(kind, obj):
        causes += _containers(path, spec)
    return causes


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def _labels(field: str, labels: Any) -> list[Cause]:
    """Label keys ([prefix/]name) and values as apimachinery's ValidateLabels checks them."""
    causes = []
    for key, value in (labels or {}).items():
        prefix, _, name = key.rpartition("/")
        if len(name) > 63 or not _LABEL_NAME.match(name) or (prefix and not _DNS1123_SUBDOMAIN.match(prefix)):
            causes.append(_invalid(field, key, "name part must consist of alphanumeric characters, '-', '_' or "
                                   "'.', and must start and end with an alphanumeric character"))
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            causes.append(_invalid(field, value, "a valid label must be an empty string or consist of "
                                   "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                                   "alphanumeric character"))
    return causes


def _workload(obj: dict[str, Any]) -> list[Cause]:
    selector = _get(obj, "spec", "selector")
    if not selector:
        return [_required("spec.selector")]
    labels = _get(obj, "spec", "template", "metadata", "labels") or {}
    wanted = selector.get("matchLabels") or {}
    if any(labels.get(k) != v for k, v in wanted.items()):
        return [_invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`")]
    return []


def _pod_specs(kind: str, obj: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    paths = {
        "Pod": ("spec",),
        "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    }.get(kind, ("spec", "template", "spec") if kind in (
        "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job") else None)
    if paths is None:
        return []
    spec = _get(obj, *paths)
    return [(".".join(paths), spec)] if isinstance(spec, dict) else [(".".join(paths), {})]


def _containers(path: str, spec: dict[str, Any]) -> list[Cause]:
    containers = spec.get("containers")
    if not containers:
        return [_required(f"{path}.containers")]
    causes = []
    for i, c in enumerate(containers):
        if not isinstance(c, dict):
            continue
        if not c.get("name"):
            causes.append(_required(f"{path}.containers[{i}].name"))
        if not c.get("image"):
            causes.append(_required(f"{path}.containers[{i}].image"))
    return causes


_STS_MUTABLE = {"replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds"}


def validate_update(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[Cause]:
    """Immutable-field rules on update, with the real field paths and messages."""
    causes = validate_create(kind, new)
    o_spec, n_spec = old.get("spec") or {}, new.get("spec") or {}

    def immutable(field: str, *path: str) -> None:
        if _get(o_spec, *path) != _get(n_spec, *path):
            causes.append(_invalid(field, _get(n_spec, *path), "field is immutable"))

    if kind in ("Deployment", "DaemonSet", "ReplicaSet"):
        immutable("spec.selector", "selector")
    elif kind == "StatefulSet":
        rest_old = {k: v for k, v in o_spec.items() if k not in _STS_MUTABLE}
        rest_new = {k: v for k, v in n_spec.items() if k not in _STS_MUTABLE}
        if rest_old != rest_new:
            causes.append(_forbidden("spec", "updates to statefulset spec for fields other than 'replicas', "
                                     "'ordinals', 'template', 'updateStrategy', "
                                     "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"))
    elif kind == "Job":
        immutable("spec.selector", "selector")
        immutable("spec.template", "template")
        immutable("spec.completions", "completions")
    elif kind == "Service":
        old_ip, new_ip = o_spec.get("clusterIP"), n_spec.get("clusterIP")
        if old_ip and old_ip != "None" and new_ip != old_ip and o_spec.get("type") == n_spec.get("type"):
            causes.append(_invalid("spec.clusterIPs[0]", [new_ip] if new_ip else [], "may not change once set"))
    elif kind == "PersistentVolumeClaim":
        strip = ("resources", "volumeAttributesClassName")
        if {k: v for k, v in o_spec.items() if k not in strip} != {k: v for k, v in n_spec.items() if k not in strip}:
            causes.append(_forbidden("spec", "spec is immutable after creation except resources.requests and "
                                     "volumeAttributesClassName for bound claims"))
    elif kind == "Pod":
        def mutable_removed(spec: dict[str, Any]) -> dict[str, Any]:
            rest = {k: v for k, v in spec.items() if k not in ("activeDeadlineSeconds", "tolerations",
                                                               "terminationGracePeriodSeconds")}
            for key in ("containers", "initContainers"):
                rest[key] = [{k: v for k, v in c.items() if k != "image"} for c in spec.get(key) or []]
            return rest

        if mutable_removed(o_spec) != mutable_removed(n_spec):
            causes.append(_forbidden("spec", "pod updates may not change fields other than "
                                     "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                                     "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                                     "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to "
                                     "be set to 1 if it was previously negative)"))
    elif kind in ("ConfigMap", "Secret") and old.get("immutable"):
        if any(old.get(k) != new.get(k) for k in ("data", "binaryData", "stringData", "immutable")):
            causes.append(_forbidden("data", "field is immutable when `immutable` is set"))
    return causes
