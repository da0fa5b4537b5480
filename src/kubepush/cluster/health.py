"""Is a live object healthy? kstatus semantics as pure rules on the object's status.

Each object is ``current`` (reconciled and healthy), ``in-progress`` (not yet; keep
waiting) or ``failed`` (it will not get there by waiting). The rules follow
sigs.k8s.io/cli-utils kstatus, which Flux and kpt use:

* a controller that has not seen the latest spec (``status.observedGeneration`` behind
  ``metadata.generation``) is in progress, whatever the rest of the status says;
* Deployments, StatefulSets and DaemonSets are current when every replica is updated
  and available; a Deployment whose Progressing condition says
  ``ProgressDeadlineExceeded`` has failed (waiting longer will not help);
* Jobs are current when Complete and failed when Failed; PVCs when Bound;
  CRDs when Established; Namespaces when Active;
* anything else by the conventional conditions: ``Stalled`` failed, ``Reconciling`` in
  progress, ``Ready`` False in progress / True current; no status at all is current
  (ConfigMaps, Secrets, RBAC... have nothing to wait for).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

CURRENT, IN_PROGRESS, FAILED = "current", "in-progress", "failed"


@dataclass(frozen=True, slots=True)
class Health:
    state: str
    message: str = ""

    @property
    def done(self) -> bool:
        return self.state != IN_PROGRESS


def _conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    conditions = status.get("conditions") or []
    return {c["type"]: c for c in conditions if isinstance(c, dict) and isinstance(c.get("type"), str)}


def _true(cond: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    return cond is not None and cond.get("status") == "True"


def _false(cond: dict[str, Any] | None) -> TypeGuard[dict[str, Any]]:
    return cond is not None and cond.get("status") == "False"


def _why(cond: dict[str, Any]) -> str:
    return ": ".join(p for p in (cond.get("reason"), cond.get("message")) if p)


def health(obj: dict[str, Any]) -> Health:
    """The kstatus verdict for one live object."""
    meta = obj.get("metadata") or {}
    status = obj.get("status") or {}
    if meta.get("deletionTimestamp"):
        return Health(IN_PROGRESS, "being deleted")
    generation = meta.get("generation")
    observed = status.get("observedGeneration") if isinstance(status, dict) else None
    if generation is not None and observed is not None and observed < generation:
        return Health(IN_PROGRESS, f"controller has not observed generation {generation} yet (at {observed})")
    rule = _RULES.get(obj.get("kind", ""))
    if rule is not None:
        return rule(obj, status)
    return _generic(status)


def _generic(status: dict[str, Any]) -> Health:
    conds = _conditions(status)
    if _true(conds.get("Stalled")):
        return Health(FAILED, "Stalled: " + _why(conds["Stalled"]))
    if _true(conds.get("Reconciling")):
        return Health(IN_PROGRESS, "Reconciling: " + _why(conds["Reconciling"]))
    ready = conds.get("Ready")
    if _false(ready):
        return Health(IN_PROGRESS, "not Ready: " + _why(ready))
    if ready is not None and ready.get("status") == "Unknown":
        return Health(IN_PROGRESS, "Ready is Unknown: " + _why(ready))
    return Health(CURRENT, "Ready" if _true(ready) else "")


def _deployment(obj: dict[str, Any], status: dict[str, Any]) -> Health:
    conds = _conditions(status)
    progressing = conds.get("Progressing")
    if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health(FAILED, "ProgressDeadlineExceeded: " + (progressing.get("message") or "rollout timed out"))
    if "observedGeneration" not in status:
        return Health(IN_PROGRESS, "waiting for the controller to report status")
    want = (obj.get("spec") or {}).get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    if updated < want:
        return Health(IN_PROGRESS, f"{updated}/{want} replicas updated")
    if status.get("replicas", 0) > updated:
        return Health(IN_PROGRESS, f"{status.get('replicas', 0) - updated} old replicas pending termination")
    available = status.get("availableReplicas", 0)
    if available < updated:
        return Health(IN_PROGRESS, f"{available}/{updated} replicas available")
    if _false(conds.get("Available")):
        return Health(IN_PROGRESS, "not Available: " + _why(conds["Available"]))
    return Health(CURRENT, f"{available}/{want} replicas available")


def _statefulset(obj: dict[str, Any], status: dict[str, Any]) -> Health:
    spec = obj.get("spec") or {}
    if "observedGeneration" not in status:
        return Health(IN_PROGRESS, "waiting for the controller to report status")
    if (spec.get("updateStrategy") or {}).get("type") == "OnDelete":
        return Health(CURRENT, "OnDelete update strategy")
    want = spec.get("replicas", 1)
    ready = status.get("readyReplicas", 0)
    if ready < want:
        return Health(IN_PROGRESS, f"{ready}/{want} replicas ready")
    partition = ((spec.get("updateStrategy") or {}).get("rollingUpdate") or {}).get("partition", 0)
    updated = status.get("updatedReplicas", 0)
    if updated < want - partition:
        return Health(IN_PROGRESS, f"{updated}/{want - partition} replicas updated")
    if not partition and status.get("currentRevision") != status.get("updateRevision"):
        return Health(IN_PROGRESS, f"revision {status.get('updateRevision')} rolling out")
    return Health(CURRENT, f"{ready}/{want} replicas ready")


def _daemonset(obj: dict[str, Any], status: dict[str, Any]) -> Health:
    if "observedGeneration" not in status:
        return Health(IN_PROGRESS, "waiting for the controller to report status")
    desired = status.get("desiredNumberScheduled", 0)
    updated = status.get("updatedNumberScheduled", 0)
    if updated < desired:
        return Health(IN_PROGRESS, f"{updated}/{desired} pods updated")
    available = status.get("numberAvailable", 0)
    if available < desired:
        return Health(IN_PROGRESS, f"{available}/{desired} pods available")
    return Health(CURRENT, f"{available}/{desired} pods available")


def _job(obj: dict[str, Any], status: dict[str, Any]) -> Health:
    conds = _conditions(status)
    if _true(conds.get("Failed")):
        return Health(FAILED, "Failed: " + _why(conds["Failed"]))
    if _true(conds.get("Complete")):
        return Health(CURRENT, "Complete")
    return Health(IN_PROGRESS, f"{status.get('succeeded', 0)} succeeded, {status.get('active', 0)} active")


def _pvc(obj: dict[str, Any], status: dict[str, Any]) -> Health:
    phase = status.get("phase")
    if phase == "Bound":
        return Health(CURRENT, "Bound")
    if phase == "Lost":
        return Health(FAILED, "Lost: the bound volume no longer exists")
    return Health(IN_PROGRESS, f"phase {phase or 'Pending'}")


def _crd(obj: dict[str, Any], status: dict[str, Any]) -> Health:
    conds = _conditions(status)
    if _false(conds.get("NamesAccepted")):
        return Health(FAILED, "names not accepted: " + _why(conds["NamesAccepted"]))
    if _true(conds.get("Established")):
        return Health(CURRENT, "Established")
    return Health(IN_PROGRESS, "not Established yet")


def _namespace(obj: dict[str, Any], status: dict[str, Any]) -> Health:
    phase = status.get("phase", "Active")
    return Health(CURRENT, "Active") if phase == "Active" else Health(IN_PROGRESS, f"phase {phase}")


def _pod(obj: dict[str, Any], status: dict[str, Any]) -> Health:
    phase = status.get("phase")
    if phase == "Succeeded":
        return Health(CURRENT, "Succeeded")
    if phase == "Failed":
        return Health(FAILED, "Failed: " + (status.get("reason") or status.get("message") or "pod failed"))
    if _true(_conditions(status).get("Ready")):
        return Health(CURRENT, "Ready")
    return Health(IN_PROGRESS, f"phase {phase or 'Pending'}, not Ready")


_RULES = {
    "Deployment": _deployment,
    "StatefulSet": _statefulset,
    "DaemonSet": _daemonset,
    "Job": _job,
    "PersistentVolumeClaim": _pvc,
    "CustomResourceDefinition": _crd,
    "Namespace": _namespace,
    "Pod": _pod,
}
