"""Schemas for custom resources, derived from CustomResourceDefinitions.

A CRD's ``openAPIV3Schema`` is OpenAPI 3.0 with Kubernetes extensions, not JSON
Schema. We translate it the way the API server interprets it:

- ``nullable: true`` admits null;
- ``x-kubernetes-int-or-string`` admits an integer or a string;
- ``x-kubernetes-preserve-unknown-fields`` keeps unknown fields at that level;
- ``x-kubernetes-embedded-resource`` requires apiVersion/kind/metadata;
- in strict mode, an object with declared ``properties`` rejects unknown
  fields (what server-side field validation does; an object declaring no
  properties at all is left open, to spare sloppy CRDs); ``metadata`` is checked
  against the built-in ObjectMeta schema, as the API server does.

CEL rules (``x-kubernetes-validations``) are not evaluated.
"""

from __future__ import annotations

from typing import Any

from kubepush.validate.schemas import split_api_version

CRD_GROUP = "apiextensions.k8s.io"
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_DROP = ("nullable", "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
         "x-kubernetes-embedded-resource", "x-kubernetes-validations", "format", "example")


class InvalidSchema(ValueError):
    """A CRD version's schema cannot be used for validation; the message says why."""


def is_crd(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and obj.get("kind") == "CustomResourceDefinition"
        and split_api_version(str(obj.get("apiVersion", "")))[0] == CRD_GROUP
    )


def crd_schemas(crd: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(group, version, kind) -> OpenAPI schema for every served version of a CRD."""
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return {}
    group = spec.get("group")
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, dict) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        return {}
    legacy = spec.get("validation", {}).get("openAPIV3Schema") if isinstance(spec.get("validation"), dict) else None
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    versions = spec.get("versions") or ([{"name": spec.get("version"), "served": True}] if spec.get("version") else [])
    for version in versions if isinstance(versions, list) else []:
        if not isinstance(version, dict) or not version.get("served", True) or not isinstance(version.get("name"), str):
            continue
        wrapper = version.get("schema")
        schema = (wrapper.get("openAPIV3Schema") if isinstance(wrapper, dict) else None) or legacy
        out[(group, version["name"], kind)] = (
            schema if isinstance(schema, dict) else {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        )
    return out


def to_json_schema(openapi: dict[str, Any], *, strict: bool, object_meta: dict[str, Any]) -> dict[str, Any]:
    """Translate a CRD version's schema into a standalone JSON Schema.

    ``object_meta`` is the standalone built-in ObjectMeta schema (with its ``$defs``).
    Raises :class:`InvalidSchema` for a schema that is no object schema at all.
    """
    root: dict[str, Any] = _convert(openapi, strict)
    properties = root.setdefault("properties", {})
    if not isinstance(properties, dict):
        raise InvalidSchema(f"openAPIV3Schema.properties must be a mapping, not {type(properties).__name__}")
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    properties["metadata"] = {"$ref": f"#/$defs/{_OBJECT_META}"}
    root["$defs"] = dict(object_meta.get("$defs", {}))
    return root


def _convert(node: Any, strict: bool) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _convert(sub, strict) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = _convert(value, strict)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_convert(sub, strict) for sub in value]
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out = {"anyOf": [{"type": "integer"}, {"type": "string"}], **out}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
    if node.get("x-kubernetes-embedded-resource"):
        props = out.setdefault("properties", {})
        for field in ("apiVersion", "kind"):
            props.setdefault(field, {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
        out["required"] = sorted({*out.get("required", ()), "apiVersion", "kind"})
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if strict and not preserve and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out
