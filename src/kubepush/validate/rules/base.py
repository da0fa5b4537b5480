"""Shared plumbing for the rules: the rule metadata record and the per-document emitter.

Rules are plain functions ``check(doc, out)``; they never build a :class:`Finding`
themselves. The :class:`Emitter` does, so that the object reference is computed once
and only when something is actually wrong (most documents are clean, and the rules
must stay in the microsecond range per document).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from kubepush.manifests.documents import object_ref
from kubepush.model import Finding, ObjectRef, Severity

__all__ = ["Emitter", "Path", "Rule", "Severity", "check_enum", "enum_finding", "memoize", "quote_list"]

T = TypeVar("T")
#: Where a finding points inside a document: keys and list indexes from the root.
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """Metadata for one rule id, as reporters (SARIF rule descriptors, --list-rules) need it."""

    id: str
    description: str
    help: str
    default_enabled: bool = True


class Emitter:
    """Collects findings for one document, dropping those of disabled rules."""

    __slots__ = ("doc", "enabled", "kubernetes_version", "findings", "prefix", "_ref")

    def __init__(
        self,
        doc: dict[str, Any],
        enabled: frozenset[str],
        kubernetes_version: tuple[int, int],
        prefix: Path = (),
    ) -> None:
        self.doc = doc
        self.enabled = enabled
        self.kubernetes_version = kubernetes_version
        self.findings: list[Finding] = []
        self.prefix = prefix
        self._ref: ObjectRef | None = None

    def add(
        self,
        rule: str,
        path: Path,
        message: str,
        hint: str = "",
        severity: Severity = Severity.ERROR,
    ) -> None:
        if rule not in self.enabled:
            return
        if self._ref is None:
            self._ref = object_ref(self.doc)
        self.findings.append(
            Finding(
                rule=rule,
                message=message,
                severity=severity,
                object=self._ref,
                path=self.prefix + path,
                hint=hint,
            )
        )


def memoize(check: Callable[[str], T]) -> Callable[[str], T]:
    """Cache a pure check of a string.

    Names, label keys, quantities and port names repeat across the documents of a
    repository, and a dict hit is several times cheaper than a regex or a parse. The
    cache is bounded by clearing it when full (hostile input cannot grow it forever).
    """
    cache: dict[str, T] = {}
    missing: Any = object()

    def cached(value: str) -> T:
        result: T = cache.get(value, missing)
        if result is missing:
            if len(cache) > 50_000:
                cache.clear()
            result = cache[value] = check(value)
        return result

    cached.__doc__ = check.__doc__
    cached.__name__ = check.__name__
    return cached


def quote_list(values: Iterable[str]) -> str:
    """``"a", "b"`` - the way the API server lists supported values."""
    return ", ".join(f'"{v}"' for v in values)


def check_enum(out: Emitter, obj: dict[str, Any], field: str, allowed: tuple[str, ...], path: Path) -> None:
    """Report ``obj[field]`` when it is a string outside ``allowed`` (other types are the schema's job)."""
    value = obj.get(field)
    if value is None or value in allowed or type(value) is not str:
        return
    enum_finding(out, value, field, allowed, path + (field,))


def enum_finding(out: Emitter, value: str, field: str, allowed: tuple[str, ...], path: Path) -> None:
    """Report an unsupported enum value the way the API server words it, plus a case-fix hint."""
    hint = ""
    for candidate in allowed:
        if candidate.lower() == value.lower():
            hint = f'did you mean "{candidate}"? Values are case-sensitive.'
            break
    else:
        import difflib

        close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.75)
        if close:
            hint = f'did you mean "{close[0]}"?'
    out.add(
        "invalid-enum",
        path,
        f'{field}: Unsupported value: "{value}": supported values: {quote_list(allowed)}',
        hint,
    )
