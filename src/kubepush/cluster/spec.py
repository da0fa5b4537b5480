"""What a target is, apart from its manifests: read from a ``targets:`` entry of kubepush.yaml.

Apply, diff, drift and ``revert --last-applied`` all start from a :class:`TargetSpec`; the
command layer fills in what kubepush.yaml cannot say (flags, the inventory name derived
from :mod:`kubepush.cluster.identity`, the ``shared:`` selectors), the operations only
read it. Keeping the parsing here means no operation module knows the YAML's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubepush.cluster.identity import Source
from kubepush.cluster.plan import Guardrails
from kubepush.cluster.shared import Shared


@dataclass
class TargetSpec:
    """Everything about one target that is not the manifests."""

    name: str
    paths: list[str]
    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    guard: Guardrails = field(default_factory=Guardrails)
    inventory: bool = True
    inventory_kind: str = "Secret"
    inventory_name: str = ""
    prune: bool = False
    prune_namespaces: bool = False
    prune_crds: bool = False
    recreate: bool = False
    #: where the manifests come from (recorded on the inventory parent, names it when derived)
    source: Source | None = None
    #: the parent name of an earlier kubepush version, looked for to migrate ("" for none)
    legacy_inventory: str = ""
    shared: Shared = field(default_factory=Shared)
    #: decrypt SOPS documents before anything else (``decryption: {provider: none}`` or false: as written)
    decryption: bool = True

    @classmethod
    def from_config(cls, raw: dict[str, Any], path: str, kubeconfig: str | None, context: str | None
                    ) -> TargetSpec:
        prune = raw.get("prune", False)
        prune = {"enabled": prune} if isinstance(prune, bool) else prune
        inventory = raw.get("inventory", True)
        inventory = {"enabled": inventory} if isinstance(inventory, bool) else {"enabled": True, **inventory}
        return cls(
            name=raw.get("name", "default"), paths=[path], kubeconfig=kubeconfig or raw.get("kubeconfig"),
            context=context or raw.get("context"), namespace=raw.get("namespace"),
            guard=Guardrails.from_target(raw), inventory=bool(inventory.get("enabled", True)),
            inventory_kind=inventory.get("kind", "Secret"), inventory_name=inventory.get("name", ""),
            prune=bool(prune.get("enabled", False)), prune_namespaces=bool(prune.get("namespaces", False)),
            prune_crds=bool(prune.get("customResourceDefinitions", False)),
            recreate=bool(raw.get("recreate", False)), decryption=_decrypts(raw.get("decryption", True)),
        )


def _decrypts(raw: bool | dict[str, str]) -> bool:
    """``decryption:`` as Flux spells it (``{provider: sops}``), or a boolean; the schema allows no other."""
    return raw.get("provider", "sops") == "sops" if isinstance(raw, dict) else bool(raw)
