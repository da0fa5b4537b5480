"""Checks beyond JSON Schema: what the Kubernetes API server (or server-side apply)
rejects although the OpenAPI schema accepts it.

Interface:

- :data:`RULES` - every rule id with its description and help (reporters use them).
- :func:`check_document` - the per-document rules for one parsed document.
- :class:`DuplicateTracker` - the cross-document duplicate-resource rule, one per run.
- :func:`diagnose_unknown` - called by the schema layer when it has no schema for an
  (apiVersion, kind), to say *why* (typo, wrong case) instead of just "no schema".

All functions are pure: findings carry ``rule``, ``message``, ``hint``, ``severity``,
``object`` and a ``path`` pointing at the offending node; the caller maps the path to
file/line/column. Checks are dispatched on the exact (apiVersion, kind), so a document
only pays for the checks that apply to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubepush.model import Finding

from .apis import check_api_version, diagnose_unknown
from .base import Emitter, Path, Rule
from .duplicates import DuplicateTracker
from .kinds import KIND_CHECKS
from .listmaps import check_list_maps
from .names import check_metadata
from .rollout import check_rollout

__all__ = ["RULES", "Rule", "check_document", "DuplicateTracker", "diagnose_unknown", "DEFAULT_ENABLED"]

RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in [
        Rule(
            "removed-api",
            "apiVersion no longer served by the target Kubernetes version",
            "The API server answers 'no matches for kind' for an apiVersion removed in the target "
            "Kubernetes version. Change apiVersion to the replacement named in the message and check the "
            "Deprecated API Migration Guide for field changes.",
        ),
        Rule(
            "deprecated-api",
            "apiVersion deprecated in the target Kubernetes version",
            "The apiVersion still works but is deprecated and will be removed in the version named in the "
            "message; migrate before upgrading the cluster.",
        ),
        Rule(
            "unknown-api-version",
            "apiVersion or kind that no Kubernetes version serves (typo, wrong case)",
            "A built-in kind under an apiVersion that does not exist (app/v1 instead of apps/v1), or a kind "
            "spelled in the wrong case (ApiService instead of APIService). Kinds and apiVersions are "
            "case-sensitive.",
        ),
        Rule(
            "duplicate-resource",
            "the same object (group, kind, namespace, name) defined more than once",
            "Applying both copies keeps only the later one. Objects without metadata.namespace share one "
            "namespace at apply time. Remove one copy or rename it.",
        ),
        Rule(
            "duplicate-list-key",
            "two entries with the same key in a list-map (env names, container names, ports, volumes, ...)",
            "Lists marked x-kubernetes-list-type: map are keyed (env by name, container ports by "
            "containerPort+protocol, protocol defaulting to TCP). Duplicates are rejected by server-side "
            "apply and by the API server for many lists; elsewhere the later entry silently hides the earlier.",
        ),
        Rule(
            "missing-name",
            "metadata.name missing (and no generateName)",
            "The OpenAPI schema does not require metadata.name, but the API server does unless "
            "metadata.generateName is set.",
        ),
        Rule(
            "invalid-name",
            "object, namespace, container or volume name the API server rejects",
            "Most names must be RFC 1123 subdomains (lowercase alphanumerics, '-', '.'); Namespaces, "
            "containers and volumes RFC 1123 labels; Services RFC 1035 labels (start with a letter, no '.'); "
            "CronJob names at most 52 characters.",
        ),
        Rule(
            "invalid-label",
            "label key or value the API server rejects",
            "Label keys are qualified names ([DNS-subdomain prefix/]name, name at most 63 characters of "
            "alphanumerics, '-', '_', '.'); values at most 63 such characters, starting and ending "
            "alphanumeric, or empty. Applies to metadata.labels, template labels and selectors.",
        ),
        Rule(
            "invalid-annotation",
            "annotation key the API server rejects, or annotations over 256 KiB",
            "Annotation keys are qualified names like label keys; all annotations of an object together "
            "must fit in 262144 bytes.",
        ),
        Rule(
            "invalid-enum",
            "value outside the set the API server accepts (imagePullPolicy, restartPolicy, protocol, ...)",
            "Enumerated fields are case-sensitive: IfNotPresent, not ifNotPresent. The message lists the "
            "supported values as the API server would. Also covers restartPolicy rules of controllers "
            "(Always only) and Jobs (OnFailure or Never, required) and label selector operators.",
        ),
        Rule(
            "invalid-quantity",
            "resource quantity that does not parse (1GB, 1.5.0) or is negative",
            "Quantities use SI (100m, 1k, 1M, 1G) or binary (1Ki, 1Mi, 1Gi) suffixes or an exponent (1e3). "
            "'GB', 'Gb' or 'K' are not Kubernetes suffixes. A memory value with 'm' means millibytes and is "
            "reported as a warning.",
        ),
        Rule(
            "requests-exceed-limits",
            "a resource request larger than its limit",
            "The API server rejects a container whose request for a resource exceeds its limit.",
        ),
        Rule(
            "invalid-port",
            "port number outside 1-65535, invalid port name, NodePort misuse, unnamed Service ports",
            "Ports are 1-65535; named ports are IANA service names (at most 15 lowercase alphanumerics and "
            "'-', with a letter). A Service with several ports must name each. nodePort needs type "
            "NodePort/LoadBalancer and is warned about outside the default range 30000-32767.",
        ),
        Rule(
            "invalid-int-or-percent",
            "rollout or disruption budget that is neither a non-negative integer nor a percentage",
            "maxSurge, maxUnavailable and minAvailable take an integer (2) or a percentage string ('25%'). "
            "A quoted number ('25') is a string without '%' and is rejected; percentages of pods that may be "
            "unavailable cannot exceed 100%, and maxSurge and maxUnavailable cannot both be 0.",
        ),
        Rule(
            "missing-image",
            "container without image in a Pod or workload template",
            "The OpenAPI schema marks image optional (for higher-level tools), but the API server "
            'rejects a Pod or workload whose container has no image ("Required value").',
        ),
        Rule(
            "invalid-rollout-annotation",
            "a wave, hook or hook delete policy annotation kubepush cannot read",
            "kubepush.dev/wave (or argocd.argoproj.io/sync-wave) is an integer; kubepush.dev/hook is pre-apply, "
            "apply, post-apply or on-failure (argocd.argoproj.io/hook PreSync, Sync, PostSync, SyncFail or Skip); "
            "the delete policy is before-creation, on-success or on-failure (Argo CD's BeforeHookCreation, "
            "HookSucceeded, HookFailed). kubepush apply refuses the target until it is fixed.",
        ),
        Rule(
            "selector-mismatch",
            "controller selector that does not select its own pod template (or is empty)",
            "spec.selector of a Deployment, ReplicaSet, DaemonSet, StatefulSet, ReplicationController or "
            "Job (with manualSelector) must match spec.template.metadata.labels; apps/v1 controllers "
            "reject an empty selector, and Jobs reject a selector unless manualSelector is true.",
        ),
    ]
}
DEFAULT_ENABLED: frozenset[str] = frozenset(rule.id for rule in RULES.values() if rule.default_enabled)

Check = Callable[[dict[str, Any], Emitter], None]
#: Which rule ids each check can emit: a check runs only if one of them is enabled.
_EMITS: dict[Check, frozenset[str]] = {
    check_api_version: frozenset({"removed-api", "deprecated-api"}),
    check_metadata: frozenset({"missing-name", "invalid-name", "invalid-label", "invalid-annotation"}),
    check_list_maps: frozenset({"duplicate-list-key"}),
    check_rollout: frozenset({"invalid-rollout-annotation"}),
}
_KIND_RULES = frozenset(
    {
        "invalid-enum",
        "invalid-quantity",
        "requests-exceed-limits",
        "invalid-port",
        "missing-image",
        "selector-mismatch",
        "invalid-name",
        "invalid-label",
        "invalid-int-or-percent",
    }
)
_PLANS: dict[tuple[object, ...], tuple[Check, ...]] = {}
_MAX_PLANS = 10_000


def _plan(api_version: object, kind: object, enabled: frozenset[str]) -> tuple[Check, ...]:
    """The checks to run for one (apiVersion, kind) with these rules enabled (cached)."""
    key = (api_version, kind, enabled)
    plan = _PLANS.get(key)
    if plan is None:
        candidates: list[Check] = [check_api_version, check_metadata, check_list_maps, check_rollout]
        if (api_version, kind) in KIND_CHECKS:
            candidate = KIND_CHECKS[(api_version, kind)]  # type: ignore[index]
            candidates.append(candidate)
        plan = tuple(c for c in candidates if _EMITS.get(c, _KIND_RULES) & enabled)
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


def check_document(
    doc: dict[str, Any],
    *,
    kubernetes_version: tuple[int, int],
    enabled: frozenset[str] = DEFAULT_ENABLED,
) -> list[Finding]:
    """Run the per-document rules on one parsed document.

    ``kubernetes_version`` is the target (major, minor) for deprecated/removed APIs;
    ``enabled`` the rule ids to report (see :data:`RULES`). A document without a string
    apiVersion and kind gets no findings here: the schema layer reports that. Kubernetes
    ``List`` documents (``kind: List``, ``RoleList``...) are checked item by item, with
    paths under ``items``.
    """
    return _check(doc, kubernetes_version, enabled, ())


def _check(doc: object, version: tuple[int, int], enabled: frozenset[str], prefix: Path) -> list[Finding]:
    if type(doc) is not dict:
        return []
    api_version = doc.get("apiVersion")
    kind = doc.get("kind")
    if type(api_version) is not str or type(kind) is not str:
        return []
    out = Emitter(doc, enabled, version, prefix)
    items = doc.get("items")
    if kind.endswith("List") and type(items) is list:
        if "removed-api" in enabled or "deprecated-api" in enabled:
            check_api_version(doc, out)
        for i, item in enumerate(items):
            out.findings += _check(item, version, enabled, prefix + ("items", i))
        return out.findings
    for check in _plan(api_version, kind, enabled):
        check(doc, out)
    return out.findings
