"""The plan a run follows, and the per-agent choosers that carry it out.

A :class:`Plan` is built once (by the outliner, from the coupling
classifier's report) and published in ``meta``; every implementer rebuilds
its chooser from it.  Choosers only look at the candidates the claim board
offers and at the TODO entries on the agent's own replica: there is no
central dispatcher.
"""

from __future__ import annotations

from agents._errors import AgentsError

import hashlib
from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel, Field

from claim_protocol import reopened
from crdt_ws import TodoEntry, TodoStatus

from ._config import Priority
from ._decide import Decision
from ._graph import dependents

__all__ = ["Plan", "PlanError", "awaiting_verdict", "make_chooser", "topological_order"]


class PlanError(AgentsError, ValueError):
    """A plan that cannot be followed: unknown dependencies, or a mode with no meaning here."""


class Plan(BaseModel):
    """The schedule every agent follows, stored in ``meta["plan"]``."""

    mode: Decision = Field(description="The mode actually run (auto resolved).")
    requested: str = Field(description="The mode asked for (parallel, serial, waves or auto).")
    order: list[str] = Field(description="TODO ids in a dependency-respecting order (serial follows it).")
    deps: dict[str, list[str]] = Field(description="TODO id -> TODO ids it depends on.")
    waves: list[list[str]] = Field(default_factory=list, description="Topological levels of deps.")
    seed: str | None = Field(
        default=None, description="seeded only: the TODO written alone first, so every later draft sees a sibling's code."
    )
    coupling_score: float | None = Field(default=None, description="Classifier's coupling score in [0, 1], if it ran.")
    sizes: dict[str, int] = Field(
        default_factory=dict,
        description="TODO id -> characters of its stub in the outline (signature and docstring): a proxy for how long "
        "its reply takes, so long ones start first and the last round is short.",
    )
    imports: list[str] = Field(
        default_factory=list,
        description="A package's TODOs whose code runs when it is imported, read from the skeletons "
        "(agents.roles._import_time): claimed before the others of their rank, so the package imports early and a "
        "fault there is found while the drafts go on. The judge marks more on the board (``import_time``) as it finds them.",
    )
    reasons: list[str] = Field(default_factory=list, description="Why this mode was chosen.")
    estimates: list[dict[str, object]] = Field(
        default_factory=list, description="auto only: every candidate schedule's simulated rounds, calls and risk."
    )


def topological_order(ids: Sequence[str], deps: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Levels of ``ids`` under ``deps`` (stable: outline order inside a level); cycles are cut where found."""
    known = set(ids)
    missing = {d for i in ids for d in deps.get(i, ()) if d not in known}
    if missing:
        raise PlanError(f"dependencies on unknown TODOs: {sorted(missing)}")
    level: dict[str, int] = {}
    waves: list[list[str]] = []
    remaining = list(ids)
    while remaining:
        ready = [i for i in remaining if all(d in level for d in deps.get(i, ()) if d != i)]
        if not ready:  # a cycle: take the first remaining TODO anyway, deterministically
            ready = [remaining[0]]
        depth = len(waves)
        for i in ready:
            level[i] = depth
        waves.append(ready)
        remaining = [i for i in remaining if i not in level]
    return waves


def _spread(agent: str, todo: str) -> float:
    digest = hashlib.blake2b(f"{agent}\x00{todo}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


Chooser = Callable[[list[TodoEntry]], TodoEntry | None]


def make_chooser(
    plan: Plan,
    agent: str,
    *,
    priority: Priority = "unblocking",
    entries: Callable[[], list[TodoEntry]],
    max_unjudged: int | None = None,
) -> Chooser:
    """A chooser for :class:`claim_protocol.ClaimLoop` that follows ``plan``.

    ``entries`` reads the agent's replica (the claim board's cached view).
    serial and waves only offer TODOs whose dependencies are done; seeded
    offers only its seed until the seed is done; parallel offers everything,
    ready ones first.  ``unblocking`` ranks by transitive
    dependents, then by expected size (longest first), then by a per-agent
    hash so agents spread out; ``fifo`` takes outline order, which makes agents
    collide on the same head TODO (measured, not hidden).
    """
    position = {todo: i for i, todo in enumerate(plan.order)}
    imports = set(plan.imports)
    weight = dependents(plan.order, plan.deps)
    gated = plan.mode in ("serial", "waves")  # seeded, speculate and revise draft like parallel

    def choose(candidates: list[TodoEntry]) -> TodoEntry | None:
        if not candidates:
            return None
        status = {e.id: e for e in entries()}
        if max_unjudged is not None:
            waiting = sum(1 for e in status.values() if awaiting_verdict(e))
            if waiting >= max_unjudged:
                return None  # the judge is behind: new work would only queue behind it
        if plan.seed is not None and not _done(status.get(plan.seed)):
            candidates = [c for c in candidates if c.id == plan.seed]
        if gated:
            candidates = [c for c in candidates if all(_done(status.get(d)) for d in plan.deps.get(c.id, ()))]
        if not candidates:
            return None
        # Ready TODOs (dependencies done) first even when not gated: their prompts can
        # show the code they build on, so they are less likely to need a repair.
        def unready(c: TodoEntry) -> bool:
            return not all(_done(status.get(d)) for d in plan.deps.get(c.id, ()))

        # Import-time code next, even unready: while it is a stub the package does not import, so no check test
        # can run (what it needs is import-time too, and ready first among it).
        def later(c: TodoEntry) -> bool:
            return c.id not in imports and not runs_at_import(c)

        # A repair first: once the drafts are in it is the tail of the run (claim_protocol.reopened).
        if priority == "fifo":
            return min(candidates, key=lambda c: (not reopened(c), later(c), unready(c), position.get(c.id, len(position))))
        # Longest first among equals (LPT): a long reply started last would be the tail of the run.
        return min(
            candidates,
            key=lambda c: (not reopened(c), later(c), unready(c), -weight.get(c.id, 0), -plan.sizes.get(c.id, 0), _spread(agent, c.id)),
        )

    return choose


def runs_at_import(entry: TodoEntry) -> bool:
    """The judge found this TODO's stub raising while the package imported (its mark on the board,
    ``agents.roles._judge_package``)."""
    return (entry.model_extra or {}).get("import_time") is True


def awaiting_verdict(entry: TodoEntry) -> bool:
    """Done, and the judge has not judged this attempt yet (``judged_attempt`` lags ``attempt``)."""
    judged = (entry.model_extra or {}).get("judged_attempt")
    return entry.status == TodoStatus.DONE and judged != entry.attempt


def _done(entry: TodoEntry | None) -> bool:
    # A failed dependency will not get better by waiting for it.
    return entry is None or entry.status in (TodoStatus.DONE, TodoStatus.FAILED)
