"""The changes a reviewer must not miss, found before the merge: what the API server will refuse,
and what destroys state. Each is a finding at the field's ``file:line`` in the head (in the base for
what is deleted), so SARIF, annotations and code quality show it on the pull request (pure).

Which fields are immutable follows the API server's update validation
(kubernetes/kubernetes ``pkg/apis/apps/validation/validation.go``: ``ValidateDeploymentUpdate`` /
``ValidateDaemonSetUpdate`` / ``ValidateReplicaSetUpdate`` keep ``spec.selector``,
``ValidateStatefulSetUpdate`` allows only replicas, ordinals, template, updateStrategy,
persistentVolumeClaimRetentionPolicy and minReadySeconds to change; ``pkg/apis/batch/validation``:
a Job's ``spec.selector`` and ``spec.template`` (but its scheduling directives of a suspended Job);
``pkg/apis/core/validation``: ``ValidateServiceUpdate`` keeps a set ``clusterIP``,
``ValidatePersistentVolumeClaimUpdate`` keeps ``storageClassName`` and refuses to shrink
``resources.requests.storage``, ``ValidateConfigMapUpdate`` / ``ValidateSecretUpdate`` refuse any data
change of an ``immutable: true`` object; ``apiextensions-apiserver``'s CRD update validation refuses
to drop a version that is in ``status.storedVersions``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from kubepush.cluster.compare.fields import ABSENT, Path, get
from kubepush.model import CONFIGURE, PRUNE, RENAME, Finding, ObjectDiff, Severity, format_path
from kubepush.preview.compare import Key, Placed, Pruning

IMMUTABLE, DELETES_STATE, SCALE_TO_ZERO, IMAGE_DOWNGRADE, CRD_VERSION = (
    "immutable-field", "deletes-state", "scale-to-zero", "image-downgrade", "crd-version-removed")

#: rule id -> (description, help), shown as the validate rules are (SARIF, docs/preview.md)
RULES: dict[str, tuple[str, str]] = {rule: (description, text) for rule, description, text in [
    (IMMUTABLE, "a change the API server refuses: the field is immutable",
         "Deployment, DaemonSet and ReplicaSet selectors, most of a StatefulSet's spec (volumeClaimTemplates, "
         "serviceName, ...), a Job's template and selector, a Service's set clusterIP, a PVC's storageClassName "
         "or a smaller storage request, and the data of an immutable ConfigMap or Secret cannot change in place. "
         "An apply fails on them unless the object is re-created (kubepush.dev/recreate: \"true\" or the target's "
         "recreate: true), which deletes it first."),
    (DELETES_STATE, "an apply deletes a Namespace, CRD or PersistentVolumeClaim",
         "Pruning a Namespace deletes everything in it, a CustomResourceDefinition every custom resource of it, a "
         "PersistentVolumeClaim (or renaming one) its volume's data under the usual Delete reclaim policy."),
    (SCALE_TO_ZERO, "replicas go to 0", "The workload stops serving once the change is applied."),
    (IMAGE_DOWNGRADE, "an image tag goes backwards by semver",
         "Often a merge that reverted a bump by accident; a downgrade across a schema migration may not start."),
    (CRD_VERSION, "a CRD version is removed (or no longer served)",
         "Objects in Git that still use it fail to apply, and the API server refuses to drop a version that "
         "stored objects still have (status.storedVersions): migrate them first."),
]}

_SELECTOR_KINDS = frozenset({"Deployment", "DaemonSet", "ReplicaSet"})
_STATEFULSET_MUTABLE = frozenset({"replicas", "ordinals", "template", "updateStrategy",
                                  "persistentVolumeClaimRetentionPolicy", "minReadySeconds"})
_SCALABLE = frozenset({"Deployment", "StatefulSet", "ReplicaSet"})
_STATEFUL = {"Namespace": "everything in it", "CustomResourceDefinition": "every custom resource of it",
             "PersistentVolumeClaim": "its volume's data (with the usual Delete reclaim policy)"}


def find(diffs: Iterable[ObjectDiff], base: Mapping[Key, Placed], head: Mapping[Key, Placed], pruning: Pruning,
         recreate: bool, uses: Mapping[tuple[str, str], list[Placed]]) -> list[Finding]:
    """The risky changes among one target's ``diffs``; ``uses`` is every head object by (group, kind),
    of every target, for the CRD versions still in use."""
    out: list[Finding] = []
    for diff in diffs:
        key = _key(diff.ref)
        old = base.get(_key(diff.before)) if diff.before is not None else base.get(key)
        new = head.get(key)
        if diff.action == PRUNE and old is not None and pruning.prunes(old.obj):
            out += _deleted(diff, old)
        elif diff.action == RENAME and old is not None and new is not None:
            out += _deleted(diff, old, renamed=True) if pruning.prunes(old.obj) else []
        elif diff.action == CONFIGURE and old is not None and new is not None:
            out += _immutable(diff, old, new, recreate)
            out += _scaled_to_zero(diff, old, new)
            out += _downgrades(diff, old, new)
            if old.obj.get("kind") == "CustomResourceDefinition":
                out += _crd_versions(diff, old, new, uses)
    return out


def _key(ref: Any) -> Key:
    group = ref.api_version.rpartition("/")[0] if "/" in ref.api_version else ""
    return (group, ref.kind, ref.namespace, ref.name)


def _finding(rule: str, severity: Severity, diff: ObjectDiff, where: Placed, path: Path, message: str,
             hint: str = "") -> Finding:
    return Finding(rule=rule, message=f"[{diff.target}] {message}", severity=severity, file=where.file,
                   line=where.locate(path), document=where.document, object=diff.ref, path=path, hint=hint,
                   targets=(diff.target,))


def _deleted(diff: ObjectDiff, old: Placed, renamed: bool = False) -> list[Finding]:
    kind = old.obj.get("kind", "")
    if kind not in _STATEFUL:
        return []
    how = f"renaming it to {diff.ref.name} deletes" if renamed else "an apply deletes"
    return [_finding(DELETES_STATE, Severity.WARNING, diff, old, (),
                     f"{kind} {old.ref.name}: {how} it, and with it {_STATEFUL[kind]}",
                     "keep it in Git, or switch prune off for it, unless deleting it is the point")]


def _changed(old: Placed, new: Placed, path: Path) -> bool:
    return bool(get(old.obj, path) != get(new.obj, path))


def _immutable(diff: ObjectDiff, old: Placed, new: Placed, recreate: bool) -> list[Finding]:
    kind = new.obj.get("kind")
    paths: list[Path] = []
    if kind in _SELECTOR_KINDS and new.obj.get("apiVersion", "").startswith("apps/"):
        paths = [("spec", "selector")]
    elif kind == "StatefulSet":
        spec_old, spec_new = old.obj.get("spec") or {}, new.obj.get("spec") or {}
        paths = [("spec", k) for k in sorted(set(spec_old) | set(spec_new)) if k not in _STATEFULSET_MUTABLE]
    elif kind == "Job":
        paths = [("spec", "selector"), ("spec", "template")]
    elif kind == "Service":
        paths = _service(old, new)
    elif kind == "PersistentVolumeClaim":
        paths = [("spec", "storageClassName")] + _shrunk(old, new)
    elif kind in ("ConfigMap", "Secret") and old.obj.get("immutable") is True:
        paths = [(k,) for k in ("data", "binaryData", "stringData", "immutable")]
    out = []
    for path in paths:
        if not _changed(old, new, path):
            continue
        opted = recreate or ((new.obj.get("metadata") or {}).get("annotations") or {}).get(
            "kubepush.dev/recreate") == "true"
        if opted:
            out.append(_finding(IMMUTABLE, Severity.WARNING, diff, new, path,
                                f"{format_path(path)} of {diff.ref} is immutable: the apply deletes and re-creates "
                                "the object (recreate is on)"))
        else:
            out.append(_finding(IMMUTABLE, Severity.ERROR, diff, new, path,
                                f"{format_path(path)} of {diff.ref} is immutable: the API server will refuse this "
                                "change", "re-create the object (annotate it kubepush.dev/recreate: \"true\", or "
                                "recreate: true for the target) or give the new object a new name"))
    return out


def _service(old: Placed, new: Placed) -> list[Path]:
    """A set clusterIP cannot change; an ExternalName Service has none (so a type change to it that keeps one fails)."""
    ip_old, ip_new = get(old.obj, ("spec", "clusterIP")), get(new.obj, ("spec", "clusterIP"))
    paths: list[Path] = []
    if ip_old not in (ABSENT, "", None) and ip_new not in (ABSENT, "", None) and ip_old != ip_new:
        paths.append(("spec", "clusterIP"))
    if (get(new.obj, ("spec", "type")) == "ExternalName" and get(old.obj, ("spec", "type")) != "ExternalName"
            and ip_new not in (ABSENT, "", None)):
        paths.append(("spec", "type"))
    return paths


def _shrunk(old: Placed, new: Placed) -> list[Path]:
    from kubepush.validate.rules.quantity import parse_quantity

    path: Path = ("spec", "resources", "requests", "storage")
    a, b = parse_quantity(get(old.obj, path)), parse_quantity(get(new.obj, path))
    return [path] if isinstance(a, Decimal) and isinstance(b, Decimal) and b < a else []


def _scaled_to_zero(diff: ObjectDiff, old: Placed, new: Placed) -> list[Finding]:
    if new.obj.get("kind") not in _SCALABLE:
        return []
    before, after = get(old.obj, ("spec", "replicas")), get(new.obj, ("spec", "replicas"))
    if after == 0 and after is not False and before != 0:
        shown = 1 if before is ABSENT else before
        return [_finding(SCALE_TO_ZERO, Severity.WARNING, diff, new, ("spec", "replicas"),
                         f"{diff.ref} scales from {shown} to 0 replicas: it stops serving")]
    return []


def _downgrades(diff: ObjectDiff, old: Placed, new: Placed) -> list[Finding]:
    out = []
    before = dict(_images(old.obj))
    for path, image in _images(new.obj):
        was = before.get(path)
        if was is None or was == image:
            continue
        older = _older(was, image)
        if older:
            out.append(_finding(IMAGE_DOWNGRADE, Severity.WARNING, diff, new, path,
                                f"{format_path(path)} goes back from {older[0]} to {older[1]}",
                                "if a merge brought the old tag back by accident, take the newer one"))
    return out


def _images(obj: dict[str, Any]) -> list[tuple[Path, str]]:
    """(path of ``image``, reference) of every container of a pod template (or a Pod), keyed by container name."""
    spec = obj.get("spec") or {}
    for where in (("template", "spec"), ("jobTemplate", "spec", "template", "spec"), ()):
        pod = get(spec, where) if where else spec
        if isinstance(pod, dict) and ("containers" in pod or "initContainers" in pod):
            break
    else:
        return []
    out = []
    for field in ("initContainers", "containers"):
        for i, container in enumerate(pod.get(field) or []):
            if isinstance(container, dict) and isinstance(container.get("image"), str):
                out.append((("spec", *where, field, i, "image"), container["image"]))
    return out


def _older(was: str, now: str) -> tuple[str, str] | None:
    """(old tag, new tag) when ``now`` is the same repository at a lower semver tag."""
    import semver

    from kubepush.images.reference import InvalidReference, parse_reference

    try:
        a, b = parse_reference(was), parse_reference(now)
    except InvalidReference:
        return None
    if not (a.same_repository(b) and a.tag and b.tag) or a.tag[:1] == "v" and b.tag[:1] != "v":
        return None
    try:
        va, vb = (semver.Version.parse(t.removeprefix("v"), optional_minor_and_patch=True) for t in (a.tag, b.tag))
    except ValueError:
        return None
    return (a.tag, b.tag) if vb < va else None


def _crd_versions(diff: ObjectDiff, old: Placed, new: Placed, uses: Mapping[tuple[str, str], list[Placed]]
                  ) -> list[Finding]:
    def served(obj: dict[str, Any]) -> set[str]:
        versions = get(obj, ("spec", "versions"))
        return {v["name"] for v in versions if isinstance(v, dict) and isinstance(v.get("name"), str)
                and v.get("served", True) is not False} if isinstance(versions, list) else set()

    group, kind = get(new.obj, ("spec", "group")), get(new.obj, ("spec", "names", "kind"))
    out = []
    for version in sorted(served(old.obj) - served(new.obj)):
        users = [p for p in uses.get((str(group), str(kind)), []) if p.obj.get("apiVersion") == f"{group}/{version}"]
        if users:
            first = users[0]
            out.append(_finding(CRD_VERSION, Severity.ERROR, diff, new, ("spec", "versions"),
                                f"{group}/{version} is no longer served by {diff.ref.name}, but {len(users)} "
                                f"object{'s' if len(users) != 1 else ''} in Git still use it ({first.ref} in "
                                f"{first.file}:{first.line})", f"move them to another version of {kind} first"))
        else:
            out.append(_finding(CRD_VERSION, Severity.WARNING, diff, new, ("spec", "versions"),
                                f"{group}/{version} is no longer served by {diff.ref.name}: objects stored at it "
                                "in the cluster must be migrated first, and the API server refuses to remove a "
                                "version still in status.storedVersions"))
    return out
