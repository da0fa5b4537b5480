"""Flux image-automation setter markers: ``# {"$imagepolicy": "ns:policy[:field]"}``.

Teams migrating from Flux keep their repositories as they are, so a marker means
here exactly what it means to Flux's image-automation-controller (Setters
strategy, kyaml ``fieldmeta``): the line comment of a scalar, whose text after
the ``#`` is a JSON object with a ``$imagepolicy`` string, names the
``ImagePolicy`` whose latest image the scalar must hold. The value is
``<namespace>:<policy>`` for the whole reference (``name:tag``, or
``name:tag@digest`` when the policy reflects digests), or with a suffix for one
part of it:

- ``:tag`` - the tag only,
- ``:name`` - the image name (registry/repository) only,
- ``:digest`` - the digest only (``sha256:...``).

A comment that is not a JSON object, or has no ``$imagepolicy`` key, is an
ordinary comment (Flux ignores it too). A ``$imagepolicy`` whose value Flux
would never match (no namespace, unknown suffix) raises :class:`InvalidMarker`
so discovery can report it: Flux silently ignores those, which is how a typo
leaves an image un-updated for months.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: Flux screens files for this exact token (with the quotes) before parsing them.
TOKEN = '"$imagepolicy"'
SHORTHAND = "$imagepolicy"
#: marker suffix -> the part of the reference the marked scalar holds
FIELDS = {"": "ref", "tag": "tag", "name": "name", "digest": "digest"}


class InvalidMarker(ValueError):
    """An ``$imagepolicy`` comment Flux would ignore; the message says why."""


@dataclass(frozen=True, slots=True)
class Marker:
    """One parsed marker: ``ns:policy`` plus the part of the image it sets."""

    namespace: str
    name: str
    suffix: str = ""  # "", "tag", "name" or "digest"

    @property
    def policy(self) -> str:
        """``namespace:name`` - how Flux names the setter and how we report it."""
        return f"{self.namespace}:{self.name}"

    @property
    def role(self) -> str:
        """Which part of the reference the marked scalar holds: ref, tag, name, digest."""
        return FIELDS[self.suffix]

    def __str__(self) -> str:
        return self.policy + (f":{self.suffix}" if self.suffix else "")


def parse_comment(comment: str) -> Marker | None:
    """The marker in one comment's text (with or without the ``#``), or None.

    Like kyaml, leading ``#`` are stripped and the rest must be a JSON object;
    anything else is an ordinary comment.
    """
    body = comment.lstrip("#").strip()
    if not body.startswith("{") or SHORTHAND not in body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or SHORTHAND not in data:
        return None
    value = data[SHORTHAND]
    if not isinstance(value, str):
        raise InvalidMarker(f"{SHORTHAND} must be a string like \"namespace:policy\", got {value!r}")
    return parse_value(value)


def parse_value(value: str) -> Marker:
    """Parse ``namespace:policy[:tag|:name|:digest]``; raise InvalidMarker otherwise."""
    parts = value.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise InvalidMarker(
            f"{SHORTHAND} {value!r} must be \"<namespace>:<policy>\" with an optional "
            "\":tag\", \":name\" or \":digest\" suffix"
        )
    suffix = parts[2] if len(parts) == 3 else ""
    if suffix not in FIELDS or (len(parts) == 3 and not suffix):
        raise InvalidMarker(
            f"{SHORTHAND} {value!r} has an unknown suffix {suffix!r}: use \":tag\", \":name\" or \":digest\""
        )
    return Marker(parts[0], parts[1], suffix)


def line_comment(text: str, end: int) -> str | None:
    """The comment that follows position ``end`` on the same line, if only blanks come between.

    ``end`` is where a scalar's token ends; this is the comment kyaml attaches to
    that scalar as its line comment.
    """
    i = end
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    if i >= n or text[i] != "#" or (i == end and end > 0):
        # YAML needs a blank before '#' for it to start a comment.
        return None
    stop = i
    while stop < n and text[stop] not in "\r\n":
        stop += 1
    return text[i:stop]
