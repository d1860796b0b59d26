"""What an embedded session reads: its replica's TODOs, files, meta, audit log, prompts and changes.

A mixin of :class:`agents.embed.Session`, kept apart so the session's file
holds the claim protocol and the link to the relay; the session supplies the
state declared below.  Nothing here writes to the document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio

import claim_protocol
from claim_protocol import ClaimBoard, ClaimStats
from crdt_ws import Change, Event, TodoEntry, Workspace, WorkspaceError

from agents.roles import SYSTEM_PROMPT, build_context, is_over, outline_of, phase_of

from ._config import EmbedConfig
from ._errors import EmbedError, NoPlan, TodoNotFound
from ._handles import TodoContext, _Held

__all__ = ["SessionReads"]


class SessionReads:
    """The read side of :class:`agents.embed.Session` (see the module docstring)."""

    config: EmbedConfig
    agent_id: str
    workspace: Workspace
    board: ClaimBoard
    _claims: dict[str, _Held]
    _read_only: str | None

    @property
    def read_only(self) -> bool:
        """True for observers and for sessions whose token the relay only lets read."""
        return self._read_only is not None

    @property
    def phase(self) -> str | None:
        """The run's phase (``meta.phase``): ``finished``, ``aborted``, ``out_of_budget`` end it."""
        return phase_of(self.workspace)

    @property
    def over(self) -> bool:
        """Whether the run is over (the judge finished, the runner aborted or the budget ran out)."""
        return is_over(self.workspace)

    @property
    def stats(self) -> ClaimStats:
        """This session's claim counters (claims, wins, losses, completions...)."""
        return self.board.stats

    @property
    def holding(self) -> list[str]:
        """Ids of the TODOs this session holds a live claim on (claimed, not yet committed, released or lost)."""
        return sorted(todo_id for todo_id, held in self._claims.items() if held.lost is None)

    def meta(self) -> dict[str, Any]:
        """The room's ``meta`` map (run id, task id, spec, outline, plan, phase...)."""
        return self.workspace.get_meta()

    def todos(self) -> list[TodoEntry]:
        """Every TODO (id, file, symbol, deps, status, assignee, attempt, result, verdict), sorted by id."""
        try:
            return self.workspace.list_todos()
        except WorkspaceError as exc:
            raise EmbedError(f"the TODO map does not match the schema: {exc}") from exc

    def todo(self, todo_id: str) -> TodoEntry:
        try:
            return self.workspace.todo(todo_id)
        except WorkspaceError as exc:
            raise TodoNotFound(f"no TODO {todo_id!r} in room {self.config.room!r}") from exc

    def claimable(self) -> list[TodoEntry]:
        """TODOs this agent could claim now: pending or stale, those whose dependencies are done first."""
        now = anyio.current_time()
        self.board.observe(now)
        try:
            return self.board.candidates(now)
        except claim_protocol.ClaimError as exc:
            raise EmbedError(str(exc)) from exc

    def files(self) -> list[str]:
        return self.workspace.paths()

    def read_file(self, path: str) -> str:
        try:
            return self.workspace.read(path)
        except WorkspaceError as exc:
            raise EmbedError(f"no file {path!r} in room {self.config.room!r}; files: {', '.join(self.files()) or 'none'}") from exc

    def events(self, limit: int | None = None, *, todo: str | None = None) -> list[Event]:
        """The audit log (oldest first), optionally only one TODO's entries and only the last ``limit``."""
        events = [e for e in self.workspace.read_events() if todo is None or e.todo == todo]
        return events if limit is None else events[-limit:] if limit > 0 else []

    def context(self, todo_id: str, *, max_tokens: int = 2048) -> TodoContext:
        """The prompt our implementer would build for ``todo_id`` on this replica right now."""
        meta = self.workspace.get_meta()
        if "outline" not in meta:
            raise NoPlan(f"room {self.config.room!r} has no outline yet (wait_for_plan() waits for one)")
        entry = self.todo(todo_id)
        todos = {e.id: e for e in self.todos()}
        built = build_context(
            entry,
            task_id=str(meta.get("task_id")),
            spec=str(meta.get("spec", "")),
            outline=outline_of(meta, entry.file),  # a multi-file room holds one skeleton per file
            todos=todos,
            max_tokens=max_tokens,
        )
        prompt = "\n\n".join(m.content for m in built.request.messages)
        return TodoContext(
            todo=entry, system=SYSTEM_PROMPT, prompt=prompt, shown=built.shown, missing=built.missing, request=built.request
        )

    async def wait_for_plan(self, timeout: float = 60.0) -> None:
        """Return once an outliner has published the plan and outline (``NoPlan`` after ``timeout``)."""
        with anyio.move_on_after(timeout):
            while not {"plan", "outline"} <= set(self.workspace.meta.keys()):
                await self.changed(timeout=0.5)
            return
        raise NoPlan(f"no plan in room {self.config.room!r} after {timeout:g}s")

    async def changed(self, timeout: float | None = None) -> bool:
        """Wait for the next change to the TODOs or meta from any replica; False on timeout."""
        news = anyio.Event()

        def wake(_: Any) -> None:
            news.set()

        subs = [(self.workspace.todos, self.workspace.todos.observe_deep(wake)), (self.workspace.meta, self.workspace.meta.observe(wake))]
        try:
            with anyio.move_on_after(timeout):
                await news.wait()
        finally:
            for root, sub in subs:
                root.unobserve(sub)
        return news.is_set()

    async def observe(self, *, include_own: bool = False) -> AsyncIterator[Change]:
        """Changes made by other replicas as they arrive: ``TodoChanged``, ``FileEdited``, ``EventAppended``...

        ``async with contextlib.aclosing(session.observe()) as changes: async for change in changes: ...``
        (a bare ``async for`` works too; ``aclosing`` unsubscribes as soon as the loop ends).  Changes
        made before the first iteration are not reported: read the current state first.
        """
        async with self.workspace.observe(include_own=include_own) as changes:
            async for change in changes:
                yield change
