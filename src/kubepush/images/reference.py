"""Container image references, parsed exactly like ``docker/distribution``.

The ``bump`` stage reads image strings out of manifests, asks a registry about
them and writes a new tag back. All three steps must agree with the container
runtime on what a string means, so acceptance here is the distribution
``reference`` package's grammar and normalisation (``ParseNormalizedNamed``)::

    reference        := name [ ":" tag ] [ "@" digest ]
    name             := [domain "/"] path-component ["/" path-component]*
    domain           := host [":" port-number]
    host             := domain-name | "[" IPv6address "]"
    domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
    path-component   := alpha-numeric [separator alpha-numeric]*
    alpha-numeric    := /[a-z0-9]+/
    separator        := /[_.]|__|[-]+/
    tag              := /[\\w][\\w.-]{0,127}/
    digest           := algorithm ":" hex   ; sha256/sha384/sha512, lowercase hex
                                            ; of exactly the algorithm's length

Docker Hub normalisation: a first component is a registry only if it contains
``.`` or ``:``, is ``localhost``, or has uppercase letters; otherwise the image
is on ``docker.io``, and single-component names there live under ``library/``
(``nginx`` -> ``docker.io/library/nginx``). ``index.docker.io`` is folded into
``docker.io``. A bare 64-hex string is refused (it is an image ID, not a name).

Acceptance is decided by the grammar regexes alone; the component checks in
:func:`_reason` only run after a rejection, to tell the user *why* in words.
Invalid input raises :class:`InvalidReference`, which callers turn into a
finding rather than a crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

DEFAULT_REGISTRY = "docker.io"
LEGACY_DEFAULT_REGISTRY = "index.docker.io"
OFFICIAL_PREFIX = "library/"
MAX_TAG_LENGTH = 128
MAX_PATH_LENGTH = 255
# Algorithms distribution registers (crypto/sha256, crypto/sha512) and the
# hex length each one's encoded part must have.
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

# re.ASCII: Go's \w is [0-9A-Za-z_]; fullmatch: Go anchors with ^...$ on the
# whole string (Python's $ would also accept a trailing newline).
_REFERENCE_RE = re.compile(
    rf"((?:{_DOMAIN}/)?{_REMOTE_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII
)
_NAME_RE = re.compile(rf"(?:({_DOMAIN})/)?({_REMOTE_NAME})", re.ASCII)
_TAG_RE = re.compile(_TAG, re.ASCII)
_DIGEST_RE = re.compile(_DIGEST, re.ASCII)
_DOMAIN_RE = re.compile(_DOMAIN, re.ASCII)
_PATH_COMPONENT_RE = re.compile(_PATH_COMPONENT, re.ASCII)
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}")


class InvalidReference(ValueError):
    """A string that is not a valid image reference, with the reason in words."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"invalid image reference {value!r}: {reason}")
        self.value = value
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed, normalised image reference.

    ``registry`` and ``repository`` are always normalised (``docker.io`` and
    ``library/nginx`` for ``nginx``); ``tag`` and ``digest`` are ``None`` when
    absent (no implicit ``latest``: the bump stage must know the tag was
    missing). ``original`` is the string as written - for a reference derived
    with :meth:`with_tag`/:meth:`with_digest` it is the same name as written
    with the new tag/digest, which is what an editor puts back into the file.
    It is left out of equality: ``nginx`` and ``docker.io/library/nginx`` are
    the same reference.
    """

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None
    original: str = field(default="", compare=False)

    @property
    def name(self) -> str:
        """Fully qualified name without tag/digest: ``docker.io/library/nginx``."""
        return f"{self.registry}/{self.repository}"

    @property
    def familiar_name(self) -> str:
        """The short name people write: ``nginx``, ``user/app``, ``ghcr.io/o/app``."""
        if self.registry != DEFAULT_REGISTRY:
            return self.name
        remainder = self.repository.removeprefix(OFFICIAL_PREFIX)
        short = remainder if remainder != self.repository and "/" not in remainder else self.repository
        # Unlike distribution's FamiliarName, never return a name that reads
        # back differently: "docker.io/a.b/c" is not "a.b/c" (a.b is a host),
        # and a bare 64-hex name would be taken for an image ID.
        if _IDENTIFIER_RE.fullmatch(short):
            return self.repository
        if _split_docker_domain(short) != (self.registry, self.repository):
            return self.name
        return short

    @property
    def canonical(self) -> str:
        """Fully qualified form: ``docker.io/library/nginx:1.25@sha256:...``."""
        return self.name + self._suffix()

    @property
    def familiar(self) -> str:
        """Docker UI form: ``nginx:1.25``, ``user/app@sha256:...``."""
        return self.familiar_name + self._suffix()

    def with_tag(self, tag: str) -> ImageRef:
        """The same repository at ``tag``, with any digest dropped.

        The digest is dropped on purpose: runtimes pull by digest and ignore the
        tag, so keeping the old digest next to a new tag would silently keep
        running the old image. Pin the new tag with :meth:`with_digest`.
        """
        if not _TAG_RE.fullmatch(tag):
            raise InvalidReference(tag, _tag_reason(tag))
        return self._derive(tag=tag, digest=None)

    def with_digest(self, digest: str) -> ImageRef:
        """The same repository and tag pinned to ``digest`` (``tag@digest``)."""
        reason = digest_reason(digest)
        if reason:
            raise InvalidReference(digest, reason)
        return self._derive(tag=self.tag, digest=digest)

    def same_repository(self, other: ImageRef) -> bool:
        """Whether both name the same repository once normalised.

        ``nginx:1`` and ``docker.io/library/nginx@sha256:...`` do; registries
        are compared case-insensitively (host names are), repositories exactly.
        """
        return self.repository == other.repository and (
            self.registry.lower() == other.registry.lower()
        )

    def __str__(self) -> str:
        return self.original or self.canonical

    def _suffix(self) -> str:
        tag = f":{self.tag}" if self.tag is not None else ""
        digest = f"@{self.digest}" if self.digest is not None else ""
        return tag + digest

    def _derive(self, *, tag: str | None, digest: str | None) -> ImageRef:
        written = _written_name(self.original) if self.original else self.familiar_name
        derived = replace(self, tag=tag, digest=digest, original="")
        return replace(derived, original=written + derived._suffix())


def parse_reference(value: str) -> ImageRef:
    """Parse ``value`` like distribution's ``ParseNormalizedNamed``.

    Raises :class:`InvalidReference` with a precise reason when it is not a
    valid reference.
    """
    if not isinstance(value, str):
        raise InvalidReference(repr(value), f"expected a string, got {type(value).__name__}")
    if _IDENTIFIER_RE.fullmatch(value):
        raise InvalidReference(
            value,
            "a 64-character hexadecimal string is an image ID, not a repository name",
        )
    registry, remainder = _split_docker_domain(value)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise InvalidReference(value, f"repository name {remote!r} must be lowercase")
    match = _REFERENCE_RE.fullmatch(f"{registry}/{remainder}")
    if match is None:
        raise InvalidReference(value, _reason(value))
    name, tag, digest = match.groups()
    name_match = _NAME_RE.fullmatch(name)
    assert name_match is not None  # the reference regex embeds the name regex
    domain, path = name_match.groups()
    if domain is None:
        # The first component was taken for a host (it has '.' or ':') but is
        # not a valid one; distribution would keep it with an empty domain,
        # which no runtime resolves the same way. Refuse it with the reason.
        raise InvalidReference(value, _reason(value))
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidReference(
            value, f"repository name is {len(path)} characters, at most {MAX_PATH_LENGTH} allowed"
        )
    if digest is not None:
        reason = digest_reason(digest)
        if reason:
            raise InvalidReference(value, reason)
    return ImageRef(registry=domain, repository=path, tag=tag, digest=digest, original=value)


def _split_docker_domain(value: str) -> tuple[str, str]:
    """distribution's splitDockerDomain: (registry, remainder incl. tag/digest)."""
    first, slash, rest = value.partition("/")
    if not slash:
        return DEFAULT_REGISTRY, OFFICIAL_PREFIX + value
    if first == "localhost" or any(c in first for c in ".:") or first.lower() != first:
        registry, remainder = first, rest
        if first == LEGACY_DEFAULT_REGISTRY:
            registry = DEFAULT_REGISTRY
    else:
        registry, remainder = DEFAULT_REGISTRY, value
    if registry == DEFAULT_REGISTRY and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return registry, remainder


def _written_name(original: str) -> str:
    """The name part of a reference string as written (without tag/digest)."""
    name = original.split("@", 1)[0]
    last_colon = name.rfind(":")
    if last_colon > name.rfind("/"):
        name = name[:last_colon]
    return name


def digest_reason(digest: str) -> str:
    """Why ``digest`` is not valid (go-digest's rules), or '' if it is."""
    algorithm, colon, encoded = digest.partition(":")
    if not colon or not algorithm or not encoded:
        return f"digest {digest!r} must be <algorithm>:<hex>, e.g. sha256:<64 hex digits>"
    if algorithm not in DIGEST_HEX_LENGTHS:
        if not _DIGEST_RE.fullmatch(digest):
            return f"digest {digest!r} is malformed (algorithm letters/digits, then ':' and hex)"
        known = ", ".join(DIGEST_HEX_LENGTHS)
        return f"digest algorithm {algorithm!r} is not supported (use one of {known})"
    want = DIGEST_HEX_LENGTHS[algorithm]
    if len(encoded) != want:
        return f"{algorithm} digest must have {want} hex digits, got {len(encoded)}"
    if not re.fullmatch(r"[a-f0-9]+", encoded):
        return f"{algorithm} digest must be lowercase hexadecimal (0-9, a-f)"
    return ""


def _tag_reason(tag: str) -> str:
    if not tag:
        return "tag is empty"
    if len(tag) > MAX_TAG_LENGTH:
        return f"tag is {len(tag)} characters, at most {MAX_TAG_LENGTH} allowed"
    if not re.match(r"\w", tag, re.ASCII):
        return f"tag {tag!r} must start with a letter, digit or '_'"
    bad = sorted({c for c in tag if not re.fullmatch(r"[\w.-]", c, re.ASCII)})
    return f"tag {tag!r} contains invalid characters {''.join(bad)!r} (allowed: A-Z a-z 0-9 _ . -)"


def _reason(value: str) -> str:
    """Explain a grammar rejection component by component."""
    if not value:
        return "reference is empty"
    if any(c.isspace() for c in value):
        return "reference contains whitespace"
    if "://" in value:
        return "a reference has no URL scheme: drop the 'https://' (or similar) prefix"
    if value.count("@") > 1:
        return "reference contains more than one '@'"
    name_tag, at, digest = value.partition("@")
    if at:
        reason = digest_reason(digest) if digest else "'@' is not followed by a digest"
        if reason:
            return reason
    name, tag = name_tag, None
    last_colon = name_tag.rfind(":")
    if last_colon > name_tag.rfind("/"):
        name, tag = name_tag[:last_colon], name_tag[last_colon + 1 :]
    if tag is not None and not _TAG_RE.fullmatch(tag):
        return _tag_reason(tag)
    registry, path = _split_docker_domain(name)
    if not _DOMAIN_RE.fullmatch(registry):
        return f"registry host {registry!r} is not a valid host[:port]"
    for component in path.split("/"):
        if not component:
            return f"repository name {path!r} has an empty path component ('//' or a trailing '/')"
        if not _PATH_COMPONENT_RE.fullmatch(component):
            return (
                f"repository path component {component!r} is invalid: use lowercase letters and "
                "digits, separated by one '.', one or two '_' or any number of '-', "
                "not at the start or end"
            )
    return "does not match the image reference grammar name[:tag][@digest]"
