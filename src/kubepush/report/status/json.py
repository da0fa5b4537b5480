"""``kubepush status -o json``: every target's fields, for scripts and the CI steps' outputs."""

from __future__ import annotations

import json
from typing import Any

from kubepush.cluster.status import ObjectHealth, TargetStatus, exit_code
from kubepush.model import Change, ObjectRef
from kubepush.report.status import StatusReport


def _object(ref: ObjectRef) -> dict[str, str]:
    return {"apiVersion": ref.api_version, "kind": ref.kind, "namespace": ref.namespace, "name": ref.name}


def _change(change: Change) -> dict[str, Any]:
    return {"object": _object(change.ref), "action": change.action, "reason": change.reason,
            "file": change.file or None, "line": change.line or None}


def _health(item: ObjectHealth) -> dict[str, Any]:
    return {"object": _object(item.ref), "status": item.state, "message": item.message}


def target(status: TargetStatus, history: int) -> dict[str, Any]:
    """One target; ``history`` entries, newest first. A field nobody recorded is ``null``."""
    applied, last = status.applied, status.last
    return {
        "target": status.name,
        "ok": status.ok,
        "error": status.error or None,
        "problems": status.problems,
        "inventory": status.inventory or None,
        "revision": status.revision or None,
        "gitRevision": status.git_revision or None,
        "healthyRevision": status.healthy_revision or None,
        "appliedAt": applied.finished if applied else None,
        "appliedBy": {"run": applied.run or None, "actor": applied.actor or None} if applied else None,
        "lastApply": {"result": status.last_apply, **(last.to_dict() if last else {})},
        "health": {"status": status.health, "objects": status.objects,
                   "unhealthy": [_health(o) for o in status.unhealthy]},
        "sync": {"status": status.sync, "check": status.check, "objects": [_change(c) for c in status.drifted]},
        "ownedElsewhere": [_change(c) for c in status.owned_elsewhere],
        "history": [e.to_dict() for e in reversed(status.history)][:history],
    }


def render(report: StatusReport) -> str:
    targets = report.targets
    data = {
        "command": "status",
        "targets": [target(t, report.history) for t in targets],
        "summary": {"targets": len(targets), "ok": sum(t.ok for t in targets),
                    "healthy": sum(t.health == "healthy" and not t.error for t in targets),
                    "inSync": sum(t.sync == "in-sync" and not t.error for t in targets),
                    "errors": sum(bool(t.error) for t in targets)},
        "exitCode": exit_code(targets),
    }
    return json.dumps(data, indent=2) + "\n"
