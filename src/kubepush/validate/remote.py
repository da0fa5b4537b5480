"""Extra schema locations with kubeconform-compatible templates, cached on disk.

Teams that already publish schemas for their CRDs in kubeconform's layout (or
use a public catalogue of them) can point kubepush at the same places:

    --schema-location 'https://schemas.example.com/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'
    --schema-location ./schemas        # a folder in kubeconform's default layout

Locations are tried in order after the CRDs among the inputs and the bundled
schemas; the first that has the kind wins (a 404 or missing file means "not
here"). Downloads are cached under ``$KUBEPUSH_CACHE_DIR`` (default
``~/.cache/kubepush/schemas``), so a CI job with a cached folder works offline.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from kubepush import lazy_re
from kubepush.atomic import write_atomic
from kubepush.errors import UsageError
from kubepush.validate.schemas import CompiledSchema, compile_schema

_VARIABLE = lazy_re.compile(r"{{\s*\.(\w+)\s*}}")
_DEFAULT_LAYOUT = ("/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}"
                   "/{{ .ResourceKind }}{{ .KindSuffix }}.json")
_KNOWN = {"NormalizedKubernetesVersion", "StrictSuffix", "ResourceKind", "KindSuffix", "ResourceAPIVersion", "Group",
          "Kind"}
TIMEOUT_S = 15


def cache_dir() -> Path:
    base = os.environ.get("KUBEPUSH_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "kubepush")
    return Path(base) / "schemas"


def expand(template: str, *, version: str, strict: bool, group: str, api_version: str, kind: str) -> str:
    """Fill a kubeconform location template for one kind."""
    if "{{" not in template:
        template = template.rstrip("/") + _DEFAULT_LAYOUT
    values = {
        "NormalizedKubernetesVersion": f"v{version}",
        "StrictSuffix": "-strict" if strict else "",
        "ResourceKind": kind.lower(),
        "Kind": kind,
        "KindSuffix": f"-{group.split('.')[0].lower()}-{api_version}" if group else f"-{api_version}",
        "ResourceAPIVersion": api_version,
        "Group": group,
    }
    return _VARIABLE.sub(lambda m: values[m.group(1)], template)


def check_template(template: str) -> None:
    """Refuse unknown template variables up front (exit 2), not per document."""
    unknown = sorted(set(_VARIABLE.findall(template)) - _KNOWN)
    if unknown:
        raise UsageError(f"--schema-location {template!r}: unknown variable {', '.join(unknown)} "
                         f"(known: {', '.join(sorted(_KNOWN))})")


@dataclass
class SchemaLocations:
    """Looks kinds up in the configured locations; one instance per process."""

    templates: tuple[str, ...]
    version: str
    strict: bool
    _found: dict[tuple[str, str, str], CompiledSchema | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for template in self.templates:
            check_template(template)

    def find(self, group: str, api_version: str, kind: str) -> CompiledSchema | None:
        key = (group, api_version, kind)
        if key not in self._found:
            self._found[key] = self._lookup(group, api_version, kind)
        return self._found[key]

    def _lookup(self, group: str, api_version: str, kind: str) -> CompiledSchema | None:
        for template in self.templates:
            where = expand(template, version=self.version, strict=self.strict, group=group,
                           api_version=api_version, kind=kind)
            schema = _fetch(where) if where.startswith(("http://", "https://")) else _read(where)
            if schema is not None:
                try:
                    return compile_schema(schema)
                except Exception as exc:  # noqa: BLE001 - any compile error is the schema's fault
                    raise UsageError(
                        f"schema {where} for {kind} {api_version} is not a valid JSON Schema: {exc}") from None
        return None


def _read(path: str) -> Any | None:
    try:
        return orjson.loads(Path(path).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise UsageError(f"cannot read schema {path}: {exc}") from None


def _fetch(url: str) -> Any | None:
    """GET a schema, through the on-disk cache; 404 means the location lacks the kind."""
    cached = cache_dir() / (hashlib.sha256(url.encode()).hexdigest() + ".json")
    if cached.is_file():
        return orjson.loads(cached.read_bytes())
    import requests  # lazy: only remote locations need it

    try:
        response = requests.get(url, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise UsageError(f"cannot download schema {url}: {type(exc).__name__} (is the location reachable?)") from None
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise UsageError(f"cannot download schema {url}: HTTP {response.status_code}")
    try:
        schema = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise UsageError(f"schema {url} is not JSON") from None
    cached.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(cached, response.content)  # a concurrent run reads the whole schema or none
    return schema
