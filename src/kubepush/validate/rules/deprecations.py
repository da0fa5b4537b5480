"""Deprecated and removed built-in APIs, as data.

Source: the Kubernetes Deprecated API Migration Guide
(https://kubernetes.io/docs/reference/using-api/deprecation-guide/), plus older alpha
and beta removals that still turn up in old manifests. A Python module rather than a
JSON file so that it ships with the package without packaging configuration.

Each entry: apiVersion, kinds, deprecated-in and removed-in (Kubernetes minor
versions; removed None = deprecated but still served), the replacement apiVersion
(None = no replacement; the note says what to do instead), and an optional note.
"""

from __future__ import annotations

from typing import NamedTuple


class Deprecation(NamedTuple):
    api_version: str
    kinds: tuple[str, ...]
    deprecated: tuple[int, int]
    removed: tuple[int, int] | None
    replacement: str | None
    note: str = ""
    replacement_kind: str = ""


def _v(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


DEPRECATIONS: tuple[Deprecation, ...] = (
    Deprecation("extensions/v1beta1", ("Deployment", "DaemonSet", "ReplicaSet"), _v("1.9"), _v("1.16"), "apps/v1"),
    Deprecation(
        "apps/v1beta1",
        ("Deployment", "StatefulSet", "ReplicaSet", "ControllerRevision"),
        _v("1.9"),
        _v("1.16"),
        "apps/v1",
    ),
    Deprecation(
        "apps/v1beta2",
        ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"),
        _v("1.9"),
        _v("1.16"),
        "apps/v1",
    ),
    Deprecation("extensions/v1beta1", ("NetworkPolicy",), _v("1.9"), _v("1.16"), "networking.k8s.io/v1"),
    Deprecation(
        "extensions/v1beta1",
        ("PodSecurityPolicy",),
        _v("1.10"),
        _v("1.16"),
        None,
        note="PodSecurityPolicy was removed altogether in 1.25 (policy/v1beta1 was its last version); use Pod "
        "Security Admission (pod-security.kubernetes.io namespace labels) or a policy engine",
    ),
    Deprecation(
        "extensions/v1beta1",
        ("Ingress",),
        _v("1.14"),
        _v("1.22"),
        "networking.k8s.io/v1",
        note="v1 changes the backend shape (backend.service.name/port) and requires pathType",
    ),
    Deprecation(
        "admissionregistration.k8s.io/v1alpha1",
        ("InitializerConfiguration",),
        _v("1.14"),
        _v("1.14"),
        None,
        note="initializers were dropped; use admission webhooks",
    ),
    Deprecation("scheduling.k8s.io/v1alpha1", ("PriorityClass",), _v("1.14"), _v("1.17"), "scheduling.k8s.io/v1"),
    Deprecation(
        "settings.k8s.io/v1alpha1",
        ("PodPreset",),
        _v("1.19"),
        _v("1.20"),
        None,
        note="PodPreset was dropped; use a mutating admission webhook",
    ),
    Deprecation("batch/v2alpha1", ("CronJob",), _v("1.8"), _v("1.21"), "batch/v1"),
    Deprecation(
        "admissionregistration.k8s.io/v1beta1",
        ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
        _v("1.16"),
        _v("1.22"),
        "admissionregistration.k8s.io/v1",
        note="v1 requires sideEffects and admissionReviewVersions",
    ),
    Deprecation(
        "apiextensions.k8s.io/v1beta1",
        ("CustomResourceDefinition",),
        _v("1.16"),
        _v("1.22"),
        "apiextensions.k8s.io/v1",
        note="v1 requires a structural schema per version",
    ),
    Deprecation("apiregistration.k8s.io/v1beta1", ("APIService",), _v("1.19"), _v("1.22"), "apiregistration.k8s.io/v1"),
    Deprecation("authentication.k8s.io/v1beta1", ("TokenReview",), _v("1.19"), _v("1.22"), "authentication.k8s.io/v1"),
    Deprecation(
        "authorization.k8s.io/v1beta1",
        ("SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"),
        _v("1.19"),
        _v("1.22"),
        "authorization.k8s.io/v1",
    ),
    Deprecation(
        "certificates.k8s.io/v1beta1", ("CertificateSigningRequest",), _v("1.19"), _v("1.22"), "certificates.k8s.io/v1"
    ),
    Deprecation("coordination.k8s.io/v1beta1", ("Lease",), _v("1.19"), _v("1.22"), "coordination.k8s.io/v1"),
    Deprecation(
        "networking.k8s.io/v1beta1",
        ("Ingress",),
        _v("1.19"),
        _v("1.22"),
        "networking.k8s.io/v1",
        note="v1 changes the backend shape (backend.service.name/port) and requires pathType",
    ),
    Deprecation("networking.k8s.io/v1beta1", ("IngressClass",), _v("1.19"), _v("1.22"), "networking.k8s.io/v1"),
    Deprecation(
        "rbac.authorization.k8s.io/v1alpha1",
        ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
        _v("1.17"),
        _v("1.22"),
        "rbac.authorization.k8s.io/v1",
    ),
    Deprecation(
        "rbac.authorization.k8s.io/v1beta1",
        ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
        _v("1.17"),
        _v("1.22"),
        "rbac.authorization.k8s.io/v1",
    ),
    Deprecation("scheduling.k8s.io/v1beta1", ("PriorityClass",), _v("1.14"), _v("1.22"), "scheduling.k8s.io/v1"),
    Deprecation("storage.k8s.io/v1beta1", ("CSIDriver",), _v("1.19"), _v("1.22"), "storage.k8s.io/v1"),
    Deprecation("storage.k8s.io/v1beta1", ("CSINode",), _v("1.17"), _v("1.22"), "storage.k8s.io/v1"),
    Deprecation("storage.k8s.io/v1beta1", ("StorageClass",), _v("1.19"), _v("1.22"), "storage.k8s.io/v1"),
    Deprecation("storage.k8s.io/v1beta1", ("VolumeAttachment",), _v("1.19"), _v("1.22"), "storage.k8s.io/v1"),
    Deprecation("batch/v1beta1", ("CronJob",), _v("1.21"), _v("1.25"), "batch/v1"),
    Deprecation("discovery.k8s.io/v1beta1", ("EndpointSlice",), _v("1.21"), _v("1.25"), "discovery.k8s.io/v1"),
    Deprecation("events.k8s.io/v1beta1", ("Event",), _v("1.22"), _v("1.25"), "events.k8s.io/v1"),
    Deprecation("autoscaling/v2beta1", ("HorizontalPodAutoscaler",), _v("1.22"), _v("1.25"), "autoscaling/v2"),
    Deprecation(
        "policy/v1beta1",
        ("PodDisruptionBudget",),
        _v("1.21"),
        _v("1.25"),
        "policy/v1",
        note="in policy/v1 an empty selector selects all pods in the namespace",
    ),
    Deprecation(
        "policy/v1beta1",
        ("PodSecurityPolicy",),
        _v("1.21"),
        _v("1.25"),
        None,
        note="use Pod Security Admission (pod-security.kubernetes.io namespace labels) or a policy engine",
    ),
    Deprecation("node.k8s.io/v1beta1", ("RuntimeClass",), _v("1.22"), _v("1.25"), "node.k8s.io/v1"),
    Deprecation("node.k8s.io/v1alpha1", ("RuntimeClass",), _v("1.20"), _v("1.22"), "node.k8s.io/v1"),
    Deprecation(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        ("FlowSchema", "PriorityLevelConfiguration"),
        _v("1.23"),
        _v("1.26"),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    Deprecation("autoscaling/v2beta2", ("HorizontalPodAutoscaler",), _v("1.23"), _v("1.26"), "autoscaling/v2"),
    Deprecation("storage.k8s.io/v1beta1", ("CSIStorageCapacity",), _v("1.24"), _v("1.27"), "storage.k8s.io/v1"),
    Deprecation(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        ("FlowSchema", "PriorityLevelConfiguration"),
        _v("1.26"),
        _v("1.29"),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    Deprecation(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        ("FlowSchema", "PriorityLevelConfiguration"),
        _v("1.29"),
        _v("1.32"),
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    Deprecation(
        "v1", ("ComponentStatus",), _v("1.19"), None, None, note="query the components' health endpoints instead"
    ),
    Deprecation("v1", ("Endpoints",), _v("1.33"), None, "discovery.k8s.io/v1", replacement_kind="EndpointSlice"),
)
