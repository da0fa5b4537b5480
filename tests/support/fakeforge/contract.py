"""Validate requests and responses against the forge API descriptions (``contracts/`` of the test data).

The fakes call ``check_request`` on every request they receive and ``check_response``
on every answer they send; violations are collected, and the fixtures fail the test
at teardown if there are any. So a client that sends an undeclared query parameter
or a misspelt enum value, or a fake that drifts from the documented shapes, is caught.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft202012Validator

from tests.support.external_data import require

_DROP = {"nullable", "x-nullable", "discriminator", "xml", "externalDocs", "deprecated",
         "example", "examples", "format"}


@cache
def load(name: str) -> dict[str, Any]:
    """One forge's contract; without the test data the test using it skips (external_data.py)."""
    return json.loads((require("contracts") / f"{name}.json").read_text())


def to_jsonschema(s: Any, null_for_optional: bool = False) -> Any:
    """OpenAPI 3.0 / Swagger 2.0 schema object -> JSON Schema (as the contracts' README says)."""
    if isinstance(s, list):
        return [to_jsonschema(x, null_for_optional) for x in s]
    if not isinstance(s, dict):
        return s
    if "x-circular-ref" in s or "x-unresolved-ref" in s:
        return {}
    out: dict[str, Any] = {}
    for k, v in s.items():
        if k in _DROP or k.startswith("x-") or (k == "type" and v == "file"):
            continue
        if k == "properties":
            out[k] = {n: to_jsonschema(p, null_for_optional) for n, p in v.items()}
        elif k in ("items", "additionalProperties", "not") and isinstance(v, dict):
            out[k] = to_jsonschema(v, null_for_optional)
        elif k in ("allOf", "anyOf", "oneOf"):
            out[k] = [to_jsonschema(x, null_for_optional) for x in v]
        else:
            out[k] = v
    if null_for_optional and "properties" in out:
        req = set(out.get("required", []))
        out["properties"] = {n: (p if n in req else _nullable(p))
                             for n, p in out["properties"].items()}
    if s.get("nullable") or s.get("x-nullable"):
        out = _nullable(out)
    return out


def _nullable(js: dict[str, Any]) -> dict[str, Any]:
    t = js.get("type")
    if isinstance(t, str):
        js = dict(js, type=[t, "null"])
        if "enum" in js and None not in js["enum"]:
            js["enum"] = list(js["enum"]) + [None]
        return js
    if isinstance(t, list):
        return js if "null" in t else dict(js, type=t + ["null"])
    return {"anyOf": [js, {"type": "null"}]}


def skeleton(s: Any) -> Any:
    """The smallest instance a schema accepts: required fields only, nullable -> None.

    The fakes start every response from this and overlay the values they track, so a
    response carries every field the description requires (e.g. GitHub's full
    ``repository`` inside ``head.repo``) without hand-written doc examples - which the
    README warns fail the description's own schemas.
    """
    if not isinstance(s, dict) or "x-circular-ref" in s or "x-unresolved-ref" in s:
        return {}
    if s.get("nullable") or s.get("x-nullable"):
        return None
    if "allOf" in s:
        merged: dict[str, Any] = {}
        for part in s["allOf"]:
            merged.update(skeleton(part) or {})
        return merged
    for key in ("oneOf", "anyOf"):
        if key in s:
            return skeleton(s[key][0])
    if "enum" in s:
        return s["enum"][0]
    t = s.get("type")
    if t == "object" or "properties" in s:
        props = s.get("properties", {})
        return {k: skeleton(props.get(k, {})) for k in s.get("required", [])}
    if t == "array":
        return []
    if t == "integer":
        return int(s.get("minimum", 0))
    if t == "number":
        return 0
    if t == "boolean":
        return False
    if t == "string":
        return {"date-time": "2026-01-01T00:00:00Z", "uri": "https://example.invalid/",
                "email": "bot@example.invalid"}.get(s.get("format", ""), "")
    return {}


def overlay(base: Any, top: Any) -> Any:
    """Deep-merge ``top`` onto ``base`` (dicts merge, everything else replaces)."""
    if isinstance(base, dict) and isinstance(top, dict):
        out = dict(base)
        for k, v in top.items():
            out[k] = overlay(base.get(k), v)
        return out
    return top


def fill(schema: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A full instance of ``schema`` (even if nullable) carrying ``values``."""
    base = {k: v for k, v in schema.items() if k not in ("nullable", "x-nullable")}
    return overlay(skeleton(base), values)


def schema_at(schema: dict[str, Any], *path: str) -> dict[str, Any]:
    """Walk ``properties``/``items`` of a schema: ``schema_at(pr, "labels", "items")``."""
    for step in path:
        schema = schema["items"] if step == "items" else schema["properties"][step]
    return schema


@dataclass
class Operation:
    op_id: str
    method: str
    path: str
    spec: dict[str, Any]
    regex: re.Pattern[str] = field(init=False)
    literals: int = field(init=False)

    def __post_init__(self) -> None:
        parts = re.split(r"(\{[^}]+\})", self.path)
        pattern = "".join(f"(?P<{p[1:-1].replace('[', '_').replace(']', '_')}>[^/]+)"
                          if p.startswith("{") else re.escape(p) for p in parts)
        self.regex = re.compile(f"^{pattern}$")
        self.literals = sum(1 for seg in self.path.split("/") if seg and not seg.startswith("{"))


class Contract:
    """One forge's contract: route lookup plus request/response checks."""

    #: statuses any operation may answer although the operation does not list them,
    #: with where that is documented; overridden per forge
    global_statuses: dict[int, str] = {}
    #: (operation, status) pairs documented outside ``responses`` (e.g. handler notes)
    extra_statuses: dict[tuple[str, int], str] = {}
    null_for_optional = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.data = load(name)
        ops = [Operation(op_id, spec["method"], spec.get("full_path", spec["path"]), spec)
               for op_id, spec in self.data["operations"].items()]
        self.ops = sorted(ops, key=lambda o: -o.literals)

    def operation(self, op_id: str) -> Operation:
        return next(o for o in self.ops if o.op_id == op_id)

    def match(self, method: str, raw_path: str) -> tuple[Operation, dict[str, str]] | None:
        for op in self.ops:
            if op.method == method:
                m = op.regex.match(raw_path)
                if m:
                    return op, {k: unquote(v) for k, v in m.groupdict().items()}
        return None

    # -- requests ---------------------------------------------------------------
    def check_request(self, op: Operation, path_params: dict[str, str],
                      query: dict[str, list[str]], body: Any, body_present: bool) -> list[str]:
        v: list[str] = []
        declared = {p["name"]: p for p in op.spec.get("parameters", [])}
        for name, values in query.items():
            p = declared.get(name)
            if p is None or p["in"] != "query":
                v.append(f"{op.op_id}: undeclared query parameter {name!r}")
                continue
            for value in values:
                v += self._check_param(op, p, value)
        for name, p in declared.items():
            if p.get("required") and p["in"] == "query" and name not in query:
                v.append(f"{op.op_id}: required query parameter {name!r} missing")
        for key, value in path_params.items():
            p = next((q for q in declared.values() if q["in"] == "path" and
                      q["name"].replace("[", "_").replace("]", "_") == key), None)
            if p is not None:
                v += self._check_param(op, p, value)
        rb = op.spec.get("requestBody")
        if rb is None:
            if body_present:
                v.append(f"{op.op_id}: request has a body but the operation declares none")
        elif not body_present:
            if rb.get("required"):
                v.append(f"{op.op_id}: required request body missing")
        else:
            schema = rb.get("schema") or {}
            v += self._validate(op.op_id + " request body", schema, body, nullable_opt=False)
            need = schema.get("x-at-least-one-of")
            if need and isinstance(body, dict) and not set(body) & set(need):
                v.append(f"{op.op_id}: request body needs at least one of {need}")
        return v

    def _check_param(self, op: Operation, p: dict[str, Any], raw: str) -> list[str]:
        schema = p.get("schema") or {}
        value: Any = raw
        t = schema.get("type")
        try:
            if t == "integer":
                value = int(raw)
            elif t == "boolean":
                if raw not in ("true", "false"):
                    return [f"{op.op_id}: parameter {p['name']}={raw!r} is not a boolean"]
                value = raw == "true"
            elif t == "array":
                value = raw.split(",") if p.get("explode") is False else [raw]
        except ValueError:
            return [f"{op.op_id}: parameter {p['name']}={raw!r} is not an integer"]
        if "oneOf" in schema and not t:  # e.g. GitLab id: string or integer; a path is a string
            return []
        return self._validate(f"{op.op_id} parameter {p['name']}", schema, value, False)

    # -- responses ----------------------------------------------------------------
    def check_response(self, op: Operation, status: int, body: Any) -> list[str]:
        responses = op.spec["responses"]
        where = (str(status) in responses and "responses") or \
            self.extra_statuses.get((op.op_id, status)) or self.global_statuses.get(status)
        if not where:
            return [f"{op.op_id}: status {status} is not documented for this operation"]
        spec = responses.get(str(status)) or {}
        if 200 <= status < 300:
            schema = spec.get("schema")
            if schema is None:
                return [] if body is None else (
                    [] if (op.op_id, status) in self.extra_statuses and body is None else
                    [f"{op.op_id}: {status} is documented without a body but one was sent"])
            return self._validate(f"{op.op_id} {status} response", schema, body,
                                  self.null_for_optional)
        schema = self.error_schema(spec)
        if body is None:
            return [] if status >= 500 or status == 304 else [
                f"{op.op_id}: error {status} without the forge's JSON error body"]
        return self._validate(f"{op.op_id} {status} error body", schema, body, False)

    def error_schema(self, spec: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _validate(self, what: str, schema: Any, instance: Any, nullable_opt: bool) -> list[str]:
        validator = _validator(json.dumps(schema, sort_keys=True), nullable_opt)
        return [f"{what}: {e.message} at /{'/'.join(map(str, e.absolute_path))}"
                for e in validator.iter_errors(instance)][:5]


@cache
def _validator(schema_json: str, nullable_opt: bool) -> Draft202012Validator:
    return Draft202012Validator(to_jsonschema(json.loads(schema_json), nullable_opt))


class GitHubContract(Contract):
    global_statuses = {
        401: "common.error_responses.requires_authentication",
        403: "rate_limits_from_docs (primary/secondary limit) and common.error_responses.forbidden",
        404: "common.error_responses.not_found (repositories the token cannot see)",
        429: "rate_limits_from_docs",
        500: "common.error_responses.internal_error",
        502: "server error (retried)", 503: "common.error_responses.service_unavailable",
    }

    def __init__(self) -> None:
        super().__init__("github")

    def error_schema(self, spec: dict[str, Any]) -> dict[str, Any]:
        if spec.get("schema"):
            return spec["schema"]
        return self.data["common"]["error_schemas"]["basic-error"]


class GiteaContract(Contract):
    null_for_optional = True
    global_statuses = {
        401: "security (token auth) - body as APIError, see README 'Auth'",
        429: "not from Gitea itself: a rate-limiting reverse proxy in front of it",
        500: "APIError", 502: "reverse proxy", 503: "reverse proxy",
    }
    extra_statuses = {("repoMergePullRequest", 201): "x-implementation-notes (scheduled auto-merge)"}

    def __init__(self) -> None:
        super().__init__("gitea")

    def error_schema(self, spec: dict[str, Any]) -> dict[str, Any]:
        return spec.get("body_schema_actual") or self.data["common"]["error_body"]


class GitLabContract(Contract):
    global_statuses = {
        401: "common.auth_headers", 403: "common.error_body", 404: "common.error_body",
        429: "common.rate_limit_status", 500: "server error", 502: "server error",
        503: "server error",
    }

    def __init__(self) -> None:
        super().__init__("gitlab")

    def error_schema(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self.data["common"]["error_body"]
