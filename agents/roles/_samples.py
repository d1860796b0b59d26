"""The implementer's part that asks for more than one reply per claim: k drafts raced against the visible
checks (``SchedulerConfig.drafts``), and spares drawn beside a repair in the tail (``repair_samples``, see
:mod:`agents.roles._spares`).

A mixin of :class:`agents.roles.Implementer` (kept apart so the agent's file stays readable).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from claim_protocol import Claimer
from crdt_ws import TodoEntry, Workspace
from merge import ExtractError, Extraction

from agents.models import ModelError

from ._commit import Implementation, extract_against
from ._package import outline_of
from ._prompt import Context
from ._records import ImplementerStats
from ._spares import Spare, keep_spares

__all__ = ["Samples", "DraftCheck"]

DraftCheck = Callable[[TodoEntry, str], Awaitable[bool]]
"""Does this implementation of the TODO pass its visible checks? (used to pick among drafts)"""


class Samples:
    """Several replies for one claim (see the module docstring); the agent supplies the state below."""

    workspace: Workspace
    check: DraftCheck | None
    stats: ImplementerStats
    _claimer: Claimer | None
    _seen: dict[str, tuple[str, ...]]

    async def query(self, entry: TodoEntry, context: Context, *, live: bool, spare: bool = False) -> str:
        raise NotImplementedError

    async def extract(self, entry: TodoEntry, reply: str) -> Extraction:
        raise NotImplementedError

    async def commit(self, entry: TodoEntry, extraction: Extraction) -> Implementation:
        raise NotImplementedError

    async def _first_draft_to_pass(self, entry: TodoEntry, contexts: list[Context], *, live: bool) -> Extraction:
        """k drafts at once; the first whose code passes the visible checks wins, the rest are cancelled."""
        check = self.check
        assert check is not None
        winner: list[Extraction] = []
        fallback: list[Extraction] = []

        async def draft(context: Context, scope: anyio.CancelScope, live: bool) -> None:
            try:
                extraction = await self.extract(entry, await self.query(entry, context, live=live))
            except (ModelError, ExtractError):
                return
            fallback.append(extraction)
            if await check(entry, Implementation(extraction).code) and not winner:
                winner.append(extraction)
                scope.cancel()

        async with anyio.create_task_group() as tg:
            for i, context in enumerate(contexts):
                tg.start_soon(draft, context, tg.cancel_scope, live and i == 0)
        self.workspace.log("drafts", entry.id, asked=len(contexts), finished=len(fallback), passed=bool(winner))
        if winner:
            return winner[0]
        if fallback:
            return fallback[0]
        raise ExtractError(f"none of {len(contexts)} drafts of {entry.symbol} had a usable implementation")

    async def _beside_spares(
        self, entry: TodoEntry, contexts: list[Context], work: Callable[[], Awaitable[Implementation]]
    ) -> Implementation:
        """``work`` (the claim's own call and commit), with spares for ``contexts`` drawn beside it.

        Its outcome is its own, errors included: a ``BudgetExceeded`` must reach the caller as itself, not
        inside a task group's exception group, and it cancels the spares."""
        if not contexts:
            return await work()
        done: list[Implementation] = []
        failed: list[Exception] = []

        async def own(scope: anyio.CancelScope) -> None:
            try:
                done.append(await work())
            except Exception as exc:
                failed.append(exc)
                scope.cancel()

        async with anyio.create_task_group() as tg:
            tg.start_soon(self._draw_spares, entry, contexts)
            tg.start_soon(own, tg.cancel_scope)
        if failed:
            raise failed[0]
        return done[0]

    async def _draw_spares(self, entry: TodoEntry, contexts: list[Context]) -> None:
        """Ask for spare replies beside a repair and keep those that come back on the TODO (see ``_spares``).

        A spare is optional: one the model fails, or the budget refuses, is simply not kept."""
        kept: list[Spare] = []

        async def one(context: Context) -> None:
            try:
                kept.append(Spare(await self.query(entry, context, live=False, spare=True), context.shown))
            except ModelError:
                pass

        async with anyio.create_task_group() as tg:
            for context in contexts:
                tg.start_soon(one, context)
        keep_spares(self.workspace, entry.id, kept)

    async def _commit_spare(self, entry: TodoEntry, spare: Spare) -> Implementation | None:
        """Commit a kept spare on this claim instead of asking the model; None if it holds no implementation."""
        outline = outline_of(self.workspace.get_meta(), entry.file)
        try:
            extraction = await anyio.to_thread.run_sync(extract_against, spare.reply, entry.symbol, outline)
        except ExtractError:
            return None
        self.stats.spares_used += 1
        self.workspace.log("spare_used", entry.id, attempt=entry.attempt)
        self._seen[entry.id] = spare.shown
        assert self._claimer is not None
        self._claimer.handoff()
        return await self.commit(entry, extraction)

