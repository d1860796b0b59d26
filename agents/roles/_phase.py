"""The run's phase in ``meta["phase"]``: how every agent learns that the run is over."""

from __future__ import annotations

from crdt_ws import Workspace

__all__ = ["OUT_OF_BUDGET", "TERMINAL_PHASES", "phase_of", "is_over"]

OUT_OF_BUDGET = "out_of_budget"
TERMINAL_PHASES = frozenset({"finished", "aborted", OUT_OF_BUDGET})
"""finished: the judge is done; aborted: the runner gave up (timeout); out_of_budget: an implementer hit the cap."""


def phase_of(workspace: Workspace) -> str | None:
    value = workspace.meta.get("phase")
    return value if isinstance(value, str) else None


def is_over(workspace: Workspace) -> bool:
    return phase_of(workspace) in TERMINAL_PHASES
