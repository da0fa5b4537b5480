"""deprecated-api / removed-api / unknown-api-version: is this apiVersion served at all?

Deprecations come from the data table in :mod:`.deprecations`; what exists at all comes
from the OpenAPI definitions (:mod:`.schema_index`), so typos and wrong-case kinds can
be told apart from custom resources.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any

from kubepush.model import Finding

from .base import Emitter, Severity
from .deprecations import DEPRECATIONS, Deprecation
from .names import group_of, is_client_side_config
from .schema_index import served_apis

_BY_API_KIND: dict[tuple[str, str], Deprecation] = {
    (entry.api_version, kind): entry for entry in DEPRECATIONS for kind in entry.kinds
}


def _version(v: tuple[int, int]) -> str:
    return f"{v[0]}.{v[1]}"


def check_api_version(doc: dict[str, Any], out: Emitter) -> None:
    """Removed (error) or deprecated-but-served (warning) for the target Kubernetes version."""
    try:
        entry = _BY_API_KIND.get((doc.get("apiVersion"), doc.get("kind")))  # type: ignore[arg-type]
    except TypeError:  # unhashable apiVersion/kind: the schema layer reports the type
        return
    if entry is None:
        return
    target = out.kubernetes_version
    api = f"{entry.api_version} {doc['kind']}"
    if entry.replacement:
        use = f"use {entry.replacement}" + (f" {entry.replacement_kind}" if entry.replacement_kind else "")
    else:
        use = entry.note
    hint = entry.note if entry.replacement and entry.note else ""
    if entry.removed is not None and target >= entry.removed:
        out.add(
            "removed-api",
            ("apiVersion",),
            f"{api} was removed in Kubernetes {_version(entry.removed)}; {use}",
            hint
            or f"the target is Kubernetes {_version(target)}: the API server answers "
            f'"no matches for kind" for this apiVersion',
        )
    elif target >= entry.deprecated:
        removal = f" and will be removed in {_version(entry.removed)}" if entry.removed is not None else ""
        out.add(
            "deprecated-api",
            ("apiVersion",),
            f"{api} is deprecated since Kubernetes {_version(entry.deprecated)}{removal}; {use}",
            hint,
            Severity.WARNING,
        )


@functools.cache
def _known() -> tuple[frozenset[tuple[str, str]], dict[str, list[str]], dict[str, str], frozenset[str]]:
    """Known (apiVersion, kind) pairs; kind -> served apiVersions; lower-case kind -> kind; groups."""
    served = served_apis() | {("v1", "List")}
    api_versions_by_kind: dict[str, list[str]] = {}
    for api_version, kind in sorted(served, key=lambda ak: _stability(ak[0])):
        api_versions_by_kind.setdefault(kind, []).append(api_version)
    known = served | frozenset(_BY_API_KIND)
    kinds_by_lower = {kind.lower(): kind for _, kind in known}
    groups = frozenset(group_of(api_version) for api_version, _ in known)
    return known, api_versions_by_kind, kinds_by_lower, groups


def _stability(api_version: str) -> tuple[int, int, str]:
    """Sort key putting GA versions first, then beta, then alpha (newest first within each)."""
    version = api_version.rsplit("/", 1)[-1]
    level = 2 if "alpha" in version else 1 if "beta" in version else 0
    digits = [int(part) for part in "".join(c if c.isdigit() else " " for c in version).split()] or [0]
    return level, -digits[0], version


def diagnose_unknown(api_version: str, kind: str) -> Finding | None:
    """Explain an (apiVersion, kind) the schema layer found no schema for, if it is a mistake.

    Returns a finding for a built-in kind under a non-existent apiVersion (``app/v1``
    Deployment), a built-in kind spelled in the wrong case (``ApiService``) or an
    unknown kind in a built-in group; None for known built-in APIs (removed and
    deprecated ones are reported by :func:`check_document`) and for anything that may
    be a custom resource. Like file and line, ``object`` is left for the caller to fill
    in from the document (which it has and this function does not).
    """
    if type(api_version) is not str or type(kind) is not str or is_client_side_config(api_version):
        return None
    known, api_versions_by_kind, kinds_by_lower, groups = _known()
    if (api_version, kind) in known:
        return None
    group = group_of(api_version)
    if kind in api_versions_by_kind:
        # CRD groups must contain a dot, so a dot-less group that is not built in cannot exist;
        # a dotted one close to a built-in group is a typo, any other may be a CRD reusing a
        # built-in kind name (Knative's serving.knative.dev/v1 Service).
        if group not in groups and "." in group and not difflib.get_close_matches(group, groups, n=1, cutoff=0.8):
            return None
        choices = api_versions_by_kind[kind]
        guess = difflib.get_close_matches(api_version, choices, n=1, cutoff=0.6)
        best = guess[0] if guess else choices[0]
        return Finding(
            rule="unknown-api-version",
            message=f"unknown apiVersion {api_version} for kind {kind} (did you mean {best}?)",
            hint=f"{kind} is served as {', '.join(choices)}",
            path=("apiVersion",),
        )
    if group not in groups:
        return None
    proper = kinds_by_lower.get(kind.lower())
    if proper is not None:
        return Finding(
            rule="unknown-api-version",
            message=f"unknown kind {kind} in {api_version} (kinds are case-sensitive: {proper})",
            hint=f"write kind: {proper}",
            path=("kind",),
        )
    kinds_here = sorted(k for a, k in known if a == api_version)
    if not kinds_here:
        versions = sorted({a for a, _ in known if group_of(a) == group}, key=_stability)
        return Finding(
            rule="unknown-api-version",
            message=f"unknown apiVersion {api_version} (the {group or 'core'} API group serves "
            f"{', '.join(versions) or 'no such version'})",
            path=("apiVersion",),
        )
    close = difflib.get_close_matches(kind, kinds_here, n=1, cutoff=0.6)
    return Finding(
        rule="unknown-api-version",
        message=f"unknown kind {kind} in {api_version}" + (f" (did you mean {close[0]}?)" if close else ""),
        hint=f"{api_version} serves {', '.join(kinds_here)}",
        path=("kind",),
    )
