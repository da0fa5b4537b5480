"""labelSelector / fieldSelector query parameters (k8s.io/apimachinery/pkg/labels syntax)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .status import bad_request

Predicate = Callable[[dict[str, Any]], bool]

_SET_EXPR = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(in|notin)\s*\(([^)]*)\))?\s*$")
_EQ_EXPR = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def label_selector(text: str | None) -> Predicate:
    if not text:
        return lambda labels: True
    checks: list[Predicate] = []
    for req in _split(text):
        m = _EQ_EXPR.match(req)
        if m:
            key, op, val = m.groups()
            if op == "!=":
                checks.append(lambda lb, k=key, v=val: lb.get(k) != v)
            else:
                checks.append(lambda lb, k=key, v=val: lb.get(k) == v)
            continue
        m = _SET_EXPR.match(req)
        if not m:
            raise bad_request(f"unable to parse requirement: found '{req.strip()}', expected: identifier")
        neg, key, op, values = m.groups()
        if op:
            allowed = {v.strip() for v in values.split(",") if v.strip()}
            if op == "in":
                checks.append(lambda lb, k=key, a=allowed: lb.get(k) in a)
            else:
                checks.append(lambda lb, k=key, a=allowed: lb.get(k) not in a)
        elif neg:
            checks.append(lambda lb, k=key: k not in lb)
        else:
            checks.append(lambda lb, k=key: k in lb)
    return lambda labels: all(c(labels) for c in checks)


_FIELDS = {
    "metadata.name": lambda o: o.get("metadata", {}).get("name"),
    "metadata.namespace": lambda o: o.get("metadata", {}).get("namespace"),
}


def field_selector(text: str | None) -> Predicate:
    """Generic field selectors every resource supports: metadata.name, metadata.namespace."""
    if not text:
        return lambda obj: True
    checks: list[Predicate] = []
    for req in _split(text):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", req)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{req}'")
        name, op, val = m.groups()
        getter = _FIELDS.get(name)
        if getter is None:
            raise bad_request(f'"{name}" is not a known field selector: only "metadata.name", '
                              f'"metadata.namespace"')
        if op == "!=":
            checks.append(lambda o, g=getter, v=val: g(o) != v)
        else:
            checks.append(lambda o, g=getter, v=val: g(o) == v)
    return lambda obj: all(c(obj) for c in checks)
