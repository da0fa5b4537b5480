"""``dependsOn`` between targets (pure): the order targets apply in, like Flux's Kustomization
``dependsOn`` (https://fluxcd.io/flux/components/kustomize/kustomizations/#dependencies).

A target applies only after the targets it depends on applied healthy; targets that depend on
nothing (or on what is done) run side by side. The order is a list of *waves*: wave 0 holds the
targets without dependencies, wave N those whose deepest dependency is in wave N-1 - what a CI
system whose jobs wait with ``needs:`` or stages can run, one job per wave.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping


def unknown(depends: Mapping[str, Collection[str]]) -> list[tuple[str, int, str]]:
    """``(target, index, name)`` for each dependency that names no target (or the target itself)."""
    return [(target, i, name) for target, names in depends.items() for i, name in enumerate(names)
            if name not in depends or name == target]


def cycle(depends: Mapping[str, Collection[str]]) -> list[str]:
    """One dependency cycle as ``[a, b, ..., a]`` ([] when there is none); unknown names are ignored."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        path.append(name)
        for dep in depends.get(name, ()):
            if dep not in depends:
                continue
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[name] = 2
        return []

    for name in depends:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return []


def within(depends: Mapping[str, Collection[str]], selected: Collection[str]) -> dict[str, list[str]]:
    """The dependencies among ``selected`` only: a dependency not selected in this run was applied by
    an earlier one (or is applied by its own), so it is not waited for."""
    return {name: [d for d in depends.get(name, ()) if d in selected and d != name] for name in selected}


def waves(depends: Mapping[str, Collection[str]]) -> list[list[str]]:
    """The targets of ``depends`` in waves (input order kept within a wave); it must be acyclic."""
    level: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in level:
            level[name] = 1 + max((depth(d) for d in depends.get(name, ()) if d in depends), default=-1)
        return level[name]

    out: list[list[str]] = []
    for name in depends:
        n = depth(name)
        while len(out) <= n:
            out.append([])
        out[n].append(name)
    return out
