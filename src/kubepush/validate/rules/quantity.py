"""invalid-quantity / requests-exceed-limits: resource quantities as the API server parses them.

Grammar (k8s.io/apimachinery/pkg/api/resource, ``ParseQuantity``)::

    <quantity>  ::= <signedNumber><suffix>
    <number>    ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>    ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>  ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI> ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedInteger> | "E" <signedInteger>

YAML numbers (``cpu: 1``, ``cpu: 0.5``) are accepted as quantities too.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from kubepush import lazy_re

from .base import Emitter, Path, Severity, memoize

QUANTITY_RE = lazy_re.compile(r"([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?")
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
#: Common spellings from other tools, and what Kubernetes wants instead.
_SUFFIX_FIXES = {
    "KB": "k",
    "MB": "M",
    "GB": "G",
    "TB": "T",
    "PB": "P",
    "EB": "E",
    "KIB": "Ki",
    "MIB": "Mi",
    "GIB": "Gi",
    "TIB": "Ti",
    "PIB": "Pi",
    "EIB": "Ei",
    "K": "k",
    "KI": "Ki",
    "MI": "Mi",
    "GI": "Gi",
    "TI": "Ti",
    "PI": "Pi",
    "EI": "Ei",
}


def parse_quantity(value: object) -> Decimal | None:
    """The numeric value of a quantity (``"1Gi"`` -> 1073741824), None if it is not one."""
    if type(value) is int or type(value) is float:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None  # .nan/.inf: no quantity (and NaN breaks comparisons)
    if type(value) is not str:
        return None
    return _parse_string(value)


@memoize
def _parse_string(value: str) -> Decimal | None:
    m = QUANTITY_RE.fullmatch(value.strip())
    if m is None:
        return None
    sign, number, suffix = m.groups()
    result = Decimal(number if number[0] != "." else "0" + number)
    if sign == "-":
        result = -result
    suffix = suffix or ""
    if suffix in _BINARY:
        return result * (1 << _BINARY[suffix])
    if suffix in _DECIMAL:
        return result.scaleb(_DECIMAL[suffix])
    return result.scaleb(int(suffix[1:]))


def _fix_hint(text: str) -> str:
    m = re.fullmatch(r"\s*([+-]?[0-9.]+)\s*([A-Za-z]+)\s*", text)
    if m and m.group(2).upper() in _SUFFIX_FIXES and m.group(2) not in _BINARY:
        fix = _SUFFIX_FIXES[m.group(2).upper()]
        alt = fix[0].upper() + "i" if fix in _DECIMAL and fix not in ("m", "") else ""
        both = f'"{m.group(1)}{fix}"' + (f' or "{m.group(1)}{alt}"' if alt and alt in _BINARY else "")
        return f"did you mean {both}? Kubernetes uses SI (k, M, G) and binary (Ki, Mi, Gi) suffixes"
    return "use a Kubernetes quantity such as 100m, 0.5, 128Mi, 1Gi or 1e3"


_ZERO = Decimal(0)


def check_quantity(
    out: Emitter,
    value: object,
    path: Path,
    what: str,
    *,
    positive: bool = False,
) -> Decimal | None:
    """Report ``value`` unless it is a valid, non-negative quantity; return its value.

    ``what`` names the resource in the message (``memory request``); ``positive``
    demands > 0 (a PVC storage request).
    """
    parsed = parse_quantity(value)
    if parsed is not None and (parsed > _ZERO or (parsed == _ZERO and not positive)):
        return parsed
    _report(out, value, parsed, path, what, positive)
    return None


def _report(out: Emitter, value: object, parsed: Decimal | None, path: Path, what: str, positive: bool) -> None:
    if parsed is None:
        if type(value) is str:
            out.add(
                "invalid-quantity",
                path,
                f'{what}: "{value}" is not a valid quantity: quantities must match the regular '
                f"expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                _fix_hint(value),
            )
        return
    bound = "greater than zero" if positive else "greater than or equal to 0"
    out.add("invalid-quantity", path, f'{what}: Invalid value: "{value}": must be {bound}')


def check_resource_map(out: Emitter, resources: object, path: Path, kind_of: str) -> dict[str, Any] | None:
    """Check every quantity of a ``{resourceName: quantity}`` map; return the parsed values."""
    if type(resources) is not dict:
        return None
    parsed = {}
    for name, value in resources.items():
        # Inline fast path (this runs for every container): strings hit the parse cache.
        q = _parse_string(value) if type(value) is str else parse_quantity(value)
        if q is None or q < _ZERO:
            _report(out, value, q, path + (name,), f"{name} {kind_of}", False)
            continue
        parsed[name] = q
        if name == "memory" and type(value) is str and value[-1:] == "m":
            out.add(
                "invalid-quantity",
                path + (name,),
                f'memory {kind_of} "{value}" is in millibytes ({q} bytes)',
                f'did you mean "{value[:-1]}Mi"? "m" means milli, "Mi" means mebibytes',
                Severity.WARNING,
            )
    return parsed


def check_requirements(out: Emitter, resources: object, path: Path) -> None:
    """A container's (or pod's) ``resources``: valid quantities, and requests <= limits."""
    if type(resources) is not dict:
        return
    requests = check_resource_map(out, resources.get("requests"), path + ("requests",), "request")
    limits = check_resource_map(out, resources.get("limits"), path + ("limits",), "limit")
    if requests and limits:
        for name, request in requests.items():
            limit = limits.get(name)
            if limit is not None and request > limit:
                out.add(
                    "requests-exceed-limits",
                    path + ("requests", name),
                    f'{name} request: Invalid value: "{resources["requests"][name]}": must be less than '
                    f"or equal to {name} limit of {resources['limits'][name]}",
                    "raise the limit or lower the request; the API server rejects requests above limits",
                )
