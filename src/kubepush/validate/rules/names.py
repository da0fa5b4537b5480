"""missing-name / invalid-name / invalid-label / invalid-annotation: object metadata.

Regexes, limits and messages follow k8s.io/apimachinery/pkg/util/validation, so a
finding reads like the API server's rejection. Which name rule applies depends on
the kind (``ValidateObjectMeta``'s name function in each API group's validation).
Checking label keys and values is memoised: the same few label keys appear in
nearly every document.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kubepush import lazy_re

from .base import Emitter, Path, memoize

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = lazy_re.compile(_LABEL)
_DNS1123_SUBDOMAIN = lazy_re.compile(rf"{_LABEL}(\.{_LABEL})*")
_DNS1035_LABEL = lazy_re.compile("[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = lazy_re.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = lazy_re.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")

MSG_DNS1123_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc')"
)
MSG_DNS1123_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com')"
)
MSG_DNS1035_LABEL = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123')"
)
MSG_QUALIFIED_NAME = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc')"
)
MSG_LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345')"
)
TOTAL_ANNOTATION_SIZE = 256 * 1024


@memoize
def dns1123_label(value: str) -> tuple[str, ...]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.fullmatch(value):
        errs.append(MSG_DNS1123_LABEL)
    return tuple(errs)


@memoize
def dns1123_subdomain(value: str) -> tuple[str, ...]:
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        errs.append(MSG_DNS1123_SUBDOMAIN)
    return tuple(errs)


@memoize
def dns1035_label(value: str) -> tuple[str, ...]:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _DNS1035_LABEL.fullmatch(value):
        errs.append(MSG_DNS1035_LABEL)
    return tuple(errs)


@memoize
def path_segment(value: str) -> tuple[str, ...]:
    """The loosest name rule (RBAC objects, custom resources): it becomes one URL path segment."""
    if value in (".", ".."):
        return (f"may not be '{value}'",)
    return tuple(f"may not contain '{c}'" for c in "/%" if c in value)


@memoize
def _cronjob_name(value: str) -> tuple[str, ...]:
    # The controller appends an 11-character suffix to create Job names (a 63-char label).
    errs = list(dns1123_subdomain(value))
    if len(value) > 52:
        errs.append("must be no more than 52 characters")
    return tuple(errs)


#: (group, kind) -> name rule; anything else (custom resources included) gets path_segment.
_NAME_RULES: dict[tuple[str, object], Callable[[str], tuple[str, ...]]] = {
    ("", "Service"): dns1035_label,
    ("", "Namespace"): dns1123_label,
    ("batch", "CronJob"): _cronjob_name,
    **{
        key: dns1123_subdomain
        for key in [
            ("", "Pod"),
            ("", "PodTemplate"),
            ("", "ConfigMap"),
            ("", "Secret"),
            ("", "ServiceAccount"),
            ("", "ReplicationController"),
            ("", "PersistentVolumeClaim"),
            ("", "Endpoints"),
            ("", "LimitRange"),
            ("", "ResourceQuota"),
            ("", "Node"),
            ("apps", "Deployment"),
            ("apps", "StatefulSet"),
            ("apps", "DaemonSet"),
            ("apps", "ReplicaSet"),
            ("batch", "Job"),
            ("autoscaling", "HorizontalPodAutoscaler"),
            ("policy", "PodDisruptionBudget"),
            ("networking.k8s.io", "Ingress"),
            ("networking.k8s.io", "IngressClass"),
            ("networking.k8s.io", "NetworkPolicy"),
            ("storage.k8s.io", "StorageClass"),
            ("storage.k8s.io", "CSIDriver"),
            ("scheduling.k8s.io", "PriorityClass"),
            ("node.k8s.io", "RuntimeClass"),
            ("coordination.k8s.io", "Lease"),
            ("discovery.k8s.io", "EndpointSlice"),
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
            ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
            ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ]
    },
}
#: Groups of client-side configuration documents that are never sent to the API server.
_CLIENT_SIDE_GROUPS = frozenset({"kustomize.config.k8s.io", "config.kubernetes.io", "kind.x-k8s.io"})


def group_of(api_version: object) -> str:
    if type(api_version) is not str or "/" not in api_version:
        return ""
    return api_version.split("/", 1)[0]


def is_client_side_config(api_version: object) -> bool:
    """Kustomize/kpt/kind configuration (``builtin`` is kustomize's transformer apiVersion)."""
    return api_version == "builtin" or group_of(api_version) in _CLIENT_SIDE_GROUPS


def check_metadata(doc: dict[str, Any], out: Emitter) -> None:
    """metadata.name (required, kind-specific syntax), namespace, labels and annotations."""
    if is_client_side_config(doc.get("apiVersion")):
        return
    group = group_of(doc.get("apiVersion"))
    meta = doc.get("metadata")
    kind = doc.get("kind")
    if type(meta) is not dict:
        if meta is None:
            _missing_name(out, ())
        return
    name = meta.get("name")
    if name is None or name == "":
        if not meta.get("generateName"):
            _missing_name(out, ("metadata",))
    elif type(name) is str:
        errs = _NAME_RULES.get((group, kind), path_segment)(name)
        if errs:
            out.add(
                "invalid-name",
                ("metadata", "name"),
                f'metadata.name: Invalid value: "{name}": {"; ".join(errs)}',
                _name_hint(name, kind),
            )
    namespace = meta.get("namespace")
    if type(namespace) is str and namespace:
        errs = dns1123_label(namespace)
        if errs:
            out.add(
                "invalid-name",
                ("metadata", "namespace"),
                f'metadata.namespace: Invalid value: "{namespace}": {"; ".join(errs)}',
                _name_hint(namespace, "Namespace"),
            )
    check_labels(out, meta.get("labels"), ("metadata", "labels"))
    check_annotations(out, meta.get("annotations"), ("metadata", "annotations"))


def _missing_name(out: Emitter, path: Path) -> None:
    out.add(
        "missing-name",
        path,
        "metadata.name: Required value: name or generateName is required",
        "add metadata.name; the OpenAPI schema does not mark it required, but the API server does",
    )


def _name_hint(name: str, kind: object) -> str:
    fixed = re.sub(r"[^a-z0-9.-]+", "-", name.lower()).strip("-.")
    if kind in ("Service", "Namespace"):
        fixed = fixed.replace(".", "-")
    if fixed and fixed != name:
        return f'for example "{fixed[:63]}"'
    return ""


@memoize
def qualified_name_error(key: str) -> str | None:
    """Why ``key`` is not a valid label/annotation key (``[prefix/]name``), or None."""
    prefix, slash, name = key.rpartition("/")
    errs = []
    if slash:
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + e for e in dns1123_subdomain(prefix)]
    if not name:
        errs.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errs.append("name part must be no more than 63 characters")
        if not _QUALIFIED_NAME.fullmatch(name):
            errs.append(MSG_QUALIFIED_NAME)
    if prefix.count("/"):
        errs = [
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character, with an optional DNS subdomain prefix and '/' "
            "(e.g. 'MyName',  or 'my.name',  or '123-abc', or 'example.com/MyName')"
        ]
    return "; ".join(errs) or None


@memoize
def label_value_error(value: str) -> str | None:
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _LABEL_VALUE.fullmatch(value):
        errs.append(MSG_LABEL_VALUE)
    return "; ".join(errs) or None


#: (key, value) label pairs already found valid: the same few pairs repeat in the metadata,
#: selector and template of nearly every workload, and one set lookup beats two checks.
_VALID_LABELS: set[tuple[object, object]] = set()


def check_labels(out: Emitter, labels: object, path: Path) -> None:
    """Label keys are qualified names, values label values (non-strings: the schema's job)."""
    if type(labels) is not dict:
        return
    for pair in labels.items():
        try:
            if pair in _VALID_LABELS:
                continue
        except TypeError:  # an unhashable value (a list where a string belongs): the schema's finding
            continue
        key, value = pair
        if _label_errors(out, key, value, path) or type(key) is not str or type(value) is not str:
            continue
        if len(_VALID_LABELS) > 50_000:
            _VALID_LABELS.clear()
        _VALID_LABELS.add(pair)


def _label_errors(out: Emitter, key: object, value: object, path: Path) -> bool:
    """Report what is wrong with one label; True if anything was."""
    found = False
    if type(key) is str:
        err = qualified_name_error(key)
        if err:
            found = True
            out.add("invalid-label", path + (key,), f'label key "{key}": {err}')
    if type(value) is str and value:
        err = label_value_error(value)
        if err:
            found = True
            # a key YAML read as a number or boolean is still where the finding points
            out.add("invalid-label", path + (key,), f'label value "{value}" of "{key}": {err}')  # type: ignore[operator]
    return found


def check_annotations(out: Emitter, annotations: object, path: Path) -> None:
    """Annotation keys are qualified names (checked lower-cased); all of them fit in 256 KiB."""
    if type(annotations) is not dict:
        return
    size = 0
    for key, value in annotations.items():
        if type(key) is not str:
            continue
        err = qualified_name_error(key.lower())
        if err:
            out.add("invalid-annotation", path + (key,), f'annotation key "{key}": {err}')
        size += len(key) + (len(value) if type(value) is str else 0)
    if size > TOTAL_ANNOTATION_SIZE // 4:  # characters may be up to 4 bytes: count exactly
        size = sum(
            len(k.encode()) + (len(v.encode()) if type(v) is str else 0)
            for k, v in annotations.items()
            if type(k) is str
        )
    if size > TOTAL_ANNOTATION_SIZE:
        out.add(
            "invalid-annotation",
            path,
            f"annotations: Too long: must have at most {TOTAL_ANNOTATION_SIZE} bytes (has {size})",
            "large annotations usually come from client-side apply's last-applied-configuration: "
            "use server-side apply, or move the data into a ConfigMap",
        )


def check_dns_label(out: Emitter, value: object, path: Path, what: str) -> None:
    """A container or volume name: an RFC 1123 label."""
    if type(value) is str and value:
        errs = dns1123_label(value)
        if errs:
            out.add(
                "invalid-name",
                path,
                f'{what}: Invalid value: "{value}": {"; ".join(errs)}',
                _name_hint(value, "Service"),
            )
