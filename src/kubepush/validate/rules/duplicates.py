"""duplicate-resource: the same object defined twice in one run.

Applying both silently keeps the later one, which is almost never intended (a copy
with a different image tag, a pasted block). Identity is what the API server uses:
group (not version: apps/v1 and apps/v1beta2 name the same object), kind, namespace,
name. Namespaced objects without metadata.namespace all land in one namespace at
apply time, so they share the bucket "default/unset"; cluster-scoped kinds ignore
the namespace.
"""

from __future__ import annotations

from collections.abc import Hashable

from kubepush.model import Finding, ObjectRef

from .names import group_of

#: Built-in cluster-scoped kinds, by (group, kind).
CLUSTER_SCOPED = frozenset(
    {
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("policy", "PodSecurityPolicy"),
        ("extensions", "PodSecurityPolicy"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "ResourceSlice"),
        ("resource.k8s.io", "DeviceTaintRule"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
    }
)
UNSET_NAMESPACE = "default/unset"


class DuplicateTracker:
    """Remembers every object identity seen in one run; stream-friendly (one small entry per object).

    ``add`` returns a finding for the second and later definitions of an object. The
    finding's ``path`` is ``metadata.name`` of the later copy; the caller fills in its
    file/line like for any other finding.
    """

    def __init__(self) -> None:
        self._first: dict[tuple[str, str, str, str], tuple[Hashable, str]] = {}

    def add(self, doc_key: Hashable, obj_ref: ObjectRef, where: str) -> Finding | None:
        """Record one object.

        ``doc_key`` identifies the source document (e.g. ``(file, index)``): adding the
        same document twice - a file reached through two paths - is not a duplicate.
        ``where`` is how to point a reader at this document ("deploy.yaml:12"); it is
        quoted in the finding for a later copy.
        """
        if not obj_ref.kind or not obj_ref.name:
            return None  # nameless (generateName) objects are never duplicates
        group = group_of(obj_ref.api_version)
        cluster_scoped = (group, obj_ref.kind) in CLUSTER_SCOPED
        namespace = "" if cluster_scoped else obj_ref.namespace
        key = (group, obj_ref.kind, namespace, obj_ref.name)
        first = self._first.setdefault(key, (doc_key, where))
        if first[0] == doc_key:
            return None
        if cluster_scoped:
            scope = "cluster-scoped"
        elif namespace:
            scope = f"namespace {namespace}"
        else:
            scope = (
                f"namespace: {UNSET_NAMESPACE} - neither copy sets metadata.namespace, so both are "
                "applied to the same namespace"
            )
        return Finding(
            rule="duplicate-resource",
            message=f"duplicate resource {obj_ref.api_version} {obj_ref.kind} {obj_ref.name} ({scope}); "
            f"first defined at {first[1]}",
            hint="the later definition overwrites the earlier one on apply: remove one copy or rename it",
            object=obj_ref,
            path=("metadata", "name"),
        )
