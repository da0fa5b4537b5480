"""The revision a target last applied, as its inventory parent records it (``kubepush.dev/revision``).

``kubepush revert --last-applied -t TARGET`` reverts that commit: read-only, one GET of the
parent after the connection check (:func:`recorded`, which ``kubepush status`` reads too).
"""

from __future__ import annotations

from typing import Any

from kubepush.cluster import inventory as inv
from kubepush.cluster.client import Cluster
from kubepush.cluster.errors import ClusterError
from kubepush.cluster.session import connect, inventory_parent
from kubepush.cluster.spec import TargetSpec
from kubepush.errors import UsageError


def recorded(cluster: Cluster, spec: TargetSpec, parent: inv.Parent) -> dict[str, Any] | None:
    """The target's inventory parent as the cluster has it: the derived one, else the one of an
    earlier version (not applied since inventories got their derived names); None when neither is."""
    info = cluster.resource("v1", parent.kind)
    live = cluster.get(info, parent.namespace, parent.name)
    if live is None and spec.legacy_inventory:
        live = cluster.get(info, parent.namespace, spec.legacy_inventory)
    return live


def last_applied(spec: TargetSpec, request_timeout: float = 30.0) -> str:
    """``kubepush.dev/revision`` of ``spec``'s inventory; UsageError (exit 2) when none is recorded."""
    cluster = connect(spec, request_timeout=request_timeout)
    try:
        parent = inventory_parent(spec, spec.namespace or cluster.namespace)
        if parent is None:
            raise UsageError(f"target {spec.name} keeps no inventory (inventory: false), so no applied revision "
                             "is recorded: give the COMMIT to revert")
        try:
            live = recorded(cluster, spec, parent)
        except ClusterError as exc:
            raise UsageError(f"cannot read the inventory {parent.kind}/{parent.namespace}/{parent.name} of "
                             f"target {spec.name}: {exc}") from None
    finally:
        cluster.close()
    revision = inv.State.read(parent, live).revision
    if not revision:
        raise UsageError(f"target {spec.name}: no {inv.REVISION} on {parent.kind}/{parent.namespace}/{parent.name}"
                         + ("" if live else " (it does not exist: kubepush never applied this target there)")
                         + ": give the COMMIT to revert")
    return revision
