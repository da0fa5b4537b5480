"""``Warning`` headers the apiserver sends for pod specs that are accepted but suspicious.

Modelled on kubernetes/kubernetes pkg/api/pod/warnings.go (``GetWarningsForPodTemplate``,
called from each workload's REST strategy ``WarningsOnCreate``, and ``WarningsOnUpdate`` when
the generation changed - pkg/registry/apps/deployment/strategy.go; Pods always): ports
are collected across all containers of a pod spec, keyed ``containerPort/protocol``, and a
port equal to an earlier one (same hostIP and hostPort) is reported as
``<path>: duplicate port definition with <earlier path>``. The object is stored as sent -
unlike a server-side apply, which cannot even type such a list (see ``typed.py``). Only this
warning is modelled.
"""

from __future__ import annotations

from typing import Any

from .schema import ResourceType

#: Where each kind keeps its pod spec (the path the warnings are rendered from).
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
#: pods.VisitContainersWithPath's order.
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def pod_warnings(rt: ResourceType, obj: dict[str, Any]) -> list[str]:
    path = POD_SPEC_PATHS.get(rt.kind) if rt.group in ("", "apps", "batch") else None
    spec: Any = obj
    for key in path or ():
        spec = spec.get(key) if isinstance(spec, dict) else None
    if not path or not isinstance(spec, dict):
        return []
    found: list[str] = []
    seen: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for list_name in CONTAINER_LISTS:
        for i, container in enumerate(spec.get(list_name) or []):
            for j, port in enumerate((container or {}).get("ports") or []):
                here = f"{'.'.join(path)}.{list_name}[{i}].ports[{j}]"
                key = f"{port.get('containerPort')}/{port.get('protocol', 'TCP')}"
                for other_path, other in seen.get(key, []):
                    if (port.get("hostIP", ""), port.get("hostPort", 0)) == \
                            (other.get("hostIP", ""), other.get("hostPort", 0)):
                        found.append(f"{here}: duplicate port definition with {other_path}")
                seen.setdefault(key, []).append((here, port))
    return found
