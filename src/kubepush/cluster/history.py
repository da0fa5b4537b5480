"""The last applies of a target, kept on its inventory parent: what ``kubepush status`` lists.

The inventory's ``kubepush.dev/revision`` says what was applied last, not when, by whom or how
it went. So every apply that got as far as taking the target's lock - healthy, applied without
waiting, failed, unhealthy, and the rollback that followed one - adds an :class:`Entry` to the
annotation ``kubepush.dev/history``: a JSON list, oldest first, of at most :data:`LIMIT` entries
whose every text is cut to :data:`FIELD_LIMIT` characters, so the parent stays a few KiB whatever
a CI system puts in its URLs (an object's annotations may total 256 KiB:
https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go,
``TotalAnnotationSizeLimitB``).

It is written by server-side apply under its own field manager, ``kubepush-history``: the
inventory writes (manager ``kubepush``) do not carry the annotation, and server-side apply
removes only the fields the applying manager owned and left out
(https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management), so the
two never undo each other. The apply lock serialises the read-modify-write.

Entries sort by the time their apply started: a rollback runs, and is recorded, inside the
apply whose health failed, and still lists after it.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.inventory import Parent

HISTORY = "kubepush.dev/history"
MANAGER = "kubepush-history"
#: entries kept: enough to see a failure, its rollback and what ran before them
LIMIT = 10
FIELD_LIMIT = 256

#: how an apply ended: health proved; applied with --no-wait (health not proved); an object
#: failed to apply or the run stopped on an error; applied, but health failed
HEALTHY, APPLIED, FAILED, UNHEALTHY = "healthy", "applied", "failed", "unhealthy"
RESULTS = (HEALTHY, APPLIED, FAILED, UNHEALTHY)


def now() -> str:
    """RFC 3339 UTC with milliseconds: entries of one run (an apply and its rollback) still sort."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Entry:
    """One apply: the revision, when it started and finished, how it ended, who ran it."""

    revision: str
    started: str
    finished: str
    result: str
    #: the CI run (:func:`kubepush.provenance.run_url`), ``""`` outside CI
    run: str = ""
    actor: str = ""
    #: ``3 configured, 1 created``: the change counts of the apply
    changes: str = ""
    #: set on a rollback: the revision whose failed health it returned from
    rollback_of: str = ""

    def to_dict(self) -> dict[str, str]:
        """The stored (and reported) form, camelCase like the Kubernetes API; empty fields left out."""
        return {_camel(k): v for k, v in asdict(self).items() if v}

    @classmethod
    def from_dict(cls, data: Any) -> Entry | None:
        """An entry as stored, or ``None`` for one that is not (edited by hand, a newer format)."""
        if not isinstance(data, dict):
            return None
        values = {f.name: data.get(_camel(f.name), "") for f in fields(cls)}
        if not all(isinstance(v, str) for v in values.values()) or not values["started"]:
            return None
        return cls(**{k: v[:FIELD_LIMIT] for k, v in values.items()})

    def bounded(self) -> Entry:
        return Entry(**{k: v[:FIELD_LIMIT] for k, v in asdict(self).items()})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def read(live: dict[str, Any] | None) -> list[Entry]:
    """The entries recorded on a live parent, oldest first; what cannot be read is left out."""
    text = (((live or {}).get("metadata") or {}).get("annotations") or {}).get(HISTORY, "")
    try:
        data = json.loads(text) if text else []
    except ValueError:
        return []
    entries = [Entry.from_dict(d) for d in data] if isinstance(data, list) else []
    return [e for e in entries if e is not None]


def appended(entries: list[Entry], entry: Entry) -> list[Entry]:
    """``entries`` with ``entry``, in the order the applies started, the newest :data:`LIMIT` kept."""
    return sorted([*entries, entry.bounded()], key=lambda e: e.started)[-LIMIT:]


def record(cluster: Cluster, info: ResourceInfo, parent: Parent, entry: Entry,
           live: dict[str, Any] | None = None) -> None:
    """Add ``entry`` to the parent's history: ``live`` is the parent as this run last saw it (the
    lock's claim answers with it), read afresh when not given - a rollback adds its own entry meanwhile."""
    entries = appended(read(live if live is not None else cluster.get(info, parent.namespace, parent.name)), entry)
    text = json.dumps([e.to_dict() for e in entries], separators=(",", ":"))
    cluster.apply(info, {"apiVersion": "v1", "kind": parent.kind, "metadata": {
        "name": parent.name, "namespace": parent.namespace, "annotations": {HISTORY: text}}}, manager=MANAGER)
