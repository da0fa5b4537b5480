"""What bump should change: pure functions from image sites to updates.

Two ways in, one shape out. From an application pipeline, ``--image
ghcr.io/acme/shop:1.4.2`` moves every reference to that repository to the given
tag (and/or digest). By registry policy, each site governed by a policy moves to
the newest tag the policy allows among the tags the registry lists. Either way
the result is a list of :class:`Update` (one per site that must change) plus the
sites already up to date; no files, no network - the caller fetched the tags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubepush.errors import UsageError
from kubepush.images.edit import Edit
from kubepush.images.kustomization import NewEntry
from kubepush.images.policy import Policy
from kubepush.images.reference import ImageRef, InvalidReference, parse_reference
from kubepush.images.sites import ImageSite
from kubepush.model import Finding, Severity

#: keys of a ``bump.policies`` entry that are not part of the policy itself
_ENTRY_KEYS = ("image", "name", "pinDigest")


@dataclass(frozen=True, slots=True)
class Update:
    """One site moving from what is written to a new tag and/or digest."""

    site: ImageSite
    repository: str  # normalised name, e.g. docker.io/library/nginx
    old: str  # the tag (or digest) as written, for reports
    new: str  # the new tag (or digest), for reports
    tag: str | None
    digest: str | None
    reason: str  # "requested by --image" or the policy's description
    target: str = ""
    entry: NewEntry | None = None  # an images: entry to add (``site`` then says where it will be)

    def edit(self) -> Edit | NewEntry:
        return self.entry or Edit(self.site, tag=self.tag, digest=self.digest)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.site.file, "line": self.site.line, "image": self.repository, "old": self.old,
                "new": self.new, "reason": self.reason, "target": self.target, "kind": self.site.kind.value}


@dataclass(frozen=True, slots=True)
class Wanted:
    """What a site was asked to become (``None``: keep), current or not: a target-scoped bump
    applies it to what the target renders, which an overlay may set instead of the site."""

    site: ImageSite
    repository: str
    tag: str | None
    digest: str | None
    reason: str


@dataclass(slots=True)
class Plan:
    """Updates to make, sites already current, and problems found while planning."""

    updates: list[Update] = field(default_factory=list)
    up_to_date: list[ImageSite] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    wanted: list[Wanted] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """A ``bump.policies`` entry: which images it governs and how they move."""

    policy: Policy
    image: ImageRef | None  # repository it governs (None: only sites whose marker names it)
    name: str  # the Flux ImagePolicy "namespace:name" markers refer to
    pin_digest: bool


def parse_requested(values: Sequence[str]) -> list[ImageRef]:
    """``--image`` values: each needs a tag or a digest (bumping to nothing is a mistake)."""
    refs = []
    for value in values:
        try:
            ref = parse_reference(value)
        except InvalidReference as exc:
            raise UsageError(f"--image {value!r}: {exc.reason}") from None
        if not ref.tag and not ref.digest:
            raise UsageError(f"--image {value!r}: give the new tag or digest, e.g. {ref.familiar_name}:1.2.3")
        refs.append(ref)
    return refs


def parse_policies(entries: Iterable[Mapping[str, Any]]) -> list[PolicyRule]:
    """``bump.policies`` from kubepush.yaml; errors name the entry."""
    rules = []
    for i, entry in enumerate(entries):
        where = f"kubepush.yaml: bump.policies[{i}]"
        if not entry.get("image") and not entry.get("name"):
            raise UsageError(f"{where}: give the image it governs (image: ghcr.io/acme/shop) and/or the name "
                             "markers use (name: flux-system:shop)")
        image = None
        if entry.get("image"):
            try:
                image = parse_reference(entry["image"])
            except InvalidReference as exc:
                raise UsageError(f"{where}.image: {exc.reason}") from None
        body = {k: v for k, v in entry.items() if k not in _ENTRY_KEYS}
        rules.append(PolicyRule(Policy.from_dict(body, where=where), image, entry.get("name", ""),
                                bool(entry.get("pinDigest", False))))
    return rules


def plan_requested(sites: Iterable[ImageSite], requested: Sequence[ImageRef],
                   target_of: Callable[[str], str] = lambda f: "") -> Plan:
    """Move every site of each requested repository to its tag/digest."""
    plan = Plan()
    matched: set[str] = set()
    for site in sites:
        ref = site.reference
        if ref is None:
            continue
        for want in requested:
            if not ref.same_repository(want):
                continue
            matched.add(want.name)
            _add(plan, site, ref, want.tag, want.digest, "requested by --image", target_of(site.file))
    for want in requested:
        if want.name not in matched:
            plan.findings.append(Finding(
                rule="image-not-found", severity=Severity.ERROR,
                message=f"no reference to {want.familiar_name} found (searched the targets' files)",
                hint="check the image name (registry and path must match what the manifests say), "
                     "or run `kubepush images` to list what is there",
            ))
    return plan


def plan_policies(sites: Iterable[ImageSite], rules: Sequence[PolicyRule], tags: Mapping[str, list[str] | Exception],
                  digest_of: Callable[[ImageRef, str], str] | None = None,
                  target_of: Callable[[str], str] = lambda f: "") -> Plan:
    """Move each governed site to the newest tag its policy allows.

    ``tags`` maps a repository name to its tags, or to the error listing them raised
    (reported per site instead of failing the whole run).
    """
    plan = Plan()
    for site in sites:
        ref = site.reference
        rule = governing(site, rules)
        if ref is None or rule is None:
            continue
        listed = tags.get(ref.name)
        if isinstance(listed, Exception) or listed is None:
            plan.findings.append(_site_finding(site, "registry-error", f"cannot list tags of {ref.name}: {listed}"))
            continue
        newest = rule.policy.select(listed)
        if newest is None:
            plan.findings.append(_site_finding(
                site, "no-matching-tag", f"no tag of {ref.familiar_name} satisfies {rule.policy.describe()}",
                Severity.WARNING))
            continue
        digest = digest_of(ref, newest) if rule.pin_digest and digest_of else None
        _add(plan, site, ref, newest, digest, rule.policy.describe(), target_of(site.file))
    return plan


def governing(site: ImageSite, rules: Sequence[PolicyRule]) -> PolicyRule | None:
    """The rule for a site: the one its marker names first, else the one for its repository."""
    if site.policy:
        for rule in rules:
            if rule.name and rule.name == site.policy:
                return rule
    ref = site.reference
    if ref is not None:
        for rule in rules:
            if rule.image is not None and rule.image.same_repository(ref):
                return rule
    return None


def repositories(sites: Iterable[ImageSite], rules: Sequence[PolicyRule]) -> list[ImageRef]:
    """One reference per governed repository: what to ask the registry about, once each."""
    seen: dict[str, ImageRef] = {}
    for site in sites:
        if site.reference is not None and governing(site, rules) is not None:
            seen.setdefault(site.reference.name, site.reference)
    return list(seen.values())


def _add(plan: Plan, site: ImageSite, ref: ImageRef, tag: str | None, digest: str | None, reason: str,
         target: str) -> None:
    plan.wanted.append(Wanted(site, ref.name, tag, digest, reason))
    update = update_for(site, ref, tag, digest, reason, target)
    if update is None:
        plan.up_to_date.append(site)
    elif site.locked:
        plan.findings.append(_site_finding(site, "image-encrypted", f"{ref.familiar_name} is not bumped to "
                                           f"{update.new}: it is {site.locked}"))
    else:
        plan.updates.append(update)


def update_for(site: ImageSite, ref: ImageRef, tag: str | None, digest: str | None, reason: str,
               target: str) -> Update | None:
    """The update moving ``site`` (written as ``ref``) to ``tag``/``digest``; None when it has them."""
    new_tag = tag if tag and tag != ref.tag else None
    new_digest = digest if digest and digest != ref.digest else None
    if new_tag is not None and ref.digest:
        # a pinned site moving to a new tag names its digest either way: the new tag's, even when it
        # is the pin already (a retag of the same image), or "" to drop a pin the new tag must not keep
        new_digest = digest or ""
    if new_tag is None and new_digest is None:
        return None
    return Update(site, ref.name, show(ref.tag, ref.digest), show(tag or ref.tag, digest), new_tag, new_digest,
                  reason, target)


def show(tag: str | None, digest: str | None) -> str:
    """``tag@digest`` as reports show it."""
    return "@".join(p for p in (tag, digest) if p) or "(none)"


def _site_finding(site: ImageSite, rule: str, message: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(rule=rule, severity=severity, message=message, file=site.file, line=site.line,
                   column=site.column, object=site.object, path=site.path)
