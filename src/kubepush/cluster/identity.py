"""Which inventory a target owns: a name derived from where its manifests come from.

An inventory must identify one set. Named after the target alone (``kubepush-staging``),
two config repositories with a target ``staging`` in one namespace shared it, and each
apply pruned the other's objects. The parent is therefore named

    kubepush-<target>-<hash>      hash = sha256(repository identity, source path)[:10]

- *repository identity*: ``repository:`` at the top of kubepush.yaml when given, else the
  checkout's ``origin`` URL normalised (:func:`kubepush.gitops.origin.normalise`), so every
  clone of one repository - SSH, HTTPS, CI checkout - names the same inventory;
- *source path*: kubepush.yaml relative to the checkout root (two kubepush.yaml in one
  monorepo differ), or for PATH arguments the sorted repository-relative paths.

Outside any git checkout the absolute path is the identity (local: another machine's run
of the same directory names another inventory). A kubepush.yaml in a checkout without
``origin`` and without ``repository:`` cannot be told apart from a copy elsewhere: that is
a usage error asking for ``repository:`` or the target's ``inventory.name``, which always
wins. Earlier versions named the parent ``kubepush-<target>``; :data:`legacy_name` is
what the migration (see :mod:`kubepush.cluster.migrate`) looks for.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from kubepush.errors import UsageError
from kubepush.gitops.origin import checkout_of


@dataclass(frozen=True)
class Source:
    """Where a target's manifests come from, as recorded on its inventory parent."""

    repository: str  # normalised origin, ``repository:``, or "" (local)
    path: str  # kubepush.yaml or the PATH arguments, repository-relative (absolute when local)
    local: bool = False

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.repository}\n{self.path}".encode()).hexdigest()[:10]

    def describe(self) -> str:
        """``github.com/acme/config (kubepush.yaml)`` for messages."""
        return f"{self.repository} ({self.path})" if self.repository else self.path


def parent_name(target: str, source: Source) -> str:
    """``kubepush-<target>-<hash>``; a target name's ``_`` becomes ``-`` (not allowed in object names)."""
    return f"kubepush-{re.sub(r'[^a-z0-9.-]', '-', target)}-{source.digest}"


def legacy_name(target: str) -> str:
    """The parent name of kubepush before derived identities."""
    return f"kubepush-{target}"


def of_config(config_path: str, repository: str | None) -> Source:
    """The source of the targets of one kubepush.yaml (see the module docstring)."""
    path = Path(config_path).resolve()
    checkout = checkout_of(path)
    if checkout is None:
        return Source(repository or str(path.parent), path.name, local=not repository)
    relative = path.relative_to(checkout.root).as_posix()
    identity = repository or checkout.origin
    if not identity:
        raise UsageError(
            f"{config_path}: cannot name the targets' inventories: the git checkout {checkout.root} has no origin "
            "remote, so another copy of this repository would share them; set 'repository: <host>/<owner>/<name>' "
            "at the top of kubepush.yaml (or each target's inventory.name)")
    return Source(identity, relative)


def of_paths(paths: list[str]) -> Source:
    """The source of an ad-hoc target (PATH arguments without kubepush.yaml)."""
    checkout = checkout_of(paths[0]) if paths else None
    root = checkout.root if checkout else None
    listed = sorted(p.relative_to(root).as_posix() if root and p.is_relative_to(root) else str(p)
                    for p in (Path(path).resolve() for path in paths))
    origin = checkout.origin if checkout else ""
    return Source(origin or (str(root) if root else ""), ",".join(listed), local=not origin)
