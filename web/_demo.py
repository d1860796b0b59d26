"""Something to watch: offline demo agents writing into a room through the relay, round after round.

No model is involved: each writer streams a known implementation (the
foundation demo's ``Inventory`` class) at a fixed token rate, and the label
``offline demo writer (no model)`` is in the room's meta and every event.
Each round shows the whole TODO lifecycle: claims with heartbeats, presence
regions, streamed code, a seeded failure that is claimed again, and commits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass

import anyio
from pydantic import BaseModel, Field, SecretStr

from crdt_ws import Presence, Region, StreamWriter, TodoEntry, TodoStatus, WebsocketConfig, WebsocketTransport, Workspace

from ._demo_data import IMPLEMENTATIONS, LABEL, OUTLINE

__all__ = ["DemoWriterConfig", "run_demo_writers"]

COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"]


class DemoWriterConfig(BaseModel):
    """Options of the viewer's demo agents."""

    url: str = Field(description="Relay websocket URL, e.g. ws://127.0.0.1:8765.")
    room: str = Field(default="demo", description="Room the demo writes into.")
    token: SecretStr | None = Field(default=None, description="A read-write token of the relay.")
    agents: int = Field(default=3, ge=1, le=8, description="Number of implementer replicas.")
    tokens_per_second: float = Field(default=30.0, gt=0, description="Streaming pace of each writer (about 4 characters per token).")
    rounds: int | None = Field(default=None, ge=1, description="Rounds to run; None runs until cancelled.")
    pause: float = Field(default=3.0, ge=0, description="Seconds between rounds.")
    heartbeat: float = Field(default=0.5, gt=0, description="Seconds between heartbeats of a claimed TODO.")


async def run_demo_writers(config: DemoWriterConfig, say: Callable[[str], None] | None = None) -> int:
    """Run the demo; returns the number of rounds completed."""
    report: Callable[[str], None] = say or (lambda _line: None)
    link = WebsocketConfig(url=config.url, room=config.room, token=config.token)
    async with AsyncExitStack() as stack:
        outliner = Workspace("outliner")
        await stack.enter_async_context(WebsocketTransport(link).connect(outliner))
        writers = [Workspace(f"impl-{i + 1}") for i in range(config.agents)]
        for ws in writers:
            await stack.enter_async_context(WebsocketTransport(link).connect(ws))
        rounds = 0
        while config.rounds is None or rounds < config.rounds:
            await _round(outliner, writers, rounds, config)
            rounds += 1
            report(f"[{LABEL}] round {rounds} committed in room {config.room!r}")
            await anyio.sleep(config.pause)
        return rounds


async def _round(outliner: Workspace, writers: list[Workspace], number: int, config: DemoWriterConfig) -> None:
    path = f"inventory_{number + 1}.py"
    outliner.set_meta(run=f"demo-{int(time.time())}", mode="parallel", phase="outline", provider=LABEL, round=number + 1)
    outliner.create_file(path, OUTLINE)
    ids = {symbol: f"r{number + 1}:{symbol}" for symbol in IMPLEMENTATIONS}
    for symbol, todo_id in ids.items():
        outliner.add_todo(TodoEntry(id=todo_id, file=path, symbol=symbol, lease_s=3.0))  # type: ignore[call-arg]
    outliner.log("outline", None, file=path, todos=len(ids), label=LABEL)
    outliner.set_meta(phase="implement")
    await anyio.sleep(0.5)
    symbols = list(IMPLEMENTATIONS)
    # (symbol, fail?, redo?) in order; the last symbol's first attempt fails, so every round shows a repair.
    queue: list[tuple[str, bool, bool]] = [(symbol, symbol == symbols[-1], False) for symbol in symbols]
    while queue:
        wave, queue = queue[: len(writers)], queue[len(writers) :]
        jobs = [
            _Job(writers[i], path, ids[symbol], symbol, COLOURS[i % len(COLOURS)], fail, _split(symbol)[1] if redo else "        pass\n")
            for i, (symbol, fail, redo) in enumerate(wave)
        ]
        await _run_wave(jobs, config)
        queue.extend((job.symbol, False, True) for job in jobs if job.fail)
    for ws in writers:
        ws.awareness.set_local_state(None)
    outliner.set_meta(phase="done", committed=len(ids))
    outliner.log("done", None, file=path, label=LABEL)


@dataclass
class _Job:
    ws: Workspace
    path: str
    todo_id: str
    symbol: str
    colour: str
    fail: bool
    old_body: str = "        pass\n"


def _split(symbol: str) -> tuple[str, str]:
    """An implementation's ``def`` line + docstring (as in the outline), and its body."""
    lines = IMPLEMENTATIONS[symbol].splitlines(keepends=True)
    return "".join(lines[:2]), "".join(lines[2:])


async def _run_wave(jobs: list[_Job], config: DemoWriterConfig) -> None:
    """Claim and clear every region of the wave first, then stream them all at once.

    Only a method's body is rewritten (its ``def`` line and docstring stay),
    so the text just before each stream's anchor belongs to that writer alone:
    the content-addressed anchors of neighbours never lose their context.
    """
    with ExitStack() as stack:
        writers: list[StreamWriter] = []
        for job in jobs:
            ws = job.ws
            attempt = ws.todo(job.todo_id).attempt + 1
            ws.update_todo(job.todo_id, status=TodoStatus.CLAIMED, assignee=ws.agent_id, attempt=attempt, heartbeat=0)
            ws.log("claim", job.todo_id, attempt=attempt, label=LABEL)
            header, _ = _split(job.symbol)
            source = ws.read(job.path)
            found = source.find(header + job.old_body)
            if found < 0:
                raise RuntimeError(f"demo: {job.symbol} is not in {job.path} as expected")
            start = found + len(header)
            ws.edit(job.path, start, start + len(job.old_body), "")
            writers.append(stack.enter_context(ws.stream(job.path, start)))
        async with anyio.create_task_group() as tg:
            for job, writer in zip(jobs, writers):
                tg.start_soon(_implement, job, writer, config)


async def _implement(job: _Job, writer: StreamWriter, config: DemoWriterConfig) -> None:
    ws = job.ws
    _, body = _split(job.symbol)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_heartbeat, ws, job.todo_id, config.heartbeat)
        for i in range(0, len(body), 4):
            writer.write(body[i : i + 4])
            # The symbol anchors the region (the page resolves it in the text it holds); the offsets,
            # what this writer has streamed so far, are only a fallback for readers that cannot.
            region = Region(file=job.path, symbol=job.symbol, start=writer.index - writer.written, end=writer.index)
            ws.set_presence(Presence(agent=ws.agent_id, color=job.colour, region=region))
            await anyio.sleep(1 / config.tokens_per_second)
        tg.cancel_scope.cancel()
    # Work over: the region goes with the commit (or the failed verdict), not at the end of the round.
    ws.set_presence(Presence(agent=ws.agent_id, color=job.colour))
    if job.fail:
        ws.update_todo(job.todo_id, status=TodoStatus.FAILED, verdict="seeded demo fault: retry")
        ws.log("verdict", job.todo_id, ok=False, label=LABEL)
    else:
        ws.update_todo(job.todo_id, status=TodoStatus.DONE, result=IMPLEMENTATIONS[job.symbol], verdict="pass")
        ws.log("commit", job.todo_id, chars=len(body), label=LABEL)


async def _heartbeat(ws: Workspace, todo_id: str, every: float) -> None:
    beats = 0
    while True:
        await anyio.sleep(every)
        beats += 1
        ws.update_todo(todo_id, heartbeat=beats)
