"""invalid-int-or-percent: rollout and disruption budgets given as integer or percentage.

``maxSurge``, ``maxUnavailable`` and ``minAvailable`` are IntOrString: a non-negative
integer, or a string of digits ending in '%'. A quoted number ("25") is a string and
the API server rejects it, as it rejects a percentage over 100% where one is a share.
"""

from __future__ import annotations

from typing import Any

from kubepush import lazy_re

from .base import Emitter, Path

_PERCENT = lazy_re.compile(r"[0-9]+%")
PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%')"


def int_or_percent(value: object) -> int | None:
    """The integer or the percentage of a valid IntOrString value, None if it is not valid."""
    if type(value) is int:
        return value if value >= 0 else None
    if type(value) is str and _PERCENT.fullmatch(value):
        return int(value[:-1])
    return None


def check_int_or_percent(
    out: Emitter, obj: dict[str, Any], field: str, path: Path, *, at_most_100: bool = False
) -> object:
    """Report ``obj[field]`` unless it is a valid IntOrString; return it when valid (else None)."""
    value = obj.get(field)
    if value is None or type(value) not in (int, str):
        return None  # absent, or a type the schema layer reports
    number = int_or_percent(value)
    where = path + (field,)
    if number is None:
        if type(value) is int:
            out.add(
                "invalid-int-or-percent", where, f"{field}: Invalid value: {value}: must be greater than or equal to 0"
            )
        else:
            hint = f"write {value} without quotes for a number of pods" if value.isdigit() else ""
            out.add("invalid-int-or-percent", where, f'{field}: Invalid value: "{value}": {PERCENT_MSG}', hint)
        return None
    if at_most_100 and type(value) is str and number > 100:
        out.add("invalid-int-or-percent", where, f'{field}: Invalid value: "{value}": must not be greater than 100%')
        return None
    return value


def check_rolling_update(out: Emitter, rolling: object, path: Path, *, surge: bool) -> None:
    """A rollingUpdate block: maxUnavailable (and maxSurge), not both zero."""
    if type(rolling) is not dict:
        return
    unavailable = check_int_or_percent(out, rolling, "maxUnavailable", path, at_most_100=True)
    if not surge:
        return
    max_surge = check_int_or_percent(out, rolling, "maxSurge", path)
    if (
        unavailable is not None
        and max_surge is not None
        and int_or_percent(unavailable) == int_or_percent(max_surge) == 0
    ):
        out.add(
            "invalid-int-or-percent",
            path + ("maxUnavailable",),
            "maxUnavailable: Invalid value: may not be 0 when `maxSurge` is 0",
            "a rollout could never make progress: allow at least one surge or one unavailable pod",
        )
