"""``kubepush.yaml``: reading, schema validation and target selection.

The file sits at the root of a config repository and is read by every stage.
It is parsed with the same Kubernetes YAML reader as manifests, so an error can
name ``kubepush.yaml:LINE:COL``, and validated against a bundled JSON Schema;
an unknown key gets a did-you-mean from the keys allowed at that place.
Without a config file every stage works on the paths it is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kubepush.errors import UsageError
from kubepush.model import format_path

DEFAULT_NAME = "kubepush.yaml"


@dataclass(frozen=True)
class Target:
    """One set of manifests for one cluster/environment; ``path`` is resolved."""

    name: str
    path: str
    kubernetes_version: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: ``dependsOn``: targets that apply healthy before this one (see :mod:`kubepush.dependencies`)
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """The parsed file; ``sections`` holds each stage's own settings (``validate``...)."""

    path: str | None = None
    targets: tuple[Target, ...] = ()
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``repository:``: the config repository's identity when the origin remote cannot tell it
    repository: str | None = None
    #: ``shared:``: selectors of objects several targets declare on purpose
    shared: tuple[dict[str, str], ...] = ()

    def section(self, name: str) -> dict[str, Any]:
        return self.sections.get(name, {})

    def select(self, names: list[str] | None) -> list[Target]:
        """The targets named (all when ``names`` is empty); unknown names are a usage error."""
        if not names:
            return list(self.targets)
        by_name = {t.name: t for t in self.targets}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            known = ", ".join(by_name) or "none defined"
            raise UsageError(f"unknown target {', '.join(unknown)} (targets in {self.path or DEFAULT_NAME}: {known})")
        return [by_name[n] for n in names]


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of kubepush.yaml (also published for editors)."""
    loaded: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "config.schema.json").read_text("utf-8"))
    return loaded


def load(path: str | None) -> Config:
    """Read ``path``, or ``./kubepush.yaml`` when present; an empty config otherwise."""
    if path is None:
        if not Path(DEFAULT_NAME).is_file():
            return Config()
        path = DEFAULT_NAME
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read config file: {exc}") from None
    from kubepush.manifests import yaml11  # lazy: most runs have no config file

    try:
        parsed = yaml11.parse_document(text)
    except yaml11.YAMLError as exc:
        raise UsageError(f"{path}:{exc.line}:{exc.column}: {exc.message}") from None
    data = parsed.value if parsed.value is not None else {}
    problems = check(data)
    if problems:
        lines = [f"{path}:{':'.join(map(str, yaml11.locate(parsed.node, p)))}: {msg}" for p, msg in problems]
        raise UsageError("invalid config file:\n  " + "\n  ".join(lines))
    return _build(data, file)


def check(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Schema violations as (path, message), unknown keys with a did-you-mean."""
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(schema())
    problems = []
    for error in validator.iter_errors(data):
        path = tuple(error.instance_path)
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            from kubepush.validate.messages import did_you_mean  # only for a mistyped key: ~3 ms

            allowed = sorted(_properties_at(list(error.schema_path)[:-1]))
            for key in error.kind.unexpected:
                where = format_path(path) or "the top level"
                problems.append(((*path, key), f'unknown key "{key}" in {where}{did_you_mean(key, allowed)}; '
                                 f"allowed: {', '.join(allowed)}"))
        else:
            problems.append((path, f"{format_path(path) or 'config'}: {error.message}"))
    if isinstance(data, dict):
        names = [t.get("name") for t in data.get("targets") or [] if isinstance(t, dict)]
        for i, name in enumerate(names):
            if name in names[:i]:
                problems.append((("targets", i, "name"), f'duplicate target name "{name}"'))
        if not problems:
            problems.extend(_dependency_problems([t for t in data.get("targets") or [] if isinstance(t, dict)]))
    return problems


def _dependency_problems(targets: list[dict[str, Any]]) -> list[tuple[tuple[str | int, ...], str]]:
    """``dependsOn`` naming no target, or forming a cycle (reported at the first target in it)."""
    from kubepush import dependencies

    depends = {t["name"]: list(t.get("dependsOn") or []) for t in targets}
    index = {t["name"]: i for i, t in enumerate(targets)}
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for target, j, name in dependencies.unknown(depends):
        why = "a target cannot depend on itself" if name == target else \
            f"no target is named so (targets: {', '.join(depends)})"
        problems.append((("targets", index[target], "dependsOn", j), f'{target} depends on "{name}": {why}'))
    loop = dependencies.cycle(depends) if not problems else []
    if loop:
        problems.append((("targets", index[loop[0]], "dependsOn", depends[loop[0]].index(loop[1])),
                         f"dependsOn forms a cycle: {' -> '.join(loop)}; remove one of these dependencies"))
    return problems


def _properties_at(schema_path: list[Any]) -> list[str]:
    node: Any = schema()
    for part in schema_path:
        if part == "$ref":
            node = schema()["$defs"][node["$ref"].rsplit("/", 1)[1]]
        else:
            node = node[part]
    return list(node.get("properties", {}))


def _build(data: dict[str, Any], file: Path) -> Config:
    base = file.parent
    targets = tuple(
        Target(
            name=t["name"],
            path=str(_relative(base / t["path"])),
            kubernetes_version=t.get("kubernetesVersion"),
            depends_on=tuple(t.get("dependsOn") or ()),
            raw=t,
        )
        for t in data.get("targets") or []
    )
    sections = {k: v for k, v in data.items() if isinstance(v, dict)}
    validate = sections.get("validate", {})
    for key in ("crds", "schemaLocations"):  # local paths are relative to the config file
        if key in validate:
            validate[key] = [p if "://" in p else str(_relative(base / p)) for p in validate[key]]
    return Config(path=str(file), targets=targets, sections=sections, repository=data.get("repository"),
                  shared=tuple(data.get("shared") or ()))


def _relative(path: Path) -> Path:
    """Paths as short as possible for messages: relative to cwd when below it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path
