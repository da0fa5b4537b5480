"""Planning an apply: which objects, in which order, and which are refused - pure, no API.

The plan is computed before the first call to the cluster, so a guardrail violation
changes nothing, and every offending object is listed at once (not the first only).

Order follows what the API needs to accept the rest: CustomResourceDefinitions and
Namespaces first (their kinds and namespaces must exist, and become Established /
Active, before anything uses them), then cluster-wide ``*Class`` kinds (StorageClass,
IngressClass, PriorityClass... referenced by the objects after them), then everything
else, applied concurrently.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kubepush.cluster.compare.fields import copy_tree
from kubepush.model import Finding, ObjectRef

#: Built-in cluster-scoped kinds (the rest of the built-ins are namespaced).
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "APIService", "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration", "IPAddress",
    "ServiceCIDR", "DeviceClass", "ComponentStatus", "SelfSubjectReview", "TokenReview",
})
BUILTIN_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "scheduling.k8s.io", "node.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io",
    "apiregistration.k8s.io", "certificates.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
    "flowcontrol.apiserver.k8s.io", "resource.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
})

STAGE_NAMES = ("CRDs and Namespaces", "cluster-wide classes", "resources")


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


@dataclass(slots=True)
class Item:
    """One desired object and where it was written (file and document index)."""

    obj: dict[str, Any]
    file: str = ""
    document: int = 0
    line: int = 0  # where the object starts in ``file`` (1-based; 0 unknown), for file:line in reports
    #: SOPS-encrypted in Git (decrypted on load): the encrypted paths, never shown in a diff, and the
    #: decrypted values, masked in every message
    encrypted: bool = False
    secrets: frozenset[str] = frozenset()
    sealed: tuple[tuple[str | int, ...], ...] = ()

    @property
    def ref(self) -> ObjectRef:
        meta = self.obj.get("metadata") or {}
        return ObjectRef(self.obj.get("apiVersion", ""), self.obj.get("kind", ""), meta.get("namespace", ""),
                         meta.get("name", ""))

    _key: tuple[str, str, str, str] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity across API versions: (group, kind, namespace, name) - asked for a dozen times per
        object, so read once: nothing renames an Item's object (:func:`with_namespaces` makes new
        Items, labelling members changes labels only)."""
        if self._key is None:
            obj = self.obj
            meta = obj.get("metadata") or {}
            self._key = (group_of(obj.get("apiVersion", "")), obj.get("kind", ""), meta.get("namespace", ""),
                         meta.get("name", ""))
        return self._key

    @property
    def annotations(self) -> dict[str, str]:
        return (self.obj.get("metadata") or {}).get("annotations") or {}


Scope = Callable[[str, str], "bool | None"]


def static_scope(items: Iterable[Item]) -> Scope:
    """Namespaced-ness known without a cluster: built-in kinds and CRDs in the same set.

    Returns None for a custom kind whose CRD is not in the set: the caller asks discovery.
    """
    crds: dict[tuple[str, str], bool] = {}
    for item in items:
        if item.obj.get("kind") == "CustomResourceDefinition":
            spec = item.obj.get("spec") or {}
            kind = (spec.get("names") or {}).get("kind")
            if kind:
                crds[(spec.get("group", ""), kind)] = spec.get("scope", "Namespaced") != "Cluster"

    def namespaced(api_version: str, kind: str) -> bool | None:
        group = group_of(api_version)
        if (group, kind) in crds:
            return crds[(group, kind)]
        if group in BUILTIN_GROUPS:
            return kind not in CLUSTER_SCOPED
        return None

    return namespaced


def with_namespaces(items: Iterable[Item], namespaced: Scope, default_namespace: str) -> list[Item]:
    """Copies of ``items`` with the default namespace filled in for namespaced kinds
    (what ``kubectl apply -n`` does) and dropped for cluster-scoped ones."""
    out = []
    for item in items:
        obj = copy_tree(item.obj)
        meta = obj.setdefault("metadata", {})
        scoped = namespaced(obj.get("apiVersion", ""), obj.get("kind", ""))
        if scoped and not meta.get("namespace"):
            meta["namespace"] = default_namespace
        elif scoped is False:
            meta.pop("namespace", None)
        out.append(Item(obj, item.file, item.document, item.line, item.encrypted, item.secrets, item.sealed))
    return out


@dataclass(frozen=True)
class Guardrails:
    """What a target may touch. Empty ``namespaces``/``allow_kinds`` mean "any"."""

    namespaces: tuple[str, ...] = ()
    allow_kinds: tuple[str, ...] = ()
    deny_kinds: tuple[str, ...] = ()
    cluster_scoped: bool = True
    host_path: bool = True
    encrypted_secrets: bool = False  # requireEncryptedSecrets: a Secret must be SOPS-encrypted in Git

    @classmethod
    def from_target(cls, raw: dict[str, Any]) -> Guardrails:
        """From a target in kubepush.yaml; ``restricted: true`` flips the two defaults to refuse."""
        restricted = bool(raw.get("restricted", False))
        kinds = raw.get("kinds") or {}
        return cls(
            namespaces=tuple(raw.get("namespaces") or ()),
            allow_kinds=tuple(kinds.get("allow") or ()),
            deny_kinds=tuple(kinds.get("deny") or ()),
            cluster_scoped=bool(raw.get("clusterScoped", not restricted)),
            host_path=bool(raw.get("hostPath", not restricted)),
            encrypted_secrets=bool(raw.get("requireEncryptedSecrets", False)),
        )


def _kind_matches(patterns: Iterable[str], api_version: str, kind: str) -> bool:
    """``Kind``, ``Kind.group`` (kubectl's GroupKind spelling) or a glob of either."""
    group = group_of(api_version)
    names = (kind, f"{kind}.{group}" if group else kind)
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)


def violations(items: Iterable[Item], guard: Guardrails, namespaced: Scope) -> list[Finding]:
    """One finding per refused object (rule ``guardrail``), every reason in its message."""
    findings = []
    for item in items:
        ref = item.ref
        reasons = []
        if guard.allow_kinds and not _kind_matches(guard.allow_kinds, ref.api_version, ref.kind):
            reasons.append(f"kind {ref.kind} is not in the allowed kinds ({', '.join(guard.allow_kinds)})")
        if guard.deny_kinds and _kind_matches(guard.deny_kinds, ref.api_version, ref.kind):
            reasons.append(f"kind {ref.kind} is denied for this target")
        scoped = namespaced(ref.api_version, ref.kind)
        if scoped is False and not guard.cluster_scoped:
            reasons.append(f"{ref.kind} is cluster-scoped and this target may not touch cluster-scoped objects")
        if scoped and guard.namespaces and not any(fnmatch.fnmatchcase(ref.namespace, ns) for ns in guard.namespaces):
            reasons.append(f"namespace {ref.namespace!r} is not allowed (allowed: {', '.join(guard.namespaces)})")
        if ref.kind == "Namespace" and guard.namespaces and not any(
                fnmatch.fnmatchcase(ref.name, ns) for ns in guard.namespaces):
            reasons.append(f"namespace {ref.name!r} is not allowed (allowed: {', '.join(guard.namespaces)})")
        if not guard.host_path:
            for path in host_paths(item.obj):
                reasons.append(f"hostPath volume at {path} is not allowed for this target")
        if guard.encrypted_secrets and ref.kind == "Secret" and group_of(ref.api_version) == "" and not item.encrypted:
            reasons.append("a Secret in plain text: this target requires Secrets to be SOPS-encrypted in Git "
                           "(requireEncryptedSecrets; encrypt it with sops --encrypt --in-place)")
        if reasons:
            findings.append(Finding(rule="guardrail", message="refused: " + "; ".join(reasons), file=item.file,
                                    line=item.line, document=item.document, object=ref,
                                    hint="remove the object or change the target's guardrails in kubepush.yaml"))
    return findings


def host_paths(obj: Any, path: str = "") -> list[str]:
    """JSON paths of every ``hostPath`` volume anywhere in ``obj`` (pods, templates, custom resources)."""
    found = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            sub = f"{path}.{key}" if path else key
            if key == "volumes" and isinstance(value, list):
                for i, volume in enumerate(value):
                    if isinstance(volume, dict) and "hostPath" in volume:
                        found.append(f"{sub}[{i}]")
            else:
                found.extend(host_paths(value, sub))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            found.extend(host_paths(value, f"{path}[{i}]"))
    return found


def stage_of(item: Item, namespaced: Scope) -> int:
    kind = item.obj.get("kind", "")
    if kind in ("CustomResourceDefinition", "Namespace"):
        return 0
    if kind.endswith("Class") and namespaced(item.obj.get("apiVersion", ""), kind) is False:
        return 1
    return 2


def stages(items: Iterable[Item], namespaced: Scope) -> list[list[Item]]:
    """Items in apply order: three stages (possibly empty), input order kept within each."""
    out: list[list[Item]] = [[], [], []]
    for item in items:
        out[stage_of(item, namespaced)].append(item)
    return out


def duplicates(items: Iterable[Item]) -> list[Finding]:
    """The same object twice in one target: SSA would apply both and the last would win silently."""
    seen: dict[tuple[str, str, str, str], Item] = {}
    findings = []
    for item in items:
        if not item.ref.name:
            continue  # named by generateName (a hook): a new object each time
        if item.key in seen:
            first = seen[item.key]
            findings.append(Finding(rule="duplicate", message=f"{item.ref} is also defined in {first.file} "
                                    f"(document {first.document}); apply each object once", file=item.file,
                                    line=item.line, document=item.document, object=item.ref))
        else:
            seen[item.key] = item
    return findings
