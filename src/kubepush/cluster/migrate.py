"""Inventories of earlier kubepush versions: ``kubepush-<target>``, which several repositories shared.

The derived parent (:mod:`kubepush.cluster.identity`) is new, so the first apply after an
upgrade finds it absent. When the target's old parent ``kubepush-<target>`` exists in the same
namespace:

- members of the old set that this target declares move over by themselves: the apply labels
  them with the new set's id (the ownership check does not call them another set's);
- members it does not declare may belong to another repository that shared the old name:
  they are neither pruned nor reported, and a note lists them. ``--adopt-inventory`` says they
  were this target's: they are relabelled into the new set (after the new parent covers their
  kinds and namespaces, so an interrupted run orphans nothing) and prune treats them as usual;
- the old parent is deleted once no member is left in it (after adopting, or when the last
  repository that shared it has migrated), so nothing stays behind.

Keeping the old inventory instead is ``inventory: {name: kubepush-<target>}`` on the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubepush.cluster import inventory as inv
from kubepush.cluster.client import Cluster, ResourceInfo
from kubepush.cluster.errors import ClusterError, Unreachable
from kubepush.manifests.documents import object_ref
from kubepush.model import plural

SHOWN = 5  # leftover members named in the note


@dataclass
class Legacy:
    """The old parent of a target and the members this target does not declare."""

    parent: inv.Parent
    state: inv.State
    leftover: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def find(cls, cluster: Cluster, info: ResourceInfo, name: str, parent: inv.Parent,
             desired: set[inv.Key], list_members: Any) -> Legacy | None:
        """The old parent ``name`` next to ``parent`` when it exists (None otherwise)."""
        if not name or name == parent.name:
            return None
        old = inv.Parent(name, parent.namespace, parent.kind)
        live = cluster.get(info, old.namespace, old.name)
        if live is None:
            return None
        state = inv.State.read(old, live)
        members = list_members(cluster, old, state)
        return cls(old, state, [m for m in members if inv.live_key(m) not in desired])

    def note(self, target_parent: inv.Parent) -> str:
        """What the first apply after an upgrade says about the old inventory."""
        where = f"{self.parent.kind} {self.parent.namespace}/{self.parent.name}"
        if not self.leftover:
            return (f"moved the members of {where}, the inventory of an earlier kubepush version, to "
                    f"{target_parent.name}; {where} is deleted")
        names = ", ".join(str(object_ref(m)) for m in self.leftover[:SHOWN])
        more = f" and {len(self.leftover) - SHOWN} more" if len(self.leftover) > SHOWN else ""
        return (f"{where}, the inventory of an earlier kubepush version, still lists "
                f"{plural(len(self.leftover), 'object')} "
                f"this target does not declare ({names}{more}); they may be another repository's, so this target "
                "neither prunes nor reports them. If they were this target's, run apply once with "
                f"--adopt-inventory (prune then deletes what left Git); to keep the old inventory, set the target's "
                f"inventory.name: {self.parent.name}")

    def adopt(self, cluster: Cluster, target_parent: inv.Parent) -> None:
        """Relabel the leftover members into ``target_parent``'s set (a merge patch of the label only)."""
        for obj in self.leftover:
            ref = object_ref(obj)
            info = cluster.resource(obj["apiVersion"], obj["kind"])
            cluster.request("PATCH", info.path(ref.namespace or None, ref.name),
                            query={"fieldManager": "kubepush"},
                            body={"metadata": {"labels": {inv.PART_OF_LABEL: target_parent.id}}},
                            content_type="application/merge-patch+json")
        self.leftover = []

    def retire(self, cluster: Cluster, info: ResourceInfo) -> bool:
        """Delete the old parent when no member is left in it; True when it is gone."""
        if self.leftover:
            return False
        try:
            cluster.delete(info, self.parent.namespace, self.parent.name)
        except Unreachable:
            raise
        except ClusterError:
            return False
        return True
