"""Type knowledge the fake apiserver needs: which kinds exist and how their fields merge.

Server-side apply and strategic merge depend on per-field metadata (list-map keys, set
lists, atomic maps) that the real apiserver takes from its OpenAPI models. We take the
same ``x-kubernetes-*`` extensions from the Kubernetes 1.32 JSON schemas that the
``kubernetes-validate`` package ships (a runtime dependency of kubepush), and from each
CRD's ``openAPIV3Schema`` for custom resources, so merge behaviour follows the real
models instead of a hand-written table.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "v1.32.0-local"
_REF_PREFIX = "#/$defs/"


@dataclass(frozen=True)
class ResourceType:
    """One REST resource as discovery describes it (``deployments`` in ``apps/v1``)."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    has_status: bool = False
    has_scale: bool = False
    #: Whether metadata.generation is maintained (bumped on spec changes).
    generation: bool = False
    #: Schema for the object: a JSON-schema node (with $refs into the builtin defs).
    schema: Any = None
    #: Custom resources keep unknown fields when the schema says so.
    crd: bool = False

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def group_resource(self) -> str:
        """``deployments.apps`` / ``configmaps``: how error messages name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def verbs(self) -> list[str]:
        return ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@functools.lru_cache(maxsize=1)
def builtin_definitions() -> dict[str, Any]:
    """The ``$defs`` of the Kubernetes 1.32 schemas bundled with kubernetes-validate."""
    import kubernetes_validate

    path = os.path.join(
        os.path.dirname(kubernetes_validate.__file__),
        "kubernetes-json-schema",
        SCHEMA_VERSION,
        "_definitions.json",
    )
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)["$defs"]


@functools.lru_cache(maxsize=1)
def _gvk_index() -> dict[tuple[str, str, str], str]:
    index = {}
    for name, node in builtin_definitions().items():
        for gvk in node.get("x-kubernetes-group-version-kind", ()):
            index[(gvk["group"], gvk["version"], gvk["kind"])] = name
    return index


def builtin_schema(group: str, version: str, kind: str) -> dict[str, Any]:
    return {"$ref": _REF_PREFIX + _gvk_index()[(group, version, kind)]}


OBJECT_META = {"$ref": _REF_PREFIX + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}

# (group, version, kind, plural, namespaced, shortNames, has_status, has_scale, generation)
_BUILTINS = [
    ("", "v1", "Namespace", "namespaces", False, ("ns",), True, False, False),
    ("", "v1", "ConfigMap", "configmaps", True, ("cm",), False, False, False),
    ("", "v1", "Secret", "secrets", True, (), False, False, False),
    ("", "v1", "Service", "services", True, ("svc",), True, False, False),
    ("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",), False, False, False),
    ("", "v1", "Pod", "pods", True, ("po",), True, False, False),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), True, False, False),
    ("", "v1", "Event", "events", True, ("ev",), False, False, False),
    ("", "v1", "Node", "nodes", False, ("no",), True, False, False),
    ("apps", "v1", "Deployment", "deployments", True, ("deploy",), True, True, True),
    ("apps", "v1", "StatefulSet", "statefulsets", True, ("sts",), True, True, True),
    ("apps", "v1", "DaemonSet", "daemonsets", True, ("ds",), True, False, True),
    ("apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), True, True, True),
    ("batch", "v1", "Job", "jobs", True, (), True, False, True),
    ("batch", "v1", "CronJob", "cronjobs", True, ("cj",), True, False, True),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",), True, False, True),
    ("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False, (), False, False, False),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ("netpol",), False, False, True),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", True, (), False, False, False),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True, (), False, False, False),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, (), False, False, False),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False, (), False, False, False),
    ("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",), False, False, False),
    ("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ("pc",), False, False, False),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("hpa",), True, False, True),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",), True, False, True),
    (
        "apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
        False, ("crd", "crds"), True, False, True,
    ),
]

_CATEGORY_ALL = {
    "Pod", "Service", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
    "HorizontalPodAutoscaler",
}


def builtin_types() -> list[ResourceType]:
    return [
        ResourceType(
            group=g, version=v, kind=k, plural=p, namespaced=ns, short_names=sn,
            categories=("all",) if k in _CATEGORY_ALL else (),
            has_status=st, has_scale=sc, generation=gen, schema=builtin_schema(g, v, k),
        )
        for g, v, k, p, ns, sn, st, sc, gen in _BUILTINS
    ]


def crd_types(crd: dict[str, Any]) -> list[ResourceType]:
    """The resource types a CustomResourceDefinition serves, one per served version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    out = []
    for ver in spec.get("versions") or []:
        if not ver.get("served", True):
            continue
        schema = dict(((ver.get("schema") or {}).get("openAPIV3Schema")) or {"type": "object"})
        props = dict(schema.get("properties") or {})
        props["metadata"] = OBJECT_META
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        if not (schema.get("properties") or schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["x-kubernetes-preserve-unknown-fields"] = True
        schema["properties"] = props
        subresources = ver.get("subresources") or {}
        out.append(
            ResourceType(
                group=spec.get("group", ""), version=ver["name"], kind=names.get("kind", ""),
                plural=names.get("plural", ""), namespaced=spec.get("scope") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                has_status="status" in subresources, has_scale="scale" in subresources,
                generation=True, schema=schema, crd=True,
            )
        )
    return out


# --- schema navigation ---------------------------------------------------------------

STRUCT, MAP, LIST, SCALAR, ANY = "struct", "map", "list", "scalar", "any"


@dataclass(frozen=True)
class Node:
    """A resolved schema node: what shape a value has and how it merges."""

    shape: str
    raw: Any = field(default=None, compare=False, hash=False)
    atomic: bool = False
    list_type: str = "atomic"  # for LIST: atomic | set | map
    keys: tuple[str, ...] = ()
    preserve_unknown: bool = False
    _children: dict[str, Node | None] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def child(self, name: str) -> Node | None:
        """Schema of a struct/map member; None for an undeclared struct field (memoized)."""
        try:
            return self._children[name]
        except KeyError:
            found = self._children[name] = self._child(name)
            return found

    def _child(self, name: str) -> Node | None:
        if self.shape == STRUCT:
            props = self.raw.get("properties") or {}
            if name in props:
                return resolve(props[name])
            addl = self.raw.get("additionalProperties")
            if isinstance(addl, dict):
                return resolve(addl)
            if self.preserve_unknown or addl is True:
                return ANY_NODE
            return None
        if self.shape == MAP:
            addl = self.raw.get("additionalProperties")
            return resolve(addl) if isinstance(addl, dict) else ANY_NODE
        return ANY_NODE

    def item(self) -> Node:
        if "[]" not in self._children:
            items = self.raw.get("items") if isinstance(self.raw, dict) else None
            self._children["[]"] = resolve(items) if isinstance(items, dict) else ANY_NODE
        return self._children["[]"]  # type: ignore[return-value]


ANY_NODE = Node(ANY, raw={})


def _types(raw: dict[str, Any]) -> set[str]:
    t = raw.get("type")
    if isinstance(t, list):
        return set(t) - {"null"}
    return {t} if t else set()


def resolve(raw: Any) -> Node:
    """Turn a JSON-schema node into a Node, following $refs into the builtin defs."""
    if not isinstance(raw, dict):
        return ANY_NODE
    return _resolve_cached(json.dumps(raw, sort_keys=True)) if "$ref" not in raw else _resolve_ref(raw["$ref"])


@functools.lru_cache(maxsize=4096)
def _resolve_ref(ref: str) -> Node:
    return _resolve(builtin_definitions()[ref[len(_REF_PREFIX):]])


@functools.lru_cache(maxsize=4096)
def _resolve_cached(text: str) -> Node:
    return _resolve(json.loads(text))


def _resolve(raw: dict[str, Any]) -> Node:
    if "$ref" in raw:
        return _resolve_ref(raw["$ref"])
    for combinator in ("allOf",):
        if raw.get(combinator) and len(raw[combinator]) == 1:
            return _resolve(raw[combinator][0])
    types = _types(raw)
    preserve = bool(raw.get("x-kubernetes-preserve-unknown-fields"))
    if raw.get("x-kubernetes-int-or-string") or raw.get("oneOf"):
        return Node(SCALAR, raw=raw)
    if "array" in types or "items" in raw:
        list_type = raw.get("x-kubernetes-list-type")
        keys = tuple(raw.get("x-kubernetes-list-map-keys") or ())
        if list_type is None:
            # The apiserver's schema conversion falls back to the patch strategy.
            strategy = raw.get("x-kubernetes-patch-strategy", "")
            merge_key = raw.get("x-kubernetes-patch-merge-key")
            if "merge" in strategy.split(","):
                list_type, keys = ("map", (merge_key,)) if merge_key else ("set", ())
            else:
                list_type = "atomic"
        if list_type == "map" and not keys:
            list_type = "atomic"
        return Node(LIST, raw=raw, list_type=list_type, keys=keys, atomic=list_type == "atomic")
    if "object" in types or "properties" in raw or "additionalProperties" in raw:
        atomic = raw.get("x-kubernetes-map-type") == "atomic"
        if raw.get("properties") or (preserve and not isinstance(raw.get("additionalProperties"), dict)):
            return Node(STRUCT, raw=raw, atomic=atomic, preserve_unknown=preserve)
        if isinstance(raw.get("additionalProperties"), dict):
            return Node(MAP, raw=raw, atomic=atomic)
        return Node(STRUCT, raw=raw, atomic=atomic, preserve_unknown=True)
    if types:
        return Node(SCALAR, raw=raw)
    return ANY_NODE if not preserve else Node(STRUCT, raw={}, preserve_unknown=True)
