"""The one result model every stage produces and every reporter renders.

It sits below every layer - manifests, validate, images, bump, cluster, config
and report all import it, and it imports nothing of kubepush but the exit codes - so data flows one
way: load -> check/plan -> act -> report.

Stages never print: they yield :class:`Finding` objects (validate, bump discovery)
or :class:`Change` objects (apply, diff, drift: each becomes a finding through
:meth:`Change.to_finding`) into a :class:`Result`, and the reporters in
:mod:`kubepush.report` turn that into text, JSON, JUnit, SARIF, ... The exit code
is computed from the result, never from what was printed.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubepush.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from kubepush.redact import redact


class Severity(str, enum.Enum):
    """How bad a finding is; only ``ERROR`` makes the exit code 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Which Kubernetes object a finding is about (any part may be unknown)."""

    api_version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""

    def __str__(self) -> str:
        parts = [self.kind or "<no kind>"]
        if self.namespace:
            parts.append(self.namespace)
        parts.append(self.name or "<no name>")
        return "/".join(parts)


@dataclass(slots=True)
class Finding:
    """One problem at one place.

    ``path`` is the JSON path inside the document as a tuple of keys and list
    indexes (``("spec", "template", "spec", "containers", 0, "image")``), so any
    reporter can render it the way its consumers expect and the loader can map it
    to ``line``/``column`` (1-based; 0 means unknown).
    """

    rule: str
    message: str
    severity: Severity = Severity.ERROR
    file: str = ""
    line: int = 0
    column: int = 0
    document: int = 0
    object: ObjectRef = field(default_factory=ObjectRef)
    path: tuple[str | int, ...] = ()
    hint: str = ""
    #: the targets of kubepush.yaml the finding is about (a cluster action: one; a base that
    #: several targets render: each of them, the finding reported once)
    targets: tuple[str, ...] = ()
    #: a cluster action's change: what was (apply), would be (diff) or is (drift) the case
    action: str = ""
    #: the fields that differ between the cluster and Git (diff, drift), one entry each
    fields: tuple[FieldChange, ...] = ()
    #: a unified diff of the object (live first, Git second), Secret values masked
    diff: str = ""

    @property
    def target(self) -> str:
        """The one target the finding is about ("" for none, or several)."""
        return self.targets[0] if len(self.targets) == 1 else ""

    @property
    def json_path(self) -> str:
        """``spec.template.spec.containers[0].image`` - the form kubectl prints."""
        return format_path(self.path)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON-like reporters (stable key order).

        ``target`` is the one target (``null`` when none or several; ``targets`` lists
        them all), ``action`` the change of a cluster action (``null`` for other findings),
        ``fields`` the differing fields with their values, ``diff`` the object's unified diff.
        """
        return {
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "document": self.document,
            "target": self.target or None,
            "targets": list(self.targets),
            "action": self.action or None,
            "object": {
                "apiVersion": self.object.api_version,
                "kind": self.object.kind,
                "namespace": self.object.namespace,
                "name": self.object.name,
            },
            "path": self.json_path,
            "fields": [f.to_dict() for f in self.fields],
            "diff": self.diff,
        }


def plural(count: int, word: str) -> str:
    """``1 object``, ``2 objects``: every count a message or summary says."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def format_path(path: tuple[str | int, ...] | list[str | int]) -> str:
    """Render a JSON path like kubectl: ``a.b[0].c``; odd keys are bracket-quoted."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part and all(c.isalnum() or c in "_-" for c in part):
            out.append(("." if out else "") + part)
        else:
            out.append(f'["{part}"]')
    return "".join(out)


@dataclass(slots=True)
class Result:
    """Everything one command found, in the order it was found.

    ``documents`` counts the resources checked (for summaries), ``files`` the distinct
    files they came from (a kustomization's resources count each file they were read
    from, a base several targets share counts once), ``targets`` the targets of kubepush.yaml
    covered. ``errors``/``warnings`` are derived, never stored twice.
    """

    command: str
    findings: list[Finding] = field(default_factory=list)
    documents: int = 0
    files: int = 0
    #: the targets of kubepush.yaml the run covered (0: it ran on paths)
    targets: int = 0
    #: rule id -> one-line description, for formats that describe their rules (SARIF)
    rules: dict[str, str] = field(default_factory=dict)
    #: the run ended on a usage or environment error (exit code 2); a finding names it
    environment_error: bool = False
    #: ``diff --base``: each target's rendered preview (see :class:`TargetDiff`)
    previews: list[TargetDiff] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 at least one error-severity finding, 2 an environment error."""
        return EXIT_USAGE if self.environment_error else EXIT_FINDINGS if self.errors else EXIT_OK


# The change set of a cluster action (apply, diff, drift): one entry per object, like
# Flux's ``ssa.ChangeSet``. It is model, not cluster logic: reporters and CI outputs
# read the actions below, and each change is also a Finding (``to_finding``) -
# failures are errors (exit code 1), objects not applied because an earlier stage
# failed, or whose health could not be verified, are warnings, and the rest are
# infos whose rule is the action - so every format lists every object unchanged.

CREATED, CONFIGURED, UNCHANGED, RECREATED = "created", "configured", "unchanged", "recreated"
PRUNED, KEPT, FAILED, SKIPPED, UNHEALTHY = "pruned", "kept", "failed", "not-applied", "unhealthy"
#: Applied, but the cluster stopped answering before its health was known (neither healthy nor not).
NOT_VERIFIED = "not-verified"
IN_SYNC, DRIFTED, MISSING, EXTRA, HEALED = "in-sync", "drift", "missing", "extra", "healed"
#: diff/drift: the live object belongs to another inventory (see kubepush.cluster.ownership)
OWNED_ELSEWHERE = "owned-elsewhere"

#: diff/drift: the actions that mean "the cluster is not what Git says" - what --no-fail-on-drift
#: turns into warnings and the CI integrations count as drift (kubepush.ci.results)
DRIFT = frozenset({DRIFTED, MISSING, EXTRA})
#: apply: the actions that mean "apply changed the cluster" (the CI integrations' ``changed``)
CHANGES = frozenset({CREATED, CONFIGURED, RECREATED, PRUNED, HEALED})
#: Actions that make the command fail (exit code 1).
FAILING = frozenset({FAILED, UNHEALTHY, OWNED_ELSEWHERE}) | DRIFT

# diff, the preview, is a plan: what an apply of Git would do to each object. Its entries are
# changes, not failures: --fail-on-drift decides whether they fail the run (kubepush.cli.drift).
CREATE, CONFIGURE, PRUNE = "create", "configure", "prune"
#: diff: the actions of a plan that change the cluster (the CI integrations' ``changed``)
PLAN = frozenset({CREATE, CONFIGURE, PRUNE})
#: what a report lists as a change, not as the rest that is as Git says (annotations, summaries)
NOTEWORTHY = CHANGES | PLAN | {KEPT}


@dataclass(slots=True)
class Change:
    """What happened to (or was found about) one object, and why."""

    ref: ObjectRef
    action: str
    reason: str = ""
    file: str = ""
    document: int = 0
    target: str = ""
    live: dict[str, Any] | None = None
    line: int = 0
    #: diff, drift: the fields that differ (values of Secrets masked)
    fields: list[FieldChange] = field(default_factory=list)
    #: diff, drift: the object's unified diff, live first (masked)
    diff: str = ""
    #: said as a warning, not a failure: apply's ``extra`` (what it leaves behind when it does not prune)
    advisory: bool = False

    @classmethod
    def of(cls, item: Any, action: str, reason: str = "", target: str = "", live: dict[str, Any] | None = None
           ) -> Change:
        """The change of a desired object (a plan ``Item``): it carries the item's file and line, and
        masks the values the item's SOPS encryption hid wherever the reason (a diff, a server's
        message) would quote them."""
        if getattr(item, "secrets", None):
            reason = redact(reason, item.secrets)
        return cls(item.ref, action, reason, item.file, item.document, target, live, item.line)

    @property
    def failed(self) -> bool:
        return self.action in FAILING and not self.advisory

    def to_finding(self) -> Finding:
        """The change as a finding: its action is the rule, its fields and diff are kept apart from
        the message (a reporter shows them its own way), the one differing field is its ``path``."""
        severity = (Severity.ERROR if self.failed else Severity.WARNING if self.advisory
                    or self.action in (SKIPPED, NOT_VERIFIED) else Severity.INFO)
        if self.action in PLAN:  # a plan line: ``~ configure Deployment/shop/web [production]: 2 fields``
            message = f"{PLAN_SIGNS[self.action]} {self.action} {self.ref}"
            message += f" [{self.target}]" if self.target else ""
        else:
            message = (f"[{self.target}] " if self.target else "") + self.action
        message += f": {self.reason}" if self.reason else ""
        return Finding(rule=self.action, message=message, severity=severity, file=self.file or _cluster(self),
                       line=self.line, document=self.document, object=self.ref,
                       path=self.fields[0].path if len(self.fields) == 1 else (),
                       targets=(self.target,) if self.target else (), action=self.action,
                       fields=tuple(self.fields), diff=self.diff)


def _cluster(change: Change) -> str:
    """Objects that exist only in the cluster (pruned, extra) have no file; name the target."""
    return f"cluster:{change.target}" if change.target else "cluster"


def summary(changes: Iterable[Change]) -> str:
    """``3 created, 1 failed`` (apply), ``2 to create, 1 to configure`` (diff): counts per action,
    for progress lines."""
    return tally(c.action for c in changes)


def tally(actions: Iterable[str]) -> str:
    """:func:`summary` of the actions alone (a report sees findings, not changes)."""
    counts = Counter(actions)
    return ", ".join(f"{n} {'to ' if action in PLAN else ''}{action}" for action, n in sorted(counts.items())
                     ) or "nothing to do"


# The rendered preview of a change (``kubepush diff --base REF``): per target, what merging the
# change does to its rendered objects, worded as the plan an apply of the head would carry out -
# ``+ create``, ``~ configure``, ``- prune`` - the same verbs the live preview uses. Every entry is
# also a Finding (``to_finding``: an info whose rule is the action) so every format lists it; the
# whole preview (fields, diffs, counts) is on ``Result.previews`` for the formats that show it.

#: an object whose name changed but whose content did not (much): one change, not a prune plus a create
RENAME = "rename"
#: the same object written in another file: nothing changes in the cluster
MOVE = "move"
#: how a plan line starts, like ``terraform plan``
PLAN_SIGNS = {CREATE: "+", CONFIGURE: "~", RENAME: "~", PRUNE: "-", MOVE: ">"}

#: a target's preview: compared, not affected by the change (not rendered), or failed to render
COMPARED, UNAFFECTED, NOT_RENDERED = "compared", "unaffected", "not-rendered"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs: between the base and the head (the rendered preview), or between the
    cluster and Git (diff, drift: ``old`` is the live value, ``new`` Git's).

    ``old``/``new`` are None with ``change`` "added"/"removed" where a side does not have it. A
    Secret's values (and what SOPS encrypted) never get here: they arrive as the markers of
    :mod:`kubepush.cluster.compare.mask` (``masked``). For a live object, ``manager``,
    ``operation``, ``subresource`` and ``time`` name the other field manager that last set the
    field, from ``managedFields``.
    """

    path: tuple[str | int, ...]
    change: str  # "changed" | "added" | "removed"
    old: Any = None
    new: Any = None
    masked: bool = False
    manager: str = ""
    operation: str = ""
    subresource: str = ""
    time: str = ""

    def to_dict(self) -> dict[str, Any]:
        """``path`` as kubectl prints it; a side the field is not on has no value key, and who set
        it is there when known."""
        out: dict[str, Any] = {"path": format_path(self.path), "change": self.change}
        if self.change != "added":
            out["old"] = self.old
        if self.change != "removed":
            out["new"] = self.new
        if self.masked:
            out["masked"] = True
        out.update({key: value for key, value in (("manager", self.manager), ("operation", self.operation),
                                                  ("subresource", self.subresource), ("time", self.time)) if value})
        return out


@dataclass(slots=True)
class ObjectDiff:
    """What a change does to one rendered object of one target.

    ``file``/``line`` are where the object is in the head (in the base for a prune): where a
    reviewer looks. ``before`` is the object's identity at the base when it differs (a rename),
    ``base_file`` where it was written there (a move).
    """

    target: str
    ref: ObjectRef
    action: str
    file: str = ""
    line: int = 0
    document: int = 0
    base_file: str = ""
    before: ObjectRef | None = None
    fields: list[FieldChange] = field(default_factory=list)
    #: a unified diff of the object as YAML, base then head, Secret values masked
    diff: str = ""
    note: str = ""

    def headline(self) -> str:
        """``~ configure Deployment/shop/web (3 fields)`` - one line of the plan."""
        what = f"{PLAN_SIGNS.get(self.action, '?')} {self.action} {self.ref}"
        if self.before is not None:
            what += f" (was {self.before.name})"
        if self.action == MOVE:
            what += f" (from {self.base_file})"
        if self.fields and self.action in (CONFIGURE, RENAME):
            what += f" ({len(self.fields)} field{'s' if len(self.fields) != 1 else ''})"
        return what

    def to_finding(self) -> Finding:
        """A plan line as the live preview words it (``~ configure Deployment/shop/web [staging]``), its
        fields and diff kept apart from the message, as :meth:`Change.to_finding` keeps them."""
        text = f"{self.headline()} [{self.target}]" + (f": {self.note}" if self.note else "")
        return Finding(rule=self.action, message=text, severity=Severity.INFO, file=self.file or f"git:{self.target}",
                       line=self.line, document=self.document, object=self.ref,
                       path=self.fields[0].path if len(self.fields) == 1 else (), targets=(self.target,),
                       action=self.action, fields=tuple(self.fields), diff=self.diff)

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "object": _ref_dict(self.ref), "file": self.file, "line": self.line,
                "baseFile": self.base_file, "before": _ref_dict(self.before) if self.before else None,
                "fields": [f.to_dict() for f in self.fields], "diff": self.diff, "note": self.note}


@dataclass(slots=True)
class TargetDiff:
    """One target's preview between two revisions: its object changes and how many stayed the same."""

    target: str
    base: str
    head: str
    status: str = COMPARED
    objects: list[ObjectDiff] = field(default_factory=list)
    unchanged: int = 0
    #: why the target was not compared, or what is special about it ("new in this change")
    note: str = ""

    def counts(self) -> dict[str, int]:
        """Objects per action, every action present (zeros included), plus ``unchanged``."""
        out = {action: 0 for action in PLAN_SIGNS}
        for obj in self.objects:
            out[obj.action] = out.get(obj.action, 0) + 1
        out["unchanged"] = self.unchanged
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "base": self.base, "head": self.head, "status": self.status,
                "note": self.note, "counts": self.counts(), "objects": [o.to_dict() for o in self.objects]}


def _ref_dict(ref: ObjectRef) -> dict[str, str]:
    return {"apiVersion": ref.api_version, "kind": ref.kind, "namespace": ref.namespace, "name": ref.name}
