"""The run's phase in ``meta["phase"]``: how every agent learns that the run is over."""

from __future__ import annotations

from typing import Any

import anyio

from crdt_ws import TodoStatus, Workspace

__all__ = ["OUT_OF_BUDGET", "TERMINAL_PHASES", "phase_of", "is_over", "until_over", "until_news"]

OUT_OF_BUDGET = "out_of_budget"
TERMINAL_PHASES = frozenset({"finished", "aborted", OUT_OF_BUDGET})
"""finished: the judge is done; aborted: the runner gave up (timeout); out_of_budget: an implementer hit the cap."""


def phase_of(workspace: Workspace) -> str | None:
    value = workspace.meta.get("phase")
    return value if isinstance(value, str) else None


def is_over(workspace: Workspace) -> bool:
    return phase_of(workspace) in TERMINAL_PHASES


async def until_over(workspace: Workspace) -> None:
    """Return once the run is over (a terminal phase)."""
    over = anyio.Event()

    def check(_: Any) -> None:
        if is_over(workspace):
            over.set()

    sub = workspace.meta.observe(check)
    try:
        check(None)
        await over.wait()
    finally:
        workspace.meta.unobserve(sub)


async def until_news(workspace: Workspace) -> None:
    """Return once some TODO is claimable again (pending, or claimed and perhaps stale) or the run is over."""
    news = anyio.Event()

    def wake(_: Any) -> None:
        news.set()

    todo_sub = workspace.todos.observe_deep(wake)
    meta_sub = workspace.meta.observe(wake)
    try:
        while not is_over(workspace) and not _claimable(workspace):
            await news.wait()
            news = anyio.Event()
    finally:
        workspace.todos.unobserve(todo_sub)
        workspace.meta.unobserve(meta_sub)


def _claimable(workspace: Workspace) -> bool:
    # Statuses only: idle agents ask this on every change of the board, and parsing hundreds of entries
    # each time cost an idle 8-agent team more CPU than its working members.
    waiting = (TodoStatus.PENDING.value, TodoStatus.CLAIMED.value)
    return any(raw.get("status", TodoStatus.PENDING.value) in waiting for raw in workspace.todos_raw().values())
