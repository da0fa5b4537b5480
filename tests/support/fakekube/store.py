"""In-memory object storage: objects, the resource types served, the global resourceVersion."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from typing import Any

from .jsonutil import clone
from .schema import ResourceType, builtin_types, crd_types

Key = tuple[str, str]  # (namespace or "", name)
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Store:
    """All state of the fake cluster, guarded by one lock (requests are serialized on it)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.resource_version = 1
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self._objects: dict[tuple[str, str], dict[Key, dict[str, Any]]] = {}
        self._crd_types: dict[str, list[ResourceType]] = {}
        self._next_ip = int(ipaddress.ip_address("10.96.0.10"))
        #: (resourceVersion, event type, (group, plural), object) for watches.
        self.events: list[tuple[int, str, tuple[str, str], dict[str, Any]]] = []
        #: Watches and list continuations from before this resourceVersion get 410 Gone.
        self.compacted = 0
        self.changed = threading.Condition(self.lock)
        for rt in builtin_types():
            self._register(rt)

    # --- types -------------------------------------------------------------------------
    def _register(self, rt: ResourceType) -> None:
        self._types[(rt.group, rt.version, rt.plural)] = rt
        self._objects.setdefault((rt.group, rt.plural), {})

    def types(self) -> list[ResourceType]:
        with self.lock:
            return list(self._types.values())

    def resource(self, group: str, version: str, plural: str) -> ResourceType | None:
        with self.lock:
            return self._types.get((group, version, plural))

    def by_kind(self, kind: str, api_version: str | None = None) -> ResourceType:
        """The type for a kind (and optionally apiVersion), for the test-control helpers."""
        with self.lock:
            for rt in self._types.values():
                if rt.kind == kind and (api_version is None or rt.group_version == api_version):
                    return rt
        raise KeyError(f"no resource type for kind {kind!r}")

    def register_crd(self, crd: dict[str, Any]) -> None:
        name = crd["metadata"]["name"]
        with self.lock:
            self.unregister_crd(name, drop_objects=False)
            rts = crd_types(crd)
            self._crd_types[name] = rts
            for rt in rts:
                self._register(rt)

    def unregister_crd(self, name: str, drop_objects: bool = True) -> None:
        with self.lock:
            for rt in self._crd_types.pop(name, []):
                self._types.pop((rt.group, rt.version, rt.plural), None)
                if drop_objects:
                    self._objects.pop((rt.group, rt.plural), None)

    # --- objects -----------------------------------------------------------------------
    def next_resource_version(self) -> str:
        with self.lock:
            self.resource_version += 1
            return str(self.resource_version)

    def allocate_cluster_ip(self) -> str:
        with self.lock:
            ip = str(ipaddress.ip_address(self._next_ip))
            self._next_ip += 1
            return ip

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            obj = self._objects.get((rt.group, rt.plural), {}).get((namespace, name))
            return clone(obj) if obj is not None else None

    def items(self, rt: ResourceType, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        """Objects of a type in key order (etcd order), optionally within one namespace."""
        with self.lock:
            bucket = self._objects.get((rt.group, rt.plural), {})
            for key in sorted(bucket):
                if namespace is None or key[0] == namespace:
                    yield clone(bucket[key])

    def put(self, rt: ResourceType, obj: dict[str, Any], event: str) -> None:
        meta = obj["metadata"]
        with self.lock:
            self._objects.setdefault((rt.group, rt.plural), {})[(meta.get("namespace", ""), meta["name"])] = \
                clone(obj)
            self._emit(event, rt, obj)

    def remove(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            obj = self._objects.get((rt.group, rt.plural), {}).pop((namespace, name), None)
            if obj is not None:
                obj = clone(obj)
                obj["metadata"]["resourceVersion"] = self.next_resource_version()
                self._emit("DELETED", rt, obj)
            return obj

    def _emit(self, event: str, rt: ResourceType, obj: dict[str, Any]) -> None:
        self.events.append((int(obj["metadata"]["resourceVersion"]), event, (rt.group, rt.plural),
                            clone(obj)))
        if len(self.events) > 5000:
            del self.events[:-5000]
            self.compacted = self.events[0][0] - 1
        self.changed.notify_all()

    def compact(self) -> None:
        """Forget the event history, like etcd compaction: older resourceVersions expire."""
        with self.lock:
            self.events.clear()
            self.compacted = self.resource_version

    def namespaced_types(self) -> list[ResourceType]:
        """One ResourceType per stored (group, plural) that lives in namespaces."""
        seen, out = set(), []
        with self.lock:
            for rt in self._types.values():
                if rt.namespaced and (rt.group, rt.plural) not in seen:
                    seen.add((rt.group, rt.plural))
                    out.append(rt)
        return out
