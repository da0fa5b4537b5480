"""A custom resource whose CustomResourceDefinition is in the same change, previewed offline.

``diff`` asks the API server for a dry run of each object, but a server that does not serve a
kind yet cannot dry-run its objects: server-side apply of a custom resource needs its CRD
Established first (an apply runs the CRD stage, waits, then applies the rest). So the preview
checks such an object against the CRD from Git - its ``openAPIV3Schema``, translated the way
``kubepush validate`` does - and shows it as created together with its CRD. What the server
would still default or reject by CEL rules is not known until the CRD exists.
"""

from __future__ import annotations

from typing import Any

from kubepush.cluster.plan import Item
from kubepush.model import Finding
from kubepush.validate import crds

_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def defining_crd(item: Item, items: list[Item]) -> dict[str, Any] | None:
    """The CRD among ``items`` that serves ``item``'s group, version and kind (None: no such CRD)."""
    group, _, version = str(item.obj.get("apiVersion", "")).rpartition("/")
    key = (group, version, item.obj.get("kind"))
    return next((i.obj for i in items if crds.is_crd(i.obj) and key in crds.crd_schemas(i.obj)), None)


def check(obj: dict[str, Any], crd: dict[str, Any]) -> list[Finding]:
    """Schema violations of ``obj`` against ``crd`` (strict, as server-side field validation is)."""
    from kubepush.validate.messages import schema_findings
    from kubepush.validate.schemas import BuiltinSchemas, compile_schema, resolve_version

    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    openapi = crds.crd_schemas(crd)[(group, version, obj["kind"])]
    meta = BuiltinSchemas(resolve_version(None), True).standalone(_OBJECT_META)
    try:
        schema = compile_schema(crds.to_json_schema(openapi, strict=True, object_meta=meta))
    except ValueError as exc:
        return [Finding(rule="crd-schema", message=f"the schema of {crd['metadata']['name']} is not usable: {exc}")]
    return list(schema_findings(schema, obj))
