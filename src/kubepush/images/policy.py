"""Update policies: which of a repository's tags is the newest one allowed.

Modelled on Flux's ``ImagePolicy`` so a policy reads the same in both tools:

- ``semver``: the highest version satisfying an npm-style ``range`` (``^1.2``,
  ``~1.2.3``, ``>=1.0 <2``, ``1.x``, ``1.2.3 - 1.4``, ``||``). Tags are full
  ``MAJOR.MINOR.PATCH[-pre][+build]`` versions, a leading ``v`` allowed;
  floating tags like ``1.25`` or ``latest`` are never candidates. Pre-releases
  follow npm: excluded unless the range names a pre-release of the same
  ``MAJOR.MINOR.PATCH`` or ``include_prerelease`` is set.
- ``numerical`` / ``alphabetical``: order the tags (or the part ``extract``
  picks out of them) as numbers or strings. ``order: asc`` (the default, as in
  Flux) selects the highest, ``desc`` the lowest.

Every kind takes ``pattern`` (a regex a tag must match; Flux's
``filterTags.pattern``), ``extract`` (the named group of ``pattern`` to compare
instead of the whole tag: ``ts``, or Flux's ``$ts``) and ``ignore`` (tags to
skip: globs like ``*-rc*``, or ``/regex/``).

Ranges use ``node-semver`` (a port of npm's semver), not PyPI ``semver``:
the latter has no ``^``/``~``/x-range/``||`` syntax and no npm pre-release rule.

:meth:`Policy.from_dict` takes the flat form (``{"kind": "semver", "range":
"^1.2"}``) or a Flux ``ImagePolicy`` spec (``{"policy": {"semver": {"range":
"^1.2"}}, "filterTags": {...}}``). Mistakes raise :class:`PolicyError` - a
``UsageError`` naming the key and value - so a bad policy is exit code 2 with a
message, never a traceback.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kubepush.errors import UsageError

KINDS = ("semver", "numerical", "alphabetical")
ORDERS = ("asc", "desc")
_COMMON_KEYS = ("pattern", "extract", "ignore")
_KIND_KEYS = {
    "semver": ("range", "include_prerelease", *_COMMON_KEYS),
    "numerical": ("order", *_COMMON_KEYS),
    "alphabetical": ("order", *_COMMON_KEYS),
}
_ALL_KEYS = ("kind", *dict.fromkeys(k for keys in _KIND_KEYS.values() for k in keys))
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_TEMPLATE_RE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class PolicyError(UsageError):
    """A policy definition that cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class Policy:
    """One update policy; build it with :meth:`from_dict`."""

    kind: str
    range: str = ""
    include_prerelease: bool = False
    order: str = "asc"
    pattern: re.Pattern[str] | None = None
    extract: str = ""
    ignore: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "image policy") -> Policy:
        """Build and validate a policy; ``where`` prefixes error messages
        (e.g. ``kubepush.yaml: images.app.policy``)."""
        if not isinstance(data, Mapping):
            raise PolicyError(f"{where}: expected a mapping, got {type(data).__name__}")
        if "policy" in data:
            data = _from_flux_spec(data, where)
        kind = data.get("kind")
        if kind is None:
            raise PolicyError(f"{where}: missing 'kind' (one of {', '.join(KINDS)})")
        if kind not in KINDS:
            raise PolicyError(f"{where}: unknown policy kind {kind!r}{_did_you_mean(kind, KINDS)}")
        for key in data:
            if key == "kind" or key in _KIND_KEYS[kind]:
                continue
            if key in _ALL_KEYS:
                takes = ", ".join(_KIND_KEYS[kind])
                raise PolicyError(f"{where}: key {key!r} does not apply to kind {kind!r} (it takes: {takes})")
            raise PolicyError(f"{where}: unknown key {key!r}{_did_you_mean(key, _ALL_KEYS)}")
        pattern = _compile_pattern(data.get("pattern"), where)
        policy = cls(
            kind=kind,
            range=_range(data, where) if kind == "semver" else "",
            include_prerelease=_bool(data, "include_prerelease", where),
            order=_choice(data, "order", ORDERS, where),
            pattern=pattern,
            extract=_extract_group(data.get("extract"), pattern, where),
            ignore=_ignore_list(data.get("ignore"), where),
        )
        return policy

    def select(self, tags: Iterable[str]) -> str | None:
        """The newest allowed tag, or None. Input order never matters: ties
        (``1.2.3`` vs ``v1.2.3``) are broken by the tag string."""
        ranked = self.rank(tags)
        return ranked[0] if ranked else None

    def rank(self, tags: Iterable[str]) -> list[str]:
        """All allowed tags, newest first (for reports: what else was eligible)."""
        keyed = []
        for tag in set(tags):
            if not isinstance(tag, str) or self._ignored(tag):
                continue
            value = self._value(tag)
            key = None if value is None else self._key(value)
            if key is not None:
                keyed.append((key, tag))
        keyed.sort(reverse=self.order == "asc")
        return [tag for _, tag in keyed]

    def describe(self) -> str:
        """One line for reports: ``semver '^1.2' (no pre-releases), ignoring '*-rc*'``."""
        if self.kind == "semver":
            pre = "pre-releases included" if self.include_prerelease else "no pre-releases"
            text = f"semver {self.range!r} ({pre})"
        else:
            text = f"{self.kind} order, {'highest' if self.order == 'asc' else 'lowest'} wins"
        if self.pattern is not None:
            what = f"group {self.extract!r} of" if self.extract else "tags matching"
            text += f", comparing {what} /{self.pattern.pattern}/"
        if self.ignore:
            text += ", ignoring " + ", ".join(repr(i) for i in self.ignore)
        return text

    def _ignored(self, tag: str) -> bool:
        for rule in self.ignore:
            if rule.startswith("/") and rule.endswith("/") and len(rule) > 1:
                if re.search(rule[1:-1], tag):
                    return True
            elif fnmatch.fnmatchcase(tag, rule):
                return True
        return False

    def _value(self, tag: str) -> str | None:
        if self.pattern is None:
            return tag
        match = self.pattern.search(tag)
        if match is None:
            return None
        return match.group(self.extract) if self.extract else tag

    def _key(self, value: str) -> tuple[Any, ...] | None:
        if self.kind == "alphabetical":
            return (value,)
        if self.kind == "numerical":
            return (Decimal(value),) if _NUMBER_RE.fullmatch(value) else None
        return self._semver_key(value)

    def _satisfies(self, version: Any) -> bool:
        """npm's rule, including npm >= 7's ``<2.0.0-0`` upper bound for
        ``^1``/``~1.2``/``1.x``: with ``include_prerelease`` a pre-release also
        needs its release to be in range, so ``^1`` never selects ``2.0.0-rc.1``
        (the node-semver port still desugars ``^1`` to ``<2.0.0``)."""
        rng = _semver_range(self.range)
        if rng.test(version):
            return True
        if not (self.include_prerelease and version.prerelease):
            return False
        return bool(rng.test(version, include_prerelease=True) and rng.test(_release_of(version)))

    def _semver_key(self, value: str) -> tuple[Any, ...] | None:
        import nodesemver

        if value != value.strip():
            return None
        try:
            version = nodesemver.make_semver(value, loose=False)
        except (ValueError, TypeError):
            return None
        if not self._satisfies(version):
            return None
        # SemVer 2.0 precedence: a release sorts after its pre-releases;
        # numeric identifiers sort before alphanumeric ones.
        pre = version.prerelease
        pre_key = (1,) if not pre else (0, *((0, p, "") if isinstance(p, int) else (1, 0, p) for p in pre))
        return (version.major, version.minor, version.patch, pre_key)


@functools.lru_cache(maxsize=256)
def _release_of(version: Any) -> Any:
    import nodesemver

    return nodesemver.make_semver(f"{version.major}.{version.minor}.{version.patch}", loose=False)


def _semver_range(text: str) -> Any:
    import nodesemver

    return nodesemver.make_range(text, loose=False)


def _from_flux_spec(spec: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Translate a Flux ImagePolicy spec into the flat form."""
    policy = spec["policy"]
    if not isinstance(policy, Mapping) or len(policy) != 1:
        raise PolicyError(f"{where}: 'policy' must hold exactly one of {', '.join(KINDS)}")
    (kind, params), = policy.items()
    params = params if params is not None else {}
    if not isinstance(params, Mapping):
        raise PolicyError(f"{where}: policy.{kind} must be a mapping, got {type(params).__name__}")
    flat: dict[str, Any] = {"kind": kind, **params}
    filter_tags = spec.get("filterTags") or {}
    if not isinstance(filter_tags, Mapping):
        raise PolicyError(f"{where}: 'filterTags' must be a mapping with pattern/extract")
    flat.update(filter_tags)
    for key, value in spec.items():
        if key not in ("policy", "filterTags", "imageRepositoryRef"):
            flat[key] = value  # ignore/... pass through and get validated
    return flat


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else f" (expected one of {', '.join(choices)})"


def _range(data: Mapping[str, Any], where: str) -> str:
    value = data.get("range")
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}: semver policy needs 'range' as a non-empty string, e.g. '^1.2'; got {value!r}")
    try:
        _semver_range(value)
    except (ValueError, TypeError) as exc:
        raise PolicyError(f"{where}: range {value!r} is not a valid semver range ({exc})") from None
    return value


def _bool(data: Mapping[str, Any], key: str, where: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise PolicyError(f"{where}: {key!r} must be true or false, got {value!r}")
    return value


def _choice(data: Mapping[str, Any], key: str, choices: tuple[str, ...], where: str) -> str:
    value = data.get(key, choices[0])
    if not isinstance(value, str) or value not in choices:
        raise PolicyError(f"{where}: {key!r} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _compile_pattern(value: Any, where: str) -> re.Pattern[str] | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise PolicyError(f"{where}: 'pattern' must be a non-empty regular expression string, got {value!r}")
    try:
        return re.compile(value)
    except re.error as exc:
        raise PolicyError(f"{where}: 'pattern' {value!r} is not a valid regular expression: {exc}") from None


def _extract_group(value: Any, pattern: re.Pattern[str] | None, where: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise PolicyError(f"{where}: 'extract' must be a group name string, got {value!r}")
    if pattern is None:
        raise PolicyError(f"{where}: 'extract' {value!r} needs a 'pattern' with that named group")
    template = _TEMPLATE_RE.fullmatch(value)
    name = (template.group(1) or template.group(2)) if template else value
    if name not in pattern.groupindex:
        groups = ", ".join(pattern.groupindex) or "none"
        raise PolicyError(
            f"{where}: 'extract' names group {name!r}, but pattern /{pattern.pattern}/ has "
            f"named groups: {groups} (write (?P<{name}>...))"
        )
    return name


def _ignore_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise PolicyError(f"{where}: 'ignore' must be a list of tag globs or /regexes/, got {value!r}")
    rules = tuple(value)
    for rule in rules:
        if not isinstance(rule, str) or not rule:
            raise PolicyError(f"{where}: 'ignore' entries must be non-empty strings, got {rule!r}")
        if rule.startswith("/") and rule.endswith("/") and len(rule) > 1:
            try:
                re.compile(rule[1:-1])
            except re.error as exc:
                raise PolicyError(f"{where}: 'ignore' entry {rule!r} is not a valid regex: {exc}") from None
    return rules
