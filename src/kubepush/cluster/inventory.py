"""The inventory of a target: a kubectl-compatible ApplySet (KEP-3659).

The parent is a Secret (kubectl's default) or ConfigMap in the target's namespace,
labelled ``applyset.kubernetes.io/id`` with the id kubectl computes
(``applyset-<base64url(sha256(name.namespace.Kind.group))>-v1``) and annotated with the
tooling, the group-kinds it contains and the namespaces beyond its own. Every member
carries ``applyset.kubernetes.io/part-of: <id>``. So ``kubectl get -l`` finds the members,
and kubectl recognises the set as kubepush's (and refuses to prune it by mistake).

Like kubectl, the parent is widened to the union of old and new group-kinds and
namespaces before anything is applied, and narrowed to the new ones after pruning:
an interrupted run never forgets members it may have created.

kubepush also records on the parent the Git revision last applied and the last one
that applied healthy (the one ``--rollback-on-failure`` goes back to), and who owns the
set - target, repository and source path (:mod:`kubepush.cluster.identity`) - so another
run that meets one of its members can name the owner.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubepush import __version__
from kubepush.cluster.identity import Source
from kubepush.cluster.plan import Item, group_of

ID_LABEL = "applyset.kubernetes.io/id"
PART_OF_LABEL = "applyset.kubernetes.io/part-of"
TOOLING = "applyset.kubernetes.io/tooling"
CONTAINS_GROUP_KINDS = "applyset.kubernetes.io/contains-group-kinds"
ADDITIONAL_NAMESPACES = "applyset.kubernetes.io/additional-namespaces"
REVISION = "kubepush.dev/revision"
HEALTHY_REVISION = "kubepush.dev/healthy-revision"
TARGET = "kubepush.dev/target"
REPOSITORY = "kubepush.dev/repository"
SOURCE = "kubepush.dev/source"
TOOL = f"kubepush/v{__version__}"

Key = tuple[str, str, str, str]  # group, kind, namespace, name


def applyset_id(name: str, namespace: str, kind: str, group: str) -> str:
    """The id kubectl computes for a parent object (label ``applyset.kubernetes.io/id``)."""
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return f"applyset-{base64.urlsafe_b64encode(digest).decode().rstrip('=')}-v1"


def group_kind(api_version: str, kind: str) -> str:
    """``Deployment.apps``, ``ConfigMap`` for the core group (Go's ``GroupKind.String()``)."""
    group = group_of(api_version)
    return f"{kind}.{group}" if group else kind


def split_group_kind(text: str) -> tuple[str, str]:
    kind, _, group = text.partition(".")
    return group, kind


@dataclass(frozen=True)
class Parent:
    """Where the inventory lives."""

    name: str
    namespace: str
    kind: str = "Secret"
    #: recorded on the parent: the target and where its manifests come from
    owner: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def for_target(cls, name: str, namespace: str, kind: str, target: str, source: Source | None) -> Parent:
        owner = {TARGET: target}
        if source is not None:
            owner[SOURCE] = source.path
            if source.repository:
                owner[REPOSITORY] = source.repository
        return cls(name, namespace, kind, owner)

    @property
    def id(self) -> str:
        return applyset_id(self.name, self.namespace, self.kind, "")

    @property
    def selector(self) -> str:
        return f"{PART_OF_LABEL}={self.id}"

    def manifest(self, state: State) -> dict[str, Any]:
        """The parent as applied: identity label, ApplySet annotations, revisions."""
        annotations = {
            TOOLING: TOOL,
            CONTAINS_GROUP_KINDS: ",".join(sorted(state.group_kinds)),
            **self.owner,
        }
        others = sorted(state.namespaces - {self.namespace})
        if others:
            annotations[ADDITIONAL_NAMESPACES] = ",".join(others)
        if state.revision:
            annotations[REVISION] = state.revision
        if state.healthy_revision:
            annotations[HEALTHY_REVISION] = state.healthy_revision
        return {"apiVersion": "v1", "kind": self.kind,
                "metadata": {"name": self.name, "namespace": self.namespace, "labels": {ID_LABEL: self.id},
                             "annotations": annotations}}


#: annotations a parent carries only sometimes: a write without one removes it
OPTIONAL_ANNOTATIONS = (ADDITIONAL_NAMESPACES, REVISION, HEALTHY_REVISION, SOURCE, REPOSITORY)


@dataclass
class State:
    """What a parent records."""

    group_kinds: set[str] = field(default_factory=set)
    namespaces: set[str] = field(default_factory=set)
    revision: str = ""
    healthy_revision: str = ""

    @classmethod
    def read(cls, parent: Parent, live: dict[str, Any] | None) -> State:
        if not live:
            return cls()
        annotations = (live.get("metadata") or {}).get("annotations") or {}
        return cls(
            group_kinds={g for g in annotations.get(CONTAINS_GROUP_KINDS, "").split(",") if g},
            namespaces={parent.namespace} | {n for n in annotations.get(ADDITIONAL_NAMESPACES, "").split(",") if n},
            revision=annotations.get(REVISION, ""),
            healthy_revision=annotations.get(HEALTHY_REVISION, ""),
        )

    @classmethod
    def of(cls, parent: Parent, items: Iterable[Item]) -> State:
        """The group-kinds and namespaces of a desired set."""
        state = cls(namespaces={parent.namespace})
        for item in items:
            ref = item.ref
            state.group_kinds.add(group_kind(ref.api_version, ref.kind))
            if ref.namespace:
                state.namespaces.add(ref.namespace)
        return state

    def union(self, other: State) -> State:
        return State(self.group_kinds | other.group_kinds, self.namespaces | other.namespaces,
                     other.revision or self.revision, other.healthy_revision or self.healthy_revision)


def label_members(items: Iterable[Item], parent: Parent) -> None:
    """Mark every desired object as a member of the set (in place)."""
    for item in items:
        meta = item.obj.setdefault("metadata", {})
        labels = meta.get("labels") or {}
        meta["labels"] = {**labels, PART_OF_LABEL: parent.id}


def live_key(obj: dict[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return (group_of(obj.get("apiVersion", "")), obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""))

