"""Where schemas come from: bundled Kubernetes schemas, CRDs, and remote locations.

Built-in kinds use the JSON schemas shipped by the ``kubernetes-validate``
package (Kubernetes 1.25 onwards, strict and non-strict). Its per-kind files
``$ref`` an https URL; we never fetch it: the shared ``_definitions.json`` is
read once (:mod:`.definitions`: parsed one definition at a time) and each kind's
schema is cut out of it with only the definitions it reaches, then compiled with
``jsonschema-rs`` and cached per process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from kubepush import lazy_re
from kubepush.errors import UsageError
from kubepush.validate.definitions import Definitions

_REF = lazy_re.compile(rb'"\$ref":"#/\$defs/([^"]+)"')
_VERSION_DIR = lazy_re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local$")


@cache
def _schema_root() -> Path:
    """The schema folder of the kubernetes-validate package, found without importing it
    (its ``__init__`` pulls in jsonschema and friends: ~60 ms we do not need)."""
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("the kubernetes-validate package (bundled schemas) is not installed: pip install kubepush")
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


@cache
def bundled_versions() -> tuple[str, ...]:
    """Kubernetes versions with bundled schemas, oldest first (``"1.25.0"``, ...)."""
    found = []
    for entry in os.listdir(_schema_root()):
        m = _VERSION_DIR.match(entry)
        if m:
            found.append(tuple(int(p) for p in m.groups()))
    return tuple(".".join(map(str, v)) for v in sorted(found))


def resolve_version(requested: str | None) -> str:
    """Map ``1.30``/``v1.30.2``/``None`` to a bundled version, or explain what is available."""
    versions = bundled_versions()
    if not requested:
        return versions[-1]
    wanted = requested.lstrip("v").split(".")
    if len(wanted) < 2 or not all(p.isdigit() for p in wanted):
        raise UsageError(f"--kubernetes-version {requested!r}: expected MAJOR.MINOR such as {versions[-1][:-2]}")
    for version in versions:
        if version.split(".")[:2] == wanted[:2]:
            return version
    raise UsageError(
        f"no bundled schemas for Kubernetes {requested}: available {versions[0]} to {versions[-1]} "
        "(upgrade kubernetes-validate for newer versions, or use --schema-location)"
    )


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``)."""
    group, _, version = api_version.rpartition("/")
    return group, version


@cache
def load_definitions(version: str, strict: bool) -> Definitions:
    """All definitions of one bundled version, read once per process and parsed as they are used."""
    folder = f"v{version}-local" + ("-strict" if strict else "")
    return Definitions((_schema_root() / folder / "_definitions.json").read_bytes())


@dataclass
class BuiltinSchemas:
    """The bundled schemas of one Kubernetes version, strict or not."""

    version: str
    strict: bool
    _defs: Definitions | None = field(default=None, repr=False)
    _index: dict[tuple[str, str, str], str] = field(default_factory=dict, repr=False)
    _compiled: dict[tuple[str, str, str], CompiledSchema | None] = field(default_factory=dict, repr=False)

    @property
    def defs(self) -> Definitions:
        """All definitions, read on first use (each parsed when a schema needs it)."""
        if self._defs is None:
            self._defs = load_definitions(self.version, self.strict)
            self._index = self._defs.kinds()
        return self._defs

    def definition_name(self, group: str, version: str, kind: str) -> str | None:
        self.defs  # noqa: B018 - builds the index
        return self._index.get((group, version, kind))

    def kinds(self) -> set[tuple[str, str, str]]:
        """Every (group, version, kind) with a schema."""
        self.defs  # noqa: B018
        return set(self._index)

    def validator(self, group: str, version: str, kind: str) -> CompiledSchema | None:
        """Compiled schema for a built-in kind, or None when Kubernetes has no such kind."""
        key = (group, version, kind)
        if key not in self._compiled:
            name = self.definition_name(group, version, kind)
            self._compiled[key] = None if name is None else compile_schema(self.standalone(name))
        return self._compiled[key]

    def standalone(self, name: str) -> dict[str, Any]:
        """One definition with exactly the definitions it references, as its own schema."""
        defs = self.defs
        reached: dict[str, Any] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in reached:
                continue
            reached[current] = defs[current]
            pending.extend(m.decode() for m in _REF.findall(orjson.dumps(defs[current])))
        return {"$ref": f"#/$defs/{name}", "$defs": reached}



class CompiledSchema:
    """A compiled validator plus the schema it came from (to explain its errors)."""

    __slots__ = ("schema", "validator")

    def __init__(self, schema: dict[str, Any]) -> None:
        import jsonschema_rs  # lazy: not needed for --help

        self.schema = schema
        self.validator = jsonschema_rs.validator_for(schema)

    def node_at(self, schema_path: list[str | int]) -> Any:
        """The schema node an error's ``schema_path`` names, following local ``$ref``s."""
        node: Any = self.schema
        for part in schema_path:
            if part == "$ref" and isinstance(node, dict) and isinstance(node.get("$ref"), str):
                node = self._resolve(node["$ref"])
            elif isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return None
        return node

    def _resolve(self, ref: str) -> Any:
        node: Any = self.schema
        for part in ref.removeprefix("#/").split("/") if ref.startswith("#/") else ():
            node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
        return node


def compile_schema(schema: dict[str, Any]) -> CompiledSchema:
    """Compile with jsonschema-rs (draft 2020-12; no format assertions, like the API server)."""
    return CompiledSchema(schema)
