"""The five faults, each a coroutine that waits for its moment in the live document and strikes.

Each injector gets the trial's :class:`Context` (the driver's replica, the
processes, the proxy) and records what it did there: kills, snapshots of
what existed at the moment of the fault (to check later that none of it was
lost) and recovery times.  The moment is read from the document itself, never
from timing guesses:

* ``claim``: the victim holds a claim (``status=claimed, assignee=victim``);
  nothing can have streamed yet (streaming starts after the verify wait);
* ``stream``: the victim's claimed region differs from the outline's stub:
  its reply is streaming into the buffer;
* ``commit``: the victim logged ``pause`` at ``extracted`` (it was started
  with ``CRDT_BENCH_PAUSE_AT``): extraction done, commit not yet made;
* ``relay``: once a seeded number of TODOs are done, SIGKILL the relay, then
  restart it on the same port and store after a seeded downtime;
* ``drop``: at seeded exponential intervals the proxy cuts every connection.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import anyio
from pycrdt import Doc

from agents.roles import is_over
from crdt_ws import TodoEntry, TodoStatus, Workspace, WorkspaceError, find_span

from ._checks import copy_doc, read_store
from ._procs import ImplementerProcess, RelayProcess
from ._proxy import CuttingProxy

__all__ = ["FaultKind", "Context", "INJECTORS"]


class FaultKind(str, Enum):
    """Where the fault strikes."""

    CLAIM = "claim"
    STREAM = "stream"
    COMMIT = "commit"
    RELAY = "relay"
    DROP = "drop"


@dataclass
class Context:
    """Everything an injector may touch, and what it records."""

    kind: FaultKind
    ws: Workspace
    relay: RelayProcess
    proxy: CuttingProxy
    implementers: list[ImplementerProcess]
    store_file: Path
    room: str
    outline: str
    rng: random.Random
    downtime_s: float
    cut_every_s: float
    kills: int = 0
    snapshots: list[Doc] = field(default_factory=list)
    recover_s: list[float] = field(default_factory=list)
    downtimes: list[float] = field(default_factory=list)
    victim_todo: TodoEntry | None = None
    killed_wall: float | None = None
    region_after_kill: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def victim(self) -> ImplementerProcess:
        return self.implementers[0]

    def over(self) -> bool:
        return is_over(self.ws)

    def clients(self) -> int:
        """Clients that should be connected now: the outliner, the judge and every live implementer."""
        return 2 + sum(p.alive for p in self.implementers)

    def region(self, symbol: str, source: str | None = None) -> str | None:
        try:
            text = self.ws.read(self.outline_file) if source is None else source
            span = find_span(text, symbol)
        except WorkspaceError:
            return None
        return text[span.start : span.end]

    @property
    def outline_file(self) -> str:
        return next(iter(self.ws.files.keys()))

    def snapshot_store(self) -> None:
        self.snapshots.append(read_store(self.store_file, self.room))


async def _until(ctx: Context, found: Callable[[], TodoEntry | None]) -> TodoEntry | None:
    """Poll the driver's replica until ``found`` returns a TODO, or the run is over."""
    while not ctx.over():
        entry = found()
        if entry is not None:
            return entry
        await anyio.sleep(0.005)
    return None


async def _kill_victim(ctx: Context, found: Callable[[], TodoEntry | None]) -> None:
    entry = await _until(ctx, found)
    if entry is None:
        ctx.notes.append(f"{ctx.victim.agent} never reached the {ctx.kind.value} fault point before the run ended")
        return
    ctx.snapshots.append(copy_doc(ctx.ws.doc))  # the driver's view at the moment of the kill
    await ctx.victim.sigkill()
    ctx.killed_wall = time.time()
    ctx.kills += 1
    ctx.victim_todo = entry
    # Whatever the victim wrote before dying was on its socket already: let it arrive.
    await anyio.sleep(0.2)
    ctx.region_after_kill = ctx.region(entry.symbol)
    ctx.snapshot_store()


def _victim_claims(ctx: Context) -> list[TodoEntry]:
    return [t for t in ctx.ws.list_todos() if t.status == TodoStatus.CLAIMED and t.assignee == ctx.victim.agent]


async def kill_mid_claim(ctx: Context) -> None:
    await _kill_victim(ctx, lambda: next(iter(_victim_claims(ctx)), None))


async def kill_mid_stream(ctx: Context) -> None:
    def streaming() -> TodoEntry | None:
        for entry in _victim_claims(ctx):
            region, stub = ctx.region(entry.symbol), ctx.region(entry.symbol, ctx.outline)
            if region is not None and region != stub:
                return entry
        return None

    await _kill_victim(ctx, streaming)


async def kill_mid_commit(ctx: Context) -> None:
    seen = 0

    def paused() -> TodoEntry | None:
        # The whole log, not only its new tail: concurrent appends from other
        # replicas can be ordered before entries already seen.
        nonlocal seen
        if len(ctx.ws.events) == seen:
            return None
        events = ctx.ws.events.to_py() or []
        seen = len(events)
        for event in events:
            if isinstance(event, dict) and event.get("type") == "pause" and event.get("agent") == ctx.victim.agent:
                return ctx.ws.todo(str(event["todo"]))
        return None

    await _kill_victim(ctx, paused)


async def _all_joined(ctx: Context) -> bool:
    """Wait until every client is connected (a process still starting up is not yet "running")."""
    while ctx.proxy.live < 2 + len(ctx.implementers):
        if ctx.over():
            ctx.notes.append("the run ended before every implementer had connected")
            return False
        await anyio.sleep(0.005)
    return True


async def kill_relay(ctx: Context) -> None:
    if not await _all_joined(ctx):
        return
    total = len(ctx.ws.list_todos())
    target = ctx.rng.randint(1, max(1, total // 2))

    def enough_done() -> TodoEntry | None:
        done = [t for t in ctx.ws.list_todos() if t.status == TodoStatus.DONE]
        return done[0] if len(done) >= target else None

    if await _until(ctx, enough_done) is None:
        ctx.notes.append(f"the run ended before {target} TODOs were done: relay not killed")
        return
    ctx.snapshots.append(copy_doc(ctx.ws.doc))
    clients = ctx.clients()
    await ctx.relay.sigkill()
    killed = time.perf_counter()
    ctx.kills += 1
    ctx.snapshot_store()  # exactly what was on disk when it died
    await anyio.sleep(ctx.downtime_s)
    await ctx.relay.start()
    ctx.downtimes.append(time.perf_counter() - killed)
    try:
        back = await ctx.proxy.wait_live(clients, timeout=60)
    except anyio.get_cancelled_exc_class():
        ctx.notes.append(f"the run finished with {ctx.proxy.live} of {clients} clients back after the relay restart")
        raise
    if back is None:
        ctx.notes.append(f"only {ctx.proxy.live} of {clients} clients were back 60 s after the relay restart")
    else:
        ctx.recover_s.append(time.perf_counter() - killed)


async def drop_connections(ctx: Context) -> None:
    if not await _all_joined(ctx):
        return
    while True:
        await anyio.sleep(max(0.1, ctx.rng.expovariate(1 / ctx.cut_every_s)))
        if ctx.over():
            return
        ctx.snapshot_store()
        ctx.snapshots.append(copy_doc(ctx.ws.doc))
        cut_at = time.perf_counter()
        cut = ctx.proxy.cut()
        if cut == 0:
            continue
        ctx.kills += 1
        await anyio.sleep(0.01)  # let the cut bridges unregister

        def expected() -> int:  # everyone who was connected, less implementers that exited since
            return min(cut, ctx.clients())

        while ctx.proxy.live < expected() and not ctx.over():
            await anyio.sleep(0.005)
        if ctx.proxy.live >= expected():
            ctx.recover_s.append(time.perf_counter() - cut_at)


INJECTORS: dict[FaultKind, Callable[[Context], Coroutine[Any, Any, None]]] = {
    FaultKind.CLAIM: kill_mid_claim,
    FaultKind.STREAM: kill_mid_stream,
    FaultKind.COMMIT: kill_mid_commit,
    FaultKind.RELAY: kill_relay,
    FaultKind.DROP: drop_connections,
}
