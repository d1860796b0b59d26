"""Graph helpers the plan and the decision share: who waits for whom, and which TODO to write first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["dependents", "seed_of"]


def dependents(ids: Sequence[str], deps: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """How many TODOs (transitively) wait for each one."""
    users: dict[str, set[str]] = {i: set() for i in ids}
    for i in ids:
        for d in deps.get(i, ()):
            if d in users and d != i:
                users[d].add(i)
    out: dict[str, int] = {}
    for i in ids:
        seen: set[str] = set()
        stack = list(users[i])
        while stack:
            j = stack.pop()
            if j not in seen:
                seen.add(j)
                stack.extend(users[j])
        out[i] = len(seen - {i})
    return out


def seed_of(ids: Sequence[str], deps: Mapping[str, Sequence[str]], sizes: Mapping[str, int] | None = None) -> str | None:
    """The TODO ``seeded`` writes alone first.

    One that depends on nothing (a seed drafted blind would be re-drafted, a
    round lost), then the one most others wait for, then the shortest stub
    (``sizes``: the round everyone waits through is short), then outline order.
    """
    if not ids:
        return None
    weight = dependents(ids, deps)
    position = {todo: i for i, todo in enumerate(ids)}
    sizes = sizes or {}
    return min(ids, key=lambda i: (any(d != i for d in deps.get(i, ())), -weight.get(i, 0), sizes.get(i, 0), position[i]))
