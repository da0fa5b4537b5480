"""``kind: Status`` error bodies, shaped like k8s.io/apimachinery's StatusError helpers.

Clients branch on ``reason`` and ``code`` (kubectl prints ``message``; the Python client
raises ApiException with the body), so these follow apimachinery/pkg/api/errors exactly.
"""

from __future__ import annotations

import json
from typing import Any

from .schema import ResourceType


class ApiError(Exception):
    """An error response: HTTP code plus the Status body to send."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.body: dict[str, Any] = {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message,
        }
        if reason:  # an error the apiserver did not classify has no reason at all
            self.body["reason"] = reason
        if details:
            self.body["details"] = details
        self.body["code"] = code
        self.headers = headers or {}


def _details(rt: ResourceType | None, name: str | None, **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if rt is not None:
        if rt.group:
            d["group"] = rt.group
        d["kind"] = rt.plural
    d.update(extra)
    return d


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{rt.group_resource} "{name}" not found', _details(rt, name))


def already_exists(rt: ResourceType, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{rt.group_resource} "{name}" already exists', _details(rt, name))


def conflict(rt: ResourceType, name: str, reason: str = "the object has been modified; please apply your "
             "changes to the latest version and try again") -> ApiError:
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {rt.group_resource} "{name}": {reason}',
                    _details(rt, name))


def apply_conflict(message: str, causes: list[dict[str, str]]) -> ApiError:
    return ApiError(409, "Conflict", message, {"causes": causes})


def invalid(rt: ResourceType, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 from field errors: (cause reason, field, detail) like field.ErrorList.ToAggregate()."""
    kind = f"{rt.kind}.{rt.group}" if rt.group else rt.kind
    rendered = [f"{f}: {d}" for _, f, d in causes]
    joined = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
    return ApiError(
        422, "Invalid", f'{kind} "{name}" is invalid: {joined}',
        {"name": name, **({"group": rt.group} if rt.group else {}), "kind": rt.kind,
         "causes": [{"reason": r, "message": d, "field": f} for r, f, d in causes]},
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def forbidden(user: str, verb: str, rt: ResourceType | None, namespace: str | None, name: str | None,
              path: str = "") -> ApiError:
    """The RBAC denial message the real authorizer produces."""
    if rt is None:
        return ApiError(403, "Forbidden", f'forbidden: User "{user}" cannot {verb} path "{path}"',
                        {})
    target = f'{rt.group_resource} "{name}"' if name else rt.group_resource
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    msg = (f'{target} is forbidden: User "{user}" cannot {verb} resource "{rt.plural}" '
           f'in API group "{rt.group}" {scope}')
    return ApiError(403, "Forbidden", msg, _details(rt, name))


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def method_not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def unsupported_media_type() -> ApiError:
    return ApiError(
        415, "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, "
        "application/strategic-merge-patch+json",
    )


def internal_error(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}", {"causes": [
        {"message": message}]})


_GENERIC = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    401: ("Unauthorized", "Unauthorized"),
    404: ("NotFound", "the server could not find the requested resource"),
    405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
    409: ("Conflict", "the server reported a conflict"),
    410: ("Expired", "too old resource version"),
    422: ("Invalid", "the server rejected our request due to an error in our request"),
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected fault"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: ("Timeout", "Timeout: request did not complete within requested timeout - context deadline exceeded"),
}


def generic(code: int, message: str | None = None) -> ApiError:
    """A Status for an injected fault code, with the apiserver's stock reason and message."""
    reason, default = _GENERIC.get(code, ("Unknown", f"an error on the server ({code}) has prevented the "
                                                    "request from succeeding"))
    retry = code in (429, 503, 504)
    return ApiError(code, reason, message or default, {"retryAfterSeconds": 1} if retry else None,
                    headers={"Retry-After": "1"} if retry else {})


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
