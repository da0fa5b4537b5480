"""validate/crds.py: a CRD's openAPIV3Schema read the way the API server reads it, as JSON Schema.

The whole path (a CRD in the input, its custom resources validated) is run by
tests/integration/cli/test_validate.py and fuzzed by tests/fuzz/test_validate.py; here each
Kubernetes extension is translated on its own and the result is checked by validating instances.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kubepush.validate.crds import InvalidSchema, crd_schemas, is_crd, to_json_schema

#: a stand-in for the built-in ObjectMeta schema the engine passes in (name must be a string)
OBJECT_META = {"$defs": {"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
    "type": "object", "properties": {"name": {"type": "string"}}}}}


def crd(versions: Any = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"group": "example.com", "names": {"kind": "Backup", "plural": "backups"}, **spec}
    if versions is not None:
        body["versions"] = versions
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "backups.example.com"}, "spec": body}


def accepts(openapi: dict[str, Any], instance: dict[str, Any], strict: bool = True) -> bool:
    schema = to_json_schema(openapi, strict=strict, object_meta=OBJECT_META)
    return Draft202012Validator(schema).is_valid(instance)


def backup(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Backup", "metadata": {"name": "b"}, "spec": spec}


SPEC = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
    "port": {"x-kubernetes-int-or-string": True},
    "note": {"type": "string", "nullable": True},
    "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    "open": {"type": "object"},
    "template": {"type": "object", "x-kubernetes-embedded-resource": True,
                 "x-kubernetes-preserve-unknown-fields": True},
    "count": {"type": "integer", "format": "int32"}}}}}


def test_is_crd_needs_the_apiextensions_group_not_only_the_kind() -> None:
    assert is_crd(crd())
    assert is_crd({**crd(), "apiVersion": "apiextensions.k8s.io/v1beta1"})
    assert not is_crd({**crd(), "apiVersion": "example.com/v1"})
    assert not is_crd(["not", "an", "object"])


def test_crd_schemas_has_one_schema_per_served_version() -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object"}}}
    versions = [{"name": "v1", "served": True, "schema": {"openAPIV3Schema": schema}},
                {"name": "v0", "served": False, "schema": {"openAPIV3Schema": schema}},
                {"name": "v2", "served": True}]
    schemas = crd_schemas(crd(versions))
    assert set(schemas) == {("example.com", "v1", "Backup"), ("example.com", "v2", "Backup")}
    assert schemas[("example.com", "v1", "Backup")] is schema
    # a served version without a schema accepts anything rather than nothing
    assert schemas[("example.com", "v2", "Backup")] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def test_crd_schemas_reads_the_v1beta1_spec_version_and_validation() -> None:
    legacy = {"type": "object", "properties": {"spec": {"type": "object"}}}
    schemas = crd_schemas(crd(version="v1alpha1", validation={"openAPIV3Schema": legacy}))
    assert schemas == {("example.com", "v1alpha1", "Backup"): legacy}


@pytest.mark.parametrize("spec", [None, "text", {"names": {"kind": "Backup"}}, {"group": "g", "names": "Backup"}])
def test_crd_schemas_of_a_crd_without_group_or_kind_is_empty(spec: Any) -> None:
    assert crd_schemas({"kind": "CustomResourceDefinition", "spec": spec}) == {}


def test_int_or_string_accepts_both_and_nothing_else() -> None:
    assert accepts(SPEC, backup(port=80)) and accepts(SPEC, backup(port="http"))
    assert not accepts(SPEC, backup(port=[80]))


def test_nullable_admits_null_and_a_plain_field_does_not() -> None:
    assert accepts(SPEC, backup(note=None))
    assert not accepts(SPEC, backup(count=None))


def test_strict_refuses_unknown_fields_where_properties_are_declared_only() -> None:
    assert not accepts(SPEC, backup(typo=1))
    assert accepts(SPEC, backup(typo=1), strict=False)
    assert accepts(SPEC, backup(extra={"anything": {"at": "all"}}))  # preserve-unknown-fields
    assert accepts(SPEC, backup(open={"anything": 1}))  # declares no properties: left open


def test_an_embedded_resource_needs_api_version_and_kind() -> None:
    assert accepts(SPEC, backup(template={"apiVersion": "v1", "kind": "Pod", "metadata": {}}))
    assert not accepts(SPEC, backup(template={"metadata": {}}))


def test_metadata_is_checked_against_object_meta_and_kubernetes_keywords_are_dropped() -> None:
    schema = to_json_schema(SPEC, strict=True, object_meta=OBJECT_META)
    assert schema["properties"]["metadata"] == {"$ref": "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    assert not accepts(SPEC, {**backup(), "metadata": {"name": 7}})
    text = repr(schema)
    assert "x-kubernetes" not in text and "nullable" not in text and "int32" not in text


def test_properties_that_are_no_mapping_is_an_invalid_schema() -> None:
    with pytest.raises(InvalidSchema, match="properties must be a mapping, not list"):
        to_json_schema({"type": "object", "properties": ["spec"]}, strict=True, object_meta=OBJECT_META)
