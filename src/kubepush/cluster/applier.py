"""Server-side apply of a set of objects (a stage of an apply, or what heal re-applies):
one SSA call per object, concurrently, with a bound.

Whether an object was created, configured or left unchanged is read from one list per
kind and namespace taken just before the stage (the resourceVersion is kept by a no-op
apply). An object that list shows in sync - every value live and kubepush owning exactly
the fields it declares (:func:`~kubepush.cluster.compare.diff.apply_is_noop`) - is not sent
at all: a steady-state stage costs one LIST per kind and namespace, and one PATCH per object
that changes. The same list gives the live objects that ``drift.ignore`` rules need: an ignored
field is sent as it is live (:func:`~kubepush.cluster.compare.ignore.respect`), and the change
says so.

Conflicts (409, only without force) name the other field managers and their fields;
an immutable-field change (422 "field is immutable") either fails naming the field or,
when the object (``kubepush.dev/recreate: "true"``) or the target opts in, deletes the
object, waits until it is gone and applies it again.

A request that gets no answer fails its object; if the cluster then does not answer
``/version`` either, it is gone: the objects not yet sent are not-applied and
:class:`StageLost` carries what the stage did. One dropped request is just a failure.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubepush import model as ch
from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.compare.diff import apply_is_noop
from kubepush.cluster.compare.ignore import IgnoreRule, respect
from kubepush.cluster.compare.normalise import is_secret
from kubepush.cluster.errors import ApiError, ClusterError, Unreachable
from kubepush.cluster.listing import Query, list_each, query
from kubepush.cluster.plan import Item
from kubepush.cluster.readiness import Waiter

RECREATE_ANNOTATION = "kubepush.dev/recreate"


@dataclass(slots=True)
class Applied:
    """The outcome for one item: its change, and the live object (for waiting) when applied."""

    item: Item
    change: ch.Change
    info: ResourceInfo | None = None
    live: dict[str, Any] | None = None


class StageLost(Unreachable):
    """The cluster stopped answering during a stage; ``applied`` holds every item's outcome."""

    def __init__(self, cause: Unreachable, applied: list[Applied]) -> None:
        super().__init__(str(cause))
        self.applied = applied


class Applier:
    """Applies items to one cluster as field manager ``kubepush``."""

    def __init__(self, cluster: Cluster, *, target: str = "", force: bool = True, recreate: bool = False,
                 concurrency: int = 16, dry_run: bool = False, ignore: tuple[IgnoreRule, ...] = (),
                 progress: Callable[[str], None] = lambda line: None, waiter: Waiter | None = None) -> None:
        self.cluster = cluster
        #: retries writes an admission webhook or discovery lag refuses "not yet" (None: no retry)
        self.waiter = waiter
        self.ignore = ignore
        self.target = target
        self.force = force
        self.recreate = recreate
        self.concurrency = max(1, concurrency)
        self.dry_run = dry_run
        self.progress = progress
        self._lost: Unreachable | None = None  # set once the cluster is known to be gone
        #: every kind and namespace listed before a stage, with what it held then (prune reuses them)
        self.listed: dict[Query, list[dict[str, Any]]] = {}
        self._probe = threading.Lock()

    def apply(self, items: list[Item]) -> list[Applied]:
        """Apply ``items`` concurrently; results in input order. Never raises for one object's failure."""
        if not items:
            return []
        infos: dict[int, ResourceInfo | ClusterError] = {}
        resolve = self.cluster.resource if self.waiter is None else self.waiter.resource
        for i, item in enumerate(items):
            try:
                infos[i] = resolve(item.obj["apiVersion"], item.obj["kind"])
            except Unreachable:
                raise
            except ClusterError as exc:
                infos[i] = exc
        existing = self._existing(items, infos)
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as pool:
            done = list(pool.map(lambda i: self._one(items[i], infos[i], existing), range(len(items))))
        if self._lost is not None:
            raise StageLost(self._lost, done)
        return done

    def _existing(self, items: list[Item], infos: dict[int, ResourceInfo | ClusterError]
                  ) -> dict[tuple[str, str, str, str], dict[str, Any]]:
        """Every live object of the kinds and namespaces in ``items``."""
        queries = (query(info, item) for i, item in enumerate(items)
                   if isinstance(info := infos[i], ResourceInfo))
        out: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        # a refused LIST (e.g. forbidden): its objects read as absent, the apply itself will tell
        for (info, namespace), objs in list_each(self.cluster, queries, self.concurrency, tolerate=(ApiError,)):
            self.listed[(info, namespace)] = objs
            for obj in objs:
                meta = obj["metadata"]
                out[(info.group, info.kind, meta.get("namespace", ""), meta["name"])] = obj
        return out

    def _change(self, item: Item, action: str, reason: str = "", live: dict[str, Any] | None = None) -> ch.Change:
        return ch.Change.of(item, action, reason, self.target, live)

    def _one(self, item: Item, info: ResourceInfo | ClusterError,
             existing: dict[tuple[str, str, str, str], dict[str, Any]]) -> Applied:
        if isinstance(info, ClusterError):
            return Applied(item, self._change(item, ch.FAILED, str(info)))
        if self._lost is not None:
            return Applied(item, self._change(item, ch.SKIPPED, f"the cluster became unreachable ({self._lost})"),
                           info)
        before = existing.get(item.key)
        sent = respect(self.ignore, item.obj, before)
        if before is not None and apply_is_noop(sent.obj, before):
            return Applied(item, self._change(item, ch.UNCHANGED, sent.note(is_secret(item.obj))), info, before)
        try:
            if self.waiter is None:
                live = self.cluster.apply(info, sent.obj, force=self.force, dry_run=self.dry_run)
            else:
                live = self.waiter.write(info, str(item.ref), lambda: self.cluster.apply(
                    info, sent.obj, force=self.force, dry_run=self.dry_run))
        except ApiError as exc:
            return self._api_failure(item, info, exc)
        except Unreachable as exc:
            self._check_gone(exc)
            return Applied(item, self._change(item, ch.FAILED, f"{exc} (it may or may not have been applied)"), info)
        except ClusterError as exc:
            return Applied(item, self._change(item, ch.FAILED, str(exc)), info)
        if before is None:
            action = ch.CREATED
        elif live.get("metadata", {}).get("resourceVersion") == before["metadata"].get("resourceVersion"):
            action = ch.UNCHANGED
        else:
            action = ch.CONFIGURED
        note = sent.note(is_secret(item.obj))
        if action != ch.UNCHANGED or note:
            self.progress(f"{item.ref} {action}" + (f" ({note})" if note else ""))
        return Applied(item, self._change(item, action, note), info, live)

    def _check_gone(self, failure: Unreachable) -> None:
        """After a request got no answer: is the whole cluster gone, or was it this request?"""
        with self._probe:
            if self._lost is not None:
                return
            try:
                self.cluster.request("GET", "/version", timeout=min(self.cluster.timeout, 15.0))
            except Unreachable:
                self._lost = failure
            except ClusterError:
                pass  # it answered: not gone

    def _api_failure(self, item: Item, info: ResourceInfo, exc: ApiError) -> Applied:
        if exc.status == 409 and exc.causes:
            return Applied(item, self._change(item, ch.FAILED, conflict_message(exc)), info)
        immutable = immutable_fields(exc)
        if immutable:
            opted_in = self.recreate or item.annotations.get(RECREATE_ANNOTATION) == "true"
            if not opted_in:
                return Applied(item, self._change(item, ch.FAILED, (
                    f"field {', '.join(immutable)} is immutable; delete and recreate the object, or annotate it "
                    f'{RECREATE_ANNOTATION}: "true" (or set recreate: true on the target) to let kubepush do it')),
                    info)
            return self._recreate(item, info, immutable)
        return Applied(item, self._change(item, ch.FAILED, untyped_message(exc) or str(exc)), info)

    def _recreate(self, item: Item, info: ResourceInfo, fields: list[str]) -> Applied:
        ref = item.ref
        self.progress(f"{ref} recreating: field {', '.join(fields)} is immutable")
        try:
            self.cluster.delete(info, ref.namespace or None, ref.name)
            deadline = time.monotonic() + self.cluster.timeout
            interval = 0.05
            while self.cluster.get(info, ref.namespace or None, ref.name) is not None:
                if time.monotonic() > deadline:
                    return Applied(item, self._change(item, ch.FAILED, "deleted for recreation but still present "
                                                      f"after {self.cluster.timeout:g}s (finalizers?)"), info)
                time.sleep(interval)
                interval = min(1.0, interval * 2)
            live = self.cluster.apply(info, item.obj, force=self.force)
        except ClusterError as exc:
            return Applied(item, self._change(item, ch.FAILED, f"recreating (immutable {', '.join(fields)}): {exc}"),
                           info)
        return Applied(item, self._change(item, ch.RECREATED, f"field {', '.join(fields)} is immutable"), info, live)


def conflict_message(exc: ApiError) -> str:
    """``conflict with "kubectl-edit": .spec.replicas, .spec.paused`` per other manager."""
    by_manager: dict[str, list[str]] = defaultdict(list)
    for cause in exc.causes:
        message = cause.get("message", "")
        manager = message.split('"')[1] if message.count('"') >= 2 else message
        by_manager[manager].append(cause.get("field", "?"))
    parts = [f'field manager "{m}" owns {", ".join(fields)}' for m, fields in by_manager.items()]
    return ("apply conflict: " + "; ".join(parts) +
            " (run without --no-force-conflicts to take ownership, or remove the fields from the manifest)")


def immutable_fields(exc: ApiError) -> list[str]:
    """Fields a 422 names as immutable (empty when the 422 is about something else)."""
    if exc.status != 422:
        return []
    fields = [c.get("field", "") for c in exc.causes if "immutable" in (c.get("message") or "")]
    if not fields and "immutable" in str(exc):
        fields = ["(unnamed)"]
    return [f for f in fields if f] or []


#: What to do about each reason structured-merge-diff gives for a config it cannot type.
_UNTYPED_FIXES = (
    ("duplicate entries for key", "remove or merge the duplicate entries (a plain create or update would only "
                                  "warn and keep both)"),
    ("omits key field", "give every entry of that list its key field"),
    ("field not declared in schema", "remove the field or fix its name or indentation (the kind's schema does not "
                                     "have it)"),
)


def untyped_message(exc: ApiError) -> str:
    """The fieldmanager's reason for refusing a server-side apply, without the HTTP noise ('' if not one).

    The apiserver returns this as a reasonless 500 (structured-merge-diff's error is a plain
    error in the fieldmanager: kubernetes/kubernetes
    staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/structuredmerge.go):
    ``failed to create typed patch object (ns/name; apps/v1, Kind=Deployment): <path>: <reason>``,
    several reasons as ``errors:`` lines.
    """
    marker = "failed to create typed patch object"
    text = str(exc).partition(marker)[2]  # the scrubbed message
    if exc.status != 500 or not text:
        return ""
    detail = text.split("): ", 1)[1] if "): " in text else text.lstrip(": ")
    reasons = [line.strip() for line in detail.splitlines() if line.strip() and line.strip() != "errors:"]
    fixes = [fix for needle, fix in _UNTYPED_FIXES if any(needle in r for r in reasons)]
    return ("server-side apply cannot type the object: " + "; ".join(reasons)
            + (f" - {'; '.join(fixes)}" if fixes else ""))
