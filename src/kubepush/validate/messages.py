"""Turn JSON-Schema errors into findings a person can act on.

jsonschema-rs says ``"3" is not of types "null", "integer"``; a user needs
``spec.replicas: expected integer, got string "3"`` and a hint to drop the
quotes. Unknown fields get a did-you-mean from the schema's own property names,
and point at the unknown key itself rather than at its parent.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator
from typing import Any

from kubepush.model import Finding, format_path
from kubepush.validate.schemas import CompiledSchema

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def json_type(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    """A short rendering of a value for messages (strings quoted, big values elided)."""
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 60 else f'"{value[:57]}..."'
    if isinstance(value, (dict, list)) or value is None:
        return ""  # the type alone says it ("got object", "got null")
    if isinstance(value, float) and not math.isfinite(value):
        return "(.inf/.nan are not numbers JSON or Kubernetes accept)"
    return "true" if value is True else "false" if value is False else repr(value)


def did_you_mean(word: str, candidates: list[str]) -> str:
    """`` (did you mean "x"?)`` for a close match, case-insensitive first."""
    lowered = {c.lower(): c for c in candidates}
    if word.lower() in lowered:
        return f' (did you mean "{lowered[word.lower()]}"?)'
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return f' (did you mean "{close[0]}"?)' if close else ""


def schema_findings(schema: CompiledSchema, obj: Any) -> Iterator[Finding]:
    """All schema violations of ``obj``, one finding each, with exact paths."""
    secret = _is_secret(obj)
    for error in schema.validator.iter_errors(obj):
        yield from _convert(schema, error, obj, secret)


def _value_at(obj: Any, path: tuple[Any, ...]) -> Any:
    """The document's own value at ``path``: the validator sees ``.inf``/``.nan`` as null
    (JSON has no such numbers), but the message must show what the user wrote."""
    for part in path:
        try:
            obj = obj[part]
        except (KeyError, IndexError, TypeError):
            return None
    return obj


def _is_secret(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def _convert(schema: CompiledSchema, error: Any, obj: Any, secret: bool = False) -> Iterator[Finding]:
    kind = type(error.kind).__name__
    path = tuple(error.instance_path)
    where = format_path(path) or "(document)"
    instance = error.instance if error.instance is not None else _value_at(obj, path)
    if secret and path[:1] in (("data",), ("stringData",)):  # never echo Secret data into a report
        if kind == "Type":
            yield _type_finding(path, where, list(error.kind.types), instance, redact=True)
        else:
            yield Finding(rule="schema", message=f"{where}: invalid value (Secret data, not shown)", path=path)
        return
    if kind == "AdditionalProperties":
        parent = schema.node_at(list(error.schema_path)[:-1]) or {}
        known = sorted(parent.get("properties", {})) if isinstance(parent, dict) else []
        for name in error.kind.unexpected:
            field_path = (*path, name)
            yield Finding(
                rule="schema-unknown-field",
                message=f"unknown field {format_path(field_path)}{did_you_mean(name, known)}",
                path=field_path,
                hint="fields are case-sensitive; check the spelling and the indentation of this line",
            )
    elif kind == "Required":
        yield Finding(
            rule="schema-required",
            message=f"{where}: missing required field \"{error.kind.property}\"",
            path=path,
            hint=f'add "{error.kind.property}" here',
        )
    elif kind == "Type":
        yield _type_finding(path, where, list(error.kind.types), instance)
    elif kind == "OneOfNotValid" or kind == "AnyOf":
        node = schema.node_at(list(error.schema_path)) or []
        types = sorted({t for sub in node if isinstance(sub, dict) for t in _types(sub)} - {"null"})
        infinite = isinstance(instance, float) and not math.isfinite(instance)
        if types and (infinite or json_type(instance) not in types):
            yield _type_finding(path, where, types, instance)
        else:
            yield Finding(rule="schema", message=f"{where}: {error.message}", path=path)
    elif kind == "Enum":
        options = ", ".join(str(o) for o in error.kind.options)
        yield Finding(rule="schema-enum", message=f"{where}: {_show(instance)} is not one of {options}", path=path)
    else:
        yield Finding(rule="schema", message=f"{where}: {error.message}", path=path)


def _types(schema: dict[str, Any]) -> list[str]:
    t = schema.get("type", [])
    return [t] if isinstance(t, str) else list(t)


def _type_finding(path: tuple[Any, ...], where: str, types: list[str], instance: Any,
                  redact: bool = False) -> Finding:
    wanted = " or ".join(t for t in types if t != "null") or "null"
    got = json_type(instance)
    shown = "" if redact else _show(instance)
    hint = ""
    if "string" in types and got in ("integer", "number", "boolean"):
        hint = f"YAML read this as {'an' if got[0] in 'aeiou' else 'a'} {got}; quote it to make it a string"
    elif got == "string" and ("integer" in types or "number" in types):
        hint = "remove the quotes to make it a number" if _is_number(instance) else ""
    elif got == "string" and "array" in types:
        hint = "use a YAML list (one '- item' per line)"
    return Finding(
        rule="schema-type",
        message=f"{where}: expected {wanted}, got {got}{' ' + shown if shown else ''}",
        path=path,
        hint=hint,
    )


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
