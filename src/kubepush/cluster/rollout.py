"""The rollout order of one target, from the objects' annotations: waves and hooks (pure, no API).

Teams moving from Argo CD keep their annotations: ``argocd.argoproj.io/sync-wave`` counts as
``kubepush.dev/wave`` when kubepush's own is absent, and ``argocd.argoproj.io/hook`` /
``hook-delete-policy`` map onto kubepush's hooks (Argo CD's documented semantics:
https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/ and
https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/):

* a **wave** is an integer (negative allowed, default 0); waves apply in ascending order, each
  healthy before the next starts. One wave - no annotation anywhere - is the plain apply.
* a **hook** is not part of the normal set: ``pre-apply`` (Argo CD ``PreSync``) runs before the
  first wave, ``apply`` (``Sync``) with its wave, after that wave's objects are applied,
  ``post-apply`` (``PostSync``) after the last wave is healthy, ``on-failure`` (``SyncFail``) when
  the apply fails. ``Skip`` (Argo CD) is not applied at all. A hook may be named by
  ``generateName`` (a new object each run); it is never an inventory member, so never pruned.
* the **delete policy** says when kubepush deletes a hook: ``before-creation`` (Argo CD
  ``BeforeHookCreation``, the default: the previous run's object goes first, so a Job with an
  unchanged name runs again), ``on-success`` (``HookSucceeded``), ``on-failure`` (``HookFailed``).

Bad annotations are findings naming the object's file and line, raised with the guardrails,
before anything is applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kubepush.cluster.plan import Item
from kubepush.model import Finding

WAVE = "kubepush.dev/wave"
HOOK = "kubepush.dev/hook"
DELETE_POLICY = "kubepush.dev/hook-delete-policy"
ARGO_WAVE = "argocd.argoproj.io/sync-wave"
ARGO_HOOK = "argocd.argoproj.io/hook"
ARGO_DELETE_POLICY = "argocd.argoproj.io/hook-delete-policy"

PRE, APPLY, POST, ON_FAILURE = "pre-apply", "apply", "post-apply", "on-failure"
PHASES = (PRE, APPLY, POST, ON_FAILURE)
SKIP = "skip"
BEFORE_CREATION, ON_SUCCESS, ON_HOOK_FAILURE = "before-creation", "on-success", "on-failure"
POLICIES = (BEFORE_CREATION, ON_SUCCESS, ON_HOOK_FAILURE)
_ARGO_PHASES = {"PreSync": PRE, "Sync": APPLY, "PostSync": POST, "SyncFail": ON_FAILURE, "Skip": SKIP}
_ARGO_POLICIES = {"BeforeHookCreation": BEFORE_CREATION, "HookSucceeded": ON_SUCCESS, "HookFailed": ON_HOOK_FAILURE}


@dataclass(slots=True)
class Hook:
    """One hook object: its phase, wave (order within the phase) and delete policies."""

    item: Item
    phase: str
    wave: int = 0
    policies: frozenset[str] = frozenset({BEFORE_CREATION})


@dataclass
class Rollout:
    """A target's objects in order: ``waves`` ascending (a wave may hold only ``apply`` hooks), and
    the hooks by phase."""

    waves: list[tuple[int, list[Item]]] = field(default_factory=list)
    hooks: list[Hook] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def members(self) -> list[Item]:
        """The normal set: every object of every wave (the inventory's members)."""
        return [item for _, items in self.waves for item in items]

    def phase(self, phase: str) -> list[Hook]:
        return [h for h in self.hooks if h.phase == phase]

    @property
    def ordered(self) -> bool:
        """Anything beyond the plain apply: several waves, or hooks."""
        return len(self.waves) > 1 or bool(self.hooks)


def plan(items: Iterable[Item]) -> Rollout:
    """Split ``items`` into waves and hooks; bad annotations become findings (the item is left out)."""
    out = Rollout()
    by_wave: dict[int, list[Item]] = {}
    seen: dict[tuple[str, str, str, str], tuple[Item, int]] = {}
    for item in items:
        annotations = item.annotations
        wave, _, problem = _wave(annotations)
        phase, _, hook_problem = _phase(annotations)
        policies, _, policy_problem = _policies(annotations)
        problems = [p for p in (problem, hook_problem, policy_problem) if p]
        named = bool((item.obj.get("metadata") or {}).get("name"))
        if not named and phase is None:
            problems.append("generateName works only on hooks (server-side apply needs a name): name the "
                            f"object, or make it a hook ({HOOK}: pre-apply)")
        if problems:
            out.findings.extend(_finding(item, p) for p in problems)
            continue
        if phase == SKIP:
            continue
        if phase is not None:
            out.hooks.append(Hook(item, phase, wave, policies))
            continue
        if item.key in seen and seen[item.key][1] != wave:
            first, first_wave = seen[item.key]
            out.findings.append(_finding(item, f"{item.ref} is in wave {wave} here and in wave {first_wave} in "
                                         f"{first.file}:{first.line}; an object applies once, in one wave"))
            continue
        seen.setdefault(item.key, (item, wave))
        by_wave.setdefault(wave, []).append(item)
    for hook in out.hooks:
        if hook.phase == APPLY:  # a wave of its own when no object shares it
            by_wave.setdefault(hook.wave, [])
    out.waves = sorted(by_wave.items())
    out.hooks.sort(key=lambda h: h.wave)
    return out


def annotation_problems(annotations: dict[str, str]) -> list[tuple[str, str]]:
    """``(annotation key, what is wrong)`` for each rollout annotation that cannot be read - what
    ``kubepush validate`` reports (rule ``invalid-rollout-annotation``) before an apply refuses it."""
    return [(key, problem) for _, key, problem in (_wave(annotations), _phase(annotations), _policies(annotations))
            if problem]


def _wave(annotations: dict[str, str]) -> tuple[int, str, str]:
    key = WAVE if WAVE in annotations else ARGO_WAVE if ARGO_WAVE in annotations else ""
    if not key:
        return 0, key, ""
    text = str(annotations[key]).strip()
    try:
        return int(text), key, ""
    except ValueError:
        return 0, key, f'{key}: "{annotations[key]}" is not an integer; give a whole number such as "-1", "0" or "5"'


def _phase(annotations: dict[str, str]) -> tuple[str | None, str, str]:
    if HOOK in annotations:
        text = str(annotations[HOOK]).strip()
        if text in PHASES:
            return text, HOOK, ""
        return None, HOOK, f'{HOOK}: "{text}" is not a hook phase; use one of {", ".join(PHASES)}'
    if ARGO_HOOK in annotations:
        phases = [p.strip() for p in str(annotations[ARGO_HOOK]).split(",") if p.strip()]
        unknown = [p for p in phases if p not in _ARGO_PHASES]
        if unknown or not phases:
            return None, ARGO_HOOK, (f'{ARGO_HOOK}: "{annotations[ARGO_HOOK]}" is not an Argo CD hook kubepush '
                                     f"runs; use one of {', '.join(_ARGO_PHASES)}")
        if len(phases) > 1:
            return None, ARGO_HOOK, (f'{ARGO_HOOK}: "{annotations[ARGO_HOOK]}" names several phases; kubepush runs '
                                     "a hook in one phase: copy the object for each")
        return _ARGO_PHASES[phases[0]], ARGO_HOOK, ""
    return None, "", ""


def _policies(annotations: dict[str, str]) -> tuple[frozenset[str], str, str]:
    key = DELETE_POLICY if DELETE_POLICY in annotations else ARGO_DELETE_POLICY if ARGO_DELETE_POLICY in annotations \
        else ""
    if not key:
        return frozenset({BEFORE_CREATION}), key, ""
    names = [p.strip() for p in str(annotations[key]).split(",") if p.strip()]
    table = {p: p for p in POLICIES} if key == DELETE_POLICY else _ARGO_POLICIES
    unknown = [n for n in names if n not in table]
    if unknown or not names:
        return frozenset(), key, (f'{key}: "{annotations[key]}" is not a delete policy; use {", ".join(table)} '
                                  "(comma-separated)")
    return frozenset(table[n] for n in names), key, ""


def _finding(item: Item, message: str) -> Finding:
    return Finding(rule="rollout-order", message=f"refused: {message}", file=item.file, line=item.line,
                   document=item.document, object=item.ref,
                   hint="fix the annotation; nothing of the target is applied until then")


def is_hook(item: Item) -> bool:
    """Whether ``item`` is a hook (or skipped): not a member of the normal set - not compared by diff
    or drift, never in the inventory."""
    annotations = item.annotations
    return HOOK in annotations or ARGO_HOOK in annotations
