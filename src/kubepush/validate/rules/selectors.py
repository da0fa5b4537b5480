"""selector-mismatch: a controller whose selector does not select its own pod template.

The API server rejects it ("`selector` does not match template `labels`"), and an
empty selector on an apps/v1 controller ("empty selector is invalid"). Evaluation
follows metav1.LabelSelector: matchLabels AND every matchExpressions requirement.
"""

from __future__ import annotations

from typing import Any

from .base import Emitter, Path, enum_finding
from .names import check_labels

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def check_label_selector(out: Emitter, selector: object, path: Path) -> None:
    """Syntax of a LabelSelector: label keys/values, operators, and values per operator."""
    if type(selector) is not dict:
        return
    check_labels(out, selector.get("matchLabels"), path + ("matchLabels",))
    expressions = selector.get("matchExpressions")
    if type(expressions) is not list:
        return
    for i, expr in enumerate(expressions):
        if type(expr) is not dict:
            continue
        p = path + ("matchExpressions", i)
        op = expr.get("operator")
        if type(op) is str and op not in OPERATORS:
            enum_finding(out, op, "operator", OPERATORS, p + ("operator",))
        values = expr.get("values")
        if op in ("In", "NotIn") and not values:
            out.add("invalid-enum", p, f"values: Required value: must be specified when `operator` is '{op}'")
        elif op in ("Exists", "DoesNotExist") and values:
            out.add(
                "invalid-enum",
                p + ("values",),
                f"values: Forbidden: may not be specified when `operator` is '{op}'",
            )


def _unmatched(selector: dict[str, Any], labels: dict[str, Any]) -> tuple[str | None, str] | None:
    """None if ``selector`` selects ``labels``, else (label key at fault or None, why)."""
    match_labels = selector.get("matchLabels")
    if type(match_labels) is dict:
        for key, want in match_labels.items():
            have = labels.get(key)
            if have != want:
                if key in labels:
                    return key, f"selector wants {key}={want}, template has {key}={have}"
                return None, f"selector wants {key}={want}, template has no label {key}"
    expressions = selector.get("matchExpressions")
    if type(expressions) is list:
        for expr in expressions:
            if type(expr) is not dict:
                continue
            key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
            if type(key) is not str or type(values) is not list:
                continue  # malformed: the schema layer reports it
            present = key in labels
            if op == "In" and (not present or labels[key] not in values):
                return (key if present else None), f"selector wants {key} in {list(values)}"
            if op == "NotIn" and present and labels[key] in values:
                return key, f"selector wants {key} not in {list(values)}"
            if op == "Exists" and not present:
                return None, f"selector wants label {key} to exist"
            if op == "DoesNotExist" and present:
                return key, f"selector wants label {key} to be absent"
    return None


def is_empty(selector: object) -> bool:
    return type(selector) is dict and not selector.get("matchLabels") and not selector.get("matchExpressions")


def check_template_selected(out: Emitter, spec: dict[str, Any], path: Path, *, empty_invalid: bool, kind: str) -> None:
    """``spec.selector`` must be non-empty (apps/v1) and select ``spec.template.metadata.labels``."""
    selector = spec.get("selector")
    if type(selector) is not dict:
        return  # missing selector: required in the schema, so the schema layer reports it
    check_label_selector(out, selector, path + ("selector",))
    if is_empty(selector):
        if empty_invalid:
            out.add(
                "selector-mismatch",
                path + ("selector",),
                f"selector: Invalid value: empty selector is invalid for {kind.lower()}",
                "set selector.matchLabels to (a subset of) the pod template's labels",
            )
        return
    _check_match(out, selector, spec.get("template"), path)


def _check_match(out: Emitter, selector: dict[str, Any], template: object, path: Path) -> None:
    if type(template) is not dict:
        return
    meta = template.get("metadata")
    labels = meta.get("labels") if type(meta) is dict else None
    if type(labels) is not dict:
        labels = {}
    failure = _unmatched(selector, labels)
    if failure is None:
        return
    key, why = failure
    if key is not None:
        where = path + ("template", "metadata", "labels", key)
    elif type(meta) is dict and type(meta.get("labels")) is dict:
        where = path + ("template", "metadata", "labels")
    elif type(meta) is dict:
        where = path + ("template", "metadata")
    else:
        where = path + ("template",)
    out.add(
        "selector-mismatch",
        where,
        f"template.metadata.labels: Invalid value: `selector` does not match template `labels` ({why})",
        "make the pod template's labels satisfy spec.selector (the selector is immutable after "
        "creation, so usually change the template labels back)",
    )


def check_job_selector(out: Emitter, spec: dict[str, Any], path: Path) -> None:
    """Jobs generate their selector unless ``manualSelector: true``; a manual one must match."""
    selector = spec.get("selector")
    if type(selector) is not dict:
        return
    check_label_selector(out, selector, path + ("selector",))
    if spec.get("manualSelector") is not True:
        out.add(
            "selector-mismatch",
            path + ("selector",),
            "selector: Invalid value: `selector` not auto-generated (set manualSelector: true to "
            "use your own selector)",
            "remove spec.selector and let the API server generate it, or set spec.manualSelector: true",
        )
        return
    _check_match(out, selector, spec.get("template"), path)


def check_rc_selector(out: Emitter, spec: dict[str, Any], path: Path) -> None:
    """A ReplicationController's selector is a plain map; when set it must match the template."""
    selector = spec.get("selector")
    if type(selector) is dict and selector:
        check_labels(out, selector, path + ("selector",))
        _check_match(out, {"matchLabels": selector}, spec.get("template"), path)
