"""The anyio driver: one agent's claim loop over a live, synced replica.

``await Claimer(ws, connection=conn).run(work)`` claims TODOs until every one
is done or failed, calling ``work(entry)`` for each claim and committing what
it returns once the claim is verified, unless the work committed it itself
(:meth:`Claimer.commit`).  With ``optimistic_start`` (default) the work begins
during the verify wait and is cancelled if the claim loses, which hides the
wait behind the work; work that must not touch shared state before the claim
is safe awaits :meth:`Claimer.wait_verified`.  Heartbeats run beside the work;
a claim lost meanwhile cancels the work.  Work whose model call is over calls
:meth:`Claimer.handoff`: with ``claim_ahead`` (default) the agent claims its
next TODO while that work extracts and commits.  The wait before verifying is
measured: the connection's sync round trips (``round_trip()``) feed the
estimator, and one more round trip right before claiming and one right before
verifying act as barriers: whatever reached the relay before them is applied
here.  A commit counts as done for this agent once the relay acknowledges it
as durable (``wait_durable()`` on connections that have it): it then survives
the relay being killed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio
from anyio.abc import TaskGroup

import logging

from crdt_ws import NotDurable, TodoEntry, TransportError, Workspace

from ._board import Change, Claim, ClaimBoard, ClaimStats, Commit
from ._regions import commit_symbol
from ._config import ClaimConfig
from ._latency import SyncEstimator
from ._loop import CancelWork, Chooser, ClaimLoop, Finished, Sleep, StartWork, Sync

__all__ = ["Claimer", "RoundTrip", "Work"]

log = logging.getLogger("claim_protocol.claimer")

_DURABLE_TIMEOUT_S = 10.0
"""How long an agent waits for the relay to acknowledge a commit as durable before going on (and saying so)."""

_OFFLINE_RETRY_S = 0.05
"""How often a claimer cut off from the relay tries a sync round trip again before claiming or verifying."""

Work = Callable[[TodoEntry], Awaitable[str | Change]]
"""Produces the implementation of a claimed TODO (e.g. asks a model); returns what it committed, or what to commit."""


@dataclass
class _Job:
    """One running work: its claim, its cancel scope, and whether the claim is verified yet."""

    claim: Claim
    scope: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    verified: anyio.Event = field(default_factory=anyio.Event)
    committed: bool = False  # the work committed itself (Claimer.commit)


_job: ContextVar[_Job | None] = ContextVar("claim_protocol_job", default=None)
"""The work the calling task belongs to (each work runs in its own task, so its own context)."""


class RoundTrip(Protocol):
    """What the claimer needs of a connection: ``crdt_ws`` connections have it."""

    async def round_trip(self, timeout: float = 5.0) -> float: ...


class Claimer:
    """Runs :class:`ClaimLoop` in real time for one agent."""

    def __init__(
        self,
        workspace: Workspace,
        config: ClaimConfig | None = None,
        *,
        connection: RoundTrip | None = None,
        commit: Commit = commit_symbol,
        choose: Chooser | None = None,
        estimator: SyncEstimator | None = None,
    ) -> None:
        self.workspace = workspace
        self.board = ClaimBoard(workspace, config, commit=commit, estimator=estimator)
        self.config = self.board.config
        self.loop = ClaimLoop(self.board, choose=choose)
        self.connection = connection
        self._wake = anyio.Event()
        self._jobs: list[_Job] = []  # every work still running, handed off or not
        self._running: _Job | None = None  # the work on the loop's current claim (not handed off)
        self._todos_sub: Any = None
        self._durable = True  # until the relay says it acknowledges nothing

    @property
    def stats(self) -> ClaimStats:
        return self.board.stats

    async def run(self, work: Work) -> ClaimStats:
        """Claim and work until every TODO is done or failed; returns this agent's counters."""
        try:
            async with anyio.create_task_group() as tg:
                self._todos_sub = self.workspace.todos.observe_deep(self._on_todos)
                if self.connection is not None:
                    # An estimator carried over from an earlier session is warm already.
                    for _ in range(max(0, self.config.initial_probes - self.board.estimator.samples)):
                        await self._probe()
                    tg.start_soon(self._probe_forever)
                await self._drive(tg, work)
                tg.cancel_scope.cancel()
        finally:
            if self._todos_sub is not None:
                self.workspace.todos.unobserve(self._todos_sub)
            self.loop.close()
        return self.board.stats

    async def wait_verified(self) -> None:
        """Return once the claim the calling work is on is verified (at once when it already is).

        With ``optimistic_start`` the work begins during the verify wait; what
        must not happen before the claim is safe (writing into the shared
        buffer) waits here.  A claim lost meanwhile cancels the waiting work.
        """
        await self._job().verified.wait()

    async def commit(self, change: str | Change) -> bool:
        """Commit the claim being worked on, from inside the work, once it is verified; False if it was lost first.

        The work then returns what it committed and the claimer commits nothing more for that claim; it
        waits for the relay's durable acknowledgement once the work returns, as for a commit it makes.
        """
        job = self._job()
        await job.verified.wait()  # never commit on a claim that may still lose
        job.committed = True
        return self.loop.finished(job.claim, change, anyio.current_time())

    def handoff(self) -> None:
        """From inside the work: it needs the agent no more (its model call is over; only extracting and committing are left).

        With ``claim_ahead`` the agent goes on to claim its next TODO now, while
        this claim stays held until the work commits it.  A no-op before the
        claim is verified, or with ``claim_ahead`` off.
        """
        job = self._job()
        if self.config.claim_ahead and job is self._running and job.verified.is_set() and self.loop.detach(job.claim):
            self._running = None
            self._wake.set()

    def _job(self) -> _Job:
        job = _job.get()
        if job is None:
            raise RuntimeError(f"{self.workspace.agent_id}: called outside the work on a claim")
        return job

    async def _drive(self, tg: TaskGroup, work: Work) -> None:
        while True:
            self._wake = anyio.Event()  # before polling: a change during the poll wakes the next sleep
            action = self.loop.poll(anyio.current_time())
            running = self._running
            if running is not None and running.claim is not self.loop.current:
                running.scope.cancel()  # an optimistic start whose claim was lost at verify
            if isinstance(action, StartWork):
                if running is not None and running.claim is action.claim:
                    running.verified.set()  # the optimistic start may commit now
                else:
                    self._start(tg, action.claim, action.entry, work, verified=True)
            elif isinstance(action, CancelWork):
                for job in self._jobs:
                    if job.claim is action.claim:
                        job.scope.cancel()
            elif isinstance(action, Finished):
                return
            elif isinstance(action, Sync):
                await self._until_linked()
                self.loop.synced()
            elif isinstance(action, Sleep):
                claim = self.loop.verifying
                if claim is not None and self.config.optimistic_start and (self._running is None or self._running.claim is not claim):
                    self._start(tg, claim, self.board.entry(claim.todo), work, verified=False)
                timeout = None if action.until is None else max(0.0, action.until - anyio.current_time())
                with anyio.move_on_after(timeout):
                    await self._wake.wait()
                claim = self.loop.verifying
                if claim is not None and anyio.current_time() >= claim.verify_at:
                    # A sync round trip before re-reading: whatever reached the relay
                    # before it is applied here now, even if this process was stalled.
                    await self._until_linked()

    @property
    def busy(self) -> bool:
        """Whether work is running (or waiting for its claim to verify)."""
        return bool(self._jobs)

    @property
    def verified(self) -> bool:
        """Whether the claim the calling work is on is verified."""
        job = _job.get()
        return job is not None and job.verified.is_set()

    def _start(self, tg: TaskGroup, claim: Claim, entry: TodoEntry, work: Work, *, verified: bool) -> None:
        self._running = job = _Job(claim)
        if verified:
            job.verified.set()
        self._jobs.append(job)
        tg.start_soon(self._work, job, entry, work)

    async def _work(self, job: _Job, entry: TodoEntry, work: Work) -> None:
        _job.set(job)  # this task's own context: the work's calls into the claimer find their claim
        with job.scope:
            try:
                code = await work(entry)
            except Exception as exc:  # the work failed: give the TODO back, keep the agent alive
                await job.verified.wait()  # a claim not yet verified is not ours to release
                self.loop.failed(job.claim, f"{type(exc).__name__}: {exc}", anyio.current_time())
            else:
                if not job.committed:
                    await job.verified.wait()  # never commit on a claim that may still lose
                    self.loop.finished(job.claim, code, anyio.current_time())
                await self._until_durable()
        self._jobs.remove(job)
        if self._running is job:
            self._running = None
        self._wake.set()

    def _on_todos(self, events: list[Any]) -> None:
        # Only TODO changes other than heartbeats wake the loop: file edits and
        # log entries never change what to claim, and heartbeats are sampled on
        # a timer (see ClaimBoard.next_deadline), which keeps idle agents cheap.
        for event in events:
            if not event.path or set(map(str, event.keys)) - {"heartbeat"}:
                self._wake.set()
                return

    async def _until_durable(self) -> None:
        """Wait until the relay holds this replica's commit in its store (if the link can tell)."""
        wait = getattr(self.connection, "wait_durable", None)
        if wait is None or not self._durable:
            return
        try:
            await wait(_DURABLE_TIMEOUT_S)
        except NotDurable as exc:
            if "does not acknowledge" in str(exc) or "are off" in str(exc):
                self._durable = False  # a relay without a store: nothing to wait for, ever
            log.warning("%s: commit not acknowledged as durable: %s", self.workspace.agent_id, exc)

    async def _probe(self) -> bool:
        """One sync round trip feeding the estimator; False if the relay is unreachable."""
        assert self.connection is not None
        try:
            rtt = await self.connection.round_trip()
        except TransportError:
            return False  # disconnected: the estimate keeps its last value until the link is back
        self.board.estimator.record(rtt)
        self.board.estimator.publish(self.workspace)
        return True

    async def _until_linked(self) -> None:
        """A sync round trip that only returns once one succeeded.

        A claim written or verified while cut off from the relay is checked
        against this replica alone, so every cut-off agent "wins" it: a relay
        outage made all implementers do every remaining TODO and, on
        reconnect, doubled every region (found by ``bench.faults``, kind
        ``relay``).  Work already verified goes on; claiming waits.
        """
        while not await self._probe():
            await anyio.sleep(_OFFLINE_RETRY_S)

    async def _probe_forever(self) -> None:
        while True:
            await anyio.sleep(self.config.probe_interval)
            await self._probe()
