"""invalid-port: port numbers (1-65535), named ports (IANA_SVC_NAME) and the NodePort range."""

from __future__ import annotations

from typing import Any

from kubepush import lazy_re

from .base import Emitter, Path, memoize

_PORT_NAME_CHARS = lazy_re.compile("[-a-z0-9]+")
_HAS_LETTER = lazy_re.compile("[a-z]")
RANGE_MSG = "must be between 1 and 65535, inclusive"


@memoize
def port_name_errors(name: str) -> tuple[str, ...]:
    """``IsValidPortName``: what makes ``name`` an invalid IANA service name."""
    errs = []
    if len(name) > 15:
        errs.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.fullmatch(name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _HAS_LETTER.search(name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name[:1] == "-" or name[-1:] == "-":
        errs.append("must not begin or end with a hyphen")
    return tuple(errs)


def check_port_number(out: Emitter, obj: dict[str, Any], field: str, path: Path, *, zero_ok: bool = False) -> None:
    """``obj[field]`` must be an integer port (0 allowed for optional fields that mean 'unset')."""
    value = obj.get(field)
    if type(value) is int and not (1 <= value <= 65535) and not (zero_ok and value == 0):
        out.add("invalid-port", path + (field,), f"{field}: Invalid value: {value}: {RANGE_MSG}")


def check_int_or_name(out: Emitter, obj: dict[str, Any], field: str, path: Path) -> None:
    """A port given as number or as the name of a container port (probes, targetPort, policies)."""
    value = obj.get(field)
    if type(value) is int:
        if not 1 <= value <= 65535:
            out.add("invalid-port", path + (field,), f"{field}: Invalid value: {value}: {RANGE_MSG}")
    elif type(value) is str:
        errs = port_name_errors(value)
        if errs:
            hint = (
                f"write {value} without quotes to use a port number; a string is a port name"
                if value.isdigit()
                else "port names are IANA service names: at most 15 lowercase letters, digits and '-'"
            )
            out.add(
                "invalid-port",
                path + (field,),
                f'{field}: Invalid value: "{value}": {"; ".join(errs)}',
                hint,
            )


def check_port_name(out: Emitter, obj: dict[str, Any], path: Path) -> None:
    """A container port's ``name``: an IANA service name (Services refer to it)."""
    value = obj.get("name")
    if type(value) is str and value:
        errs = port_name_errors(value)
        if errs:
            out.add("invalid-port", path + ("name",), f'name: Invalid value: "{value}": {"; ".join(errs)}')
