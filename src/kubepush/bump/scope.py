"""Where a bump scoped to targets (``-t``) writes, so that no other target's render changes.

A target renders its own path plus every local kustomize base and component it
builds from. A file that only the chosen targets render is edited where the
image is written. A file that another target renders too (a shared base) is
never edited for a scoped bump; instead:

- the tag goes into the chosen target's own kustomization, as an ``images:``
  entry named like the image is named when it reaches that kustomization
  (:mod:`.kustomize_names`): an entry that already matches that name gets the
  new ``newTag``/``digest`` (its ``newName`` stays), else a new entry is added.
  kustomize's images transformer then overrides the base for this target only
  (api/filters/imagetag/updater.go in kubernetes-sigs/kustomize: a ``newTag``
  or ``digest`` replaces both the tag and the digest the base wrote, so the
  entry always carries the complete new tag and/or digest);
- where that cannot work, the bump is refused, naming the other targets: the
  target is not a kustomization (a plain directory, a Helm chart whose values
  file is shared), its own kustomization is rendered by another target too, or
  the image is not one kustomize's ``images:`` changes (only ``image`` of
  ``containers``/``initContainers`` items and kustomize ``images:`` entries -
  the legacy filter in api/filters/imagetag/legacy.go - not Helm values, not
  a custom resource's ``spec.image``, not ``ephemeralContainers``).

A refusal is a finding about the configuration (exit 1); nothing of that image
is changed, for any chosen target, so a target is never left half bumped.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kubepush.bump import plan as planner
from kubepush.bump.kustomize_names import Build
from kubepush.images.discover import discover_paths
from kubepush.images.edit import EditError
from kubepush.images.kustomization import NewEntry, entry_line
from kubepush.images.reference import InvalidReference, parse_reference
from kubepush.images.sites import ImageSite, SiteKind, ref_layout
from kubepush.manifests.affected import dependencies
from kubepush.manifests.kustomization import FILES as KUSTOMIZATION_FILES
from kubepush.model import Finding, Severity

RULE = "bump-shared-file"
#: container lists kustomize's images transformer rewrites (api/filters/imagetag/legacy.go)
KUSTOMIZE_CONTAINER_LISTS = ("containers", "initContainers")


class How(str, enum.Enum):
    IN_PLACE = "in-place"
    OVERLAY_ENTRY = "overlay-entry"
    NEW_OVERLAY_ENTRY = "new-overlay-entry"
    REFUSED = "refused"


@dataclass(frozen=True)
class Placement:
    """Where a bump of ``site`` for ``target`` writes, or why it may not."""

    site: ImageSite
    target: str
    how: How
    file: str  # the file written (the site's own, or the target's kustomization)
    line: int = 0
    name: str = ""  # the images: entry's name (overlay placements)
    entry: ImageSite | None = None  # the overlay's existing entry for that name
    shared_with: tuple[str, ...] = ()  # other targets rendering the site's file
    reason: str = ""  # why it is refused

    def to_dict(self, root: Path) -> dict[str, Any]:
        return {"target": self.target, "how": self.how.value, "file": _rel(self.file, root), "line": self.line,
                "name": self.name or None, "sharedWith": list(self.shared_with), "reason": self.reason or None}


@dataclass(frozen=True)
class TargetFiles:
    """A configured target and what it renders: its path and the local bases and components it uses."""

    name: str
    path: Path
    deps: frozenset[Path]

    def renders(self, file: str | Path) -> bool:
        return self.renders_resolved(Path(file).resolve())

    def renders_resolved(self, full: Path) -> bool:
        return full in self.deps or any(d in self.deps for d in full.parents)


def target_files(root: Path, targets: Iterable[tuple[str, str]]) -> list[TargetFiles]:
    """``(name, path)`` targets (paths relative to ``root`` or absolute) with their dependencies."""
    out = []
    for name, path in targets:
        full = (root / path).resolve()
        out.append(TargetFiles(name, full, frozenset(dependencies(full))))
    return out


def search_paths(chosen: Sequence[TargetFiles]) -> list[str]:
    """What to discover for these targets: everything they render, each file once."""
    found: set[Path] = set().union(*(t.deps for t in chosen)) if chosen else set()
    # a file inside a directory already listed would be read (and bumped) twice
    return sorted(str(p) for p in found if not any(d in p.parents for d in found))


def label(names: Sequence[str]) -> str:
    """``{target}`` for a change: the one target it concerns, ``all`` for several, "" for none."""
    return names[0] if len(names) == 1 else "all" if names else ""


class Scope:
    """The configured targets, the chosen ones, and the kustomize builds of the chosen ones.

    With no chosen target the bump is not scoped: every site is edited in place
    and only :meth:`target_of` is used.
    """

    def __init__(self, root: Path, targets: Sequence[TargetFiles], chosen: Sequence[str] = ()) -> None:
        self.root = root.resolve()
        self.targets = list(targets)
        self.chosen = [t for t in self.targets if t.name in chosen]
        self._builds: dict[str, Build | None] = {}
        self._entries: dict[str, list[ImageSite]] = {}

    def renderers(self, file: str | Path) -> list[str]:
        full = Path(file).resolve()
        return [t.name for t in self.targets if t.renders_resolved(full)]

    def target_of(self, file: str) -> str:
        """The ``target`` of an update written to ``file``: the target(s) whose render it changes."""
        names = self.renderers(file)
        chosen = [n for n in names if any(t.name == n for t in self.chosen)]
        return label(chosen or names)

    # ---- placement

    def placements(self, site: ImageSite) -> list[Placement]:
        """One placement per chosen target that renders the site's file (in place: just one)."""
        out = [self._place(site, t) for t in self.chosen if t.renders(site.file)]
        in_place = [p for p in out if p.how is How.IN_PLACE]
        return [replace(in_place[0], target=self.target_of(site.file))] if in_place else out

    def _place(self, site: ImageSite, target: TargetFiles) -> Placement:
        chosen = {t.name for t in self.chosen}
        others = tuple(n for n in self.renderers(site.file) if n not in chosen)
        if not others:
            return Placement(site, target.name, How.IN_PLACE, site.file, site.line)
        shared = f"{_rel(site.file, self.root)} is also rendered by {_targets(others)}"

        def refuse(why: str) -> Placement:
            return Placement(site, target.name, How.REFUSED, site.file, site.line, shared_with=others,
                             reason=f"{shared}; {why}")

        build = self._build(target)
        if build is None or build.file is None:
            return refuse(f"{target.name} ({_rel(target.path, self.root)}) is not a kustomization, so the image "
                          f"cannot be set for {target.name} alone")
        overlay = str(build.file)
        if Path(site.file).resolve() == build.file.resolve():
            return refuse(f"it is {target.name}'s own kustomization, so no file changes {target.name} alone")
        overlay_others = [n for n in self.renderers(overlay) if n not in chosen]
        if overlay_others:
            return refuse(f"{target.name}'s own kustomization {_rel(overlay, self.root)} is rendered by "
                          f"{_targets(overlay_others)} too")
        if not _kustomize_overrides(site):
            return refuse(f"an images: entry in {_rel(overlay, self.root)} would not change this "
                          f"{'value' if site.kind is SiteKind.HELM_VALUES else 'field'} (kustomize sets only "
                          "containers/initContainers images)")
        names = build.names_at_top(Path(site.file), _written_name(site), own_entry=site.kind is SiteKind.KUSTOMIZE)
        if len(names) != 1:
            return refuse(f"it reaches {_rel(overlay, self.root)} under {len(names)} different names "
                          f"({', '.join(sorted(names))})" if names else
                          f"it is not part of {target.name}'s kustomize build")
        name = names.pop()
        entry = next((e for e in self._overlay_entries(overlay) if _match(e) == name), None)
        if entry is not None:
            return Placement(site, target.name, How.OVERLAY_ENTRY, overlay, entry.line, name, entry, others)
        try:
            line = entry_line(Path(overlay).read_bytes(), NewEntry(_rel(overlay, self.root), name, "x", None))
        except (OSError, EditError) as exc:
            return refuse(f"an images: entry cannot be added: {exc}")
        return Placement(site, target.name, How.NEW_OVERLAY_ENTRY, overlay, line, name, shared_with=others)

    def _build(self, target: TargetFiles) -> Build | None:
        if target.name not in self._builds:
            self._builds[target.name] = Build.load(target.path) if target.path.is_dir() else None
        return self._builds[target.name]

    def _overlay_entries(self, overlay: str) -> list[ImageSite]:
        """The overlay's own images: entries, read whole (bump's text pre-filter could skip a
        renamed entry that does not mention the image being bumped)."""
        if overlay not in self._entries:
            self._entries[overlay] = [s for s in discover_paths([overlay]).sites if s.kind is SiteKind.KUSTOMIZE
                                      and s.path[:1] == ("images",)]
        return self._entries[overlay]

    # ---- plans

    def apply(self, plan: planner.Plan) -> planner.Plan:
        """``plan`` with shared sites moved to the chosen targets' overlays, or refused."""
        out = planner.Plan(up_to_date=plan.up_to_date, wanted=plan.wanted)
        findings: list[Finding] = []
        planned = {_key(u.site): u for u in plan.updates}
        in_place: dict[tuple[str, tuple[Any, ...]], planner.Update] = {}
        overlay: dict[tuple[str, str], planner.Update] = {}
        claimed: set[tuple[str, tuple[Any, ...]]] = set()  # overlay entries a shared site's bump decides
        refused: set[str] = set()
        for wanted in plan.wanted:
            for p in self.placements(wanted.site):
                if p.entry is not None:
                    claimed.add(_key(p.entry))
                if p.how is How.REFUSED:
                    findings.append(self._refusal(p, Severity.ERROR))
                    refused.add(wanted.repository)
                elif p.how is How.IN_PLACE:
                    if (u := planned.get(_key(wanted.site))) is not None:
                        in_place.setdefault(_key(wanted.site), replace(u, target=p.target))
                elif (u := self._overlay_update(p, wanted)) is not None:
                    key = (p.file, p.name)
                    if key in overlay and (overlay[key].tag, overlay[key].digest) != (u.tag, u.digest):
                        findings.append(self._refusal(replace(p, how=How.REFUSED, reason=(
                            f"{_rel(p.file, self.root)} would need two values for {p.name} "
                            f"({overlay[key].new} and {u.new}); bump the images one at a time")), Severity.ERROR))
                        refused.add(wanted.repository)
                    overlay.setdefault(key, u)
        updates = [*overlay.values(), *(u for k, u in in_place.items() if k not in claimed)]
        out.updates = [u for u in updates if u.repository not in refused]
        out.findings = [*plan.findings, *_unique(findings)]
        return out

    def _overlay_update(self, p: Placement, wanted: planner.Wanted) -> planner.Update | None:
        """The change to the overlay that makes ``p.target`` render what ``wanted`` asks for."""
        site, entry = p.site, p.entry
        overrides = entry is not None and (entry.tag or entry.digest)
        current = (entry.tag, entry.digest) if overrides and entry is not None else (site.tag, site.digest)
        tag = wanted.tag or current[0]
        digest = wanted.digest or (None if wanted.tag else current[1])
        why = f"{wanted.reason}, set in {p.target}'s overlay: {_rel(site.file, self.root)} is shared with " \
              f"{', '.join(p.shared_with)}"
        if entry is not None:
            assert entry.reference is not None  # a kustomize entry always has a name
            update = planner.update_for(entry, entry.reference, tag, digest, why, p.target)
            return replace(update, repository=wanted.repository, old=planner.show(*current)) if update else None
        if (tag, digest) == (site.tag, site.digest):
            return None  # the base already has it, and nothing in the overlay overrides it
        text = p.name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
        try:
            reference = parse_reference(text)
        except InvalidReference:  # kustomize names need not be references; the report still says where
            reference = None
        ghost = replace(site, file=p.file, document=0, kind=SiteKind.KUSTOMIZE, path=("images", p.name),
                        line=p.line, column=1, reference=reference, text=text, fields=(), entry=None)
        return planner.Update(ghost, wanted.repository, planner.show(*current), planner.show(tag, digest), tag, digest,
                              why, p.target, entry=NewEntry(p.file, p.name, tag, digest))

    def _refusal(self, p: Placement, severity: Severity) -> Finding:
        others = list(p.shared_with)
        return Finding(
            rule=RULE, severity=severity, file=p.site.file, line=p.site.line, column=p.site.column,
            object=p.site.object, path=p.site.path,
            message=f"not bumping {p.site.text} for {p.target} alone: {p.reason}",
            hint=f"give {p.target} its own kustomize overlay (an images: entry there sets the tag for it alone) "
                 f"or its own values file; or bump {' '.join(f'-t {n}' for n in [p.target, *others])} together",
        )

    def refusals(self, sites: Iterable[ImageSite]) -> list[Finding]:
        """Warnings for ``kubepush images``: sites a bump for the chosen targets would refuse."""
        return _unique(self._refusal(p, Severity.WARNING) for s in sites for p in self.placements(s)
                       if p.how is How.REFUSED)


def _kustomize_overrides(site: ImageSite) -> bool:
    """Whether an overlay's ``images:`` entry changes what this site renders."""
    if site.kind is SiteKind.KUSTOMIZE:
        return site.path[:1] == ("images",) and os.path.basename(site.file) in KUSTOMIZATION_FILES
    path = site.path
    return (site.kind is SiteKind.CONTAINER and len(path) >= 3 and path[-1] == "image"
            and isinstance(path[-2], int) and path[-3] in KUSTOMIZE_CONTAINER_LISTS)


def _written_name(site: ImageSite) -> str:
    """The image name as this site writes it (kustomize compares names as written)."""
    if site.kind is SiteKind.KUSTOMIZE:
        return (site.field("name") or site.field("match")).value  # type: ignore[union-attr]
    value = site.field("ref").value  # type: ignore[union-attr]
    return value[:ref_layout(value)[0]]


def _match(entry: ImageSite) -> str:
    scalar = entry.field("match")
    return scalar.value if scalar is not None else ""


def _key(site: ImageSite) -> tuple[str, tuple[Any, ...]]:
    return site.file, (site.document, *site.path)


def _targets(names: Sequence[str]) -> str:
    return ("target " if len(names) == 1 else "targets ") + ", ".join(names)


def _rel(path: str | Path, root: Path) -> str:
    full = Path(path).resolve()
    return os.path.relpath(full, root) if full == root or root in full.parents else str(path)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: set[tuple[str, int, str]] = set()
    out = []
    for f in findings:
        if (f.file, f.line, f.message) not in seen:
            seen.add((f.file, f.line, f.message))
            out.append(f)
    return out
