"""The foundation demo: agents stream methods into one shared file through a real relay.

Until the benchmark runner lands, ``crdt-bench run`` runs this.  It uses no
model: each writer streams a known implementation at a fixed token rate (an
*offline demo writer*, labelled as such in every line it prints), so what it
shows is the workspace itself — replicas on websockets, region edits located
live, streamed chunks reaching every replica, convergence — in parallel or
serial order.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import AsyncExitStack
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio
from pydantic import BaseModel, Field

from crdt_ws import Presence, Region, Relay, RelayConfig, TodoEntry, TodoStatus, WebsocketConfig, WebsocketTransport, Workspace
from crdt_ws import converged, parse_python
from web._demo_data import IMPLEMENTATIONS, LABEL, OUTLINE

__all__ = ["DemoConfig", "DemoResult", "IMPLEMENTATIONS", "LABEL", "OUTLINE", "run_demo"]

class DemoConfig(BaseModel):
    """Options of the foundation demo."""

    mode: Literal["parallel", "serial"] = Field(default="parallel", description="Write all methods at once, or one after another.")
    agents: int = Field(default=4, ge=1, le=32, description="Number of writer replicas.")
    tokens_per_second: float = Field(default=400.0, gt=0, description="Pace of the offline demo writer.")
    store_dir: Path | None = Field(default=None, description="Where the relay persists the room; a temp dir if unset.")


@dataclass
class DemoResult:
    mode: str
    agents: int
    wall_seconds: float
    converged: bool
    parses: bool
    chunks: int
    relay_updates: int
    source: str = ""

    def summary(self) -> str:
        return (
            f"[{LABEL}] mode={self.mode} agents={self.agents} wall={self.wall_seconds:.2f}s "
            f"chunks={self.chunks} relay_updates={self.relay_updates} "
            f"converged={self.converged} parses={self.parses}"
        )


ProgressFn = Callable[[str], None]


async def run_demo(config: DemoConfig, progress: ProgressFn | None = None) -> DemoResult:
    """Outline a class, let writers stream its methods through a relay, check convergence."""
    say: ProgressFn = progress or (lambda _line: None)
    with tempfile.TemporaryDirectory() as tmp:
        relay_config = RelayConfig(port=0, store_dir=config.store_dir or Path(tmp))
        async with Relay(relay_config) as relay, AsyncExitStack() as stack:
            link = WebsocketConfig(url=relay.url, room="demo")
            outliner = Workspace("outliner")
            await stack.enter_async_context(WebsocketTransport(link).connect(outliner))
            outliner.create_file("inventory.py", OUTLINE)
            for symbol in IMPLEMENTATIONS:
                outliner.add_todo(TodoEntry(id=symbol, file="inventory.py", symbol=symbol))
            writers = [Workspace(f"writer-{i}") for i in range(config.agents)]
            for ws in writers:
                await stack.enter_async_context(WebsocketTransport(link).connect(ws))
            chunks: list[int] = []

            async def write(i: int, symbol: str) -> None:
                chunks.append(await _write(writers[i % len(writers)], symbol, config))
                say(f"[{LABEL}] {writers[i % len(writers)].agent_id} committed {symbol}")

            started = time.perf_counter()
            if config.mode == "parallel":
                async with anyio.create_task_group() as tg:
                    for i, symbol in enumerate(IMPLEMENTATIONS):
                        tg.start_soon(write, i, symbol)
            else:
                for i, symbol in enumerate(IMPLEMENTATIONS):
                    await write(i, symbol)
            wall = time.perf_counter() - started
            converged_ = await converged([outliner, *writers])
            source = outliner.read("inventory.py")
            room = relay.room("demo")
            updates = room.stats["updates"] if room is not None else 0
    try:
        parse_python(source)
        parses = True
    except SyntaxError:
        parses = False
    return DemoResult(config.mode, config.agents, wall, converged_, parses, sum(chunks), updates, source)


async def _write(ws: Workspace, symbol: str, config: DemoConfig) -> int:
    """Claim, clear the stub, stream the body where it stood, mark done; returns chunk count."""
    ws.update_todo(symbol, status=TodoStatus.CLAIMED, assignee=ws.agent_id)
    span = ws.buffer("inventory.py").span(symbol)
    region = Region(file="inventory.py", symbol=symbol, start=span.start, end=span.end)
    ws.set_presence(Presence(agent=ws.agent_id, region=region))
    body = IMPLEMENTATIONS[symbol]
    ws.edit("inventory.py", span.start, span.end, "")
    count = 0
    # The def line goes first, whole: a run that short streams find again alone must be long and unique
    # (crdt_ws.StreamAnchor) once the streams of both neighbours have rewritten the text on either side of it.
    first = body.index("\n") + 1
    pieces = [body[:first]] + [body[i : i + 16] for i in range(first, len(body), 16)]  # then ~4 tokens per chunk
    with ws.stream("inventory.py", span.start) as writer:
        for piece in pieces:
            writer.write(piece)
            count += 1
            await anyio.sleep(4 / config.tokens_per_second)
    ws.update_todo(symbol, status=TodoStatus.DONE, result=body)
    ws.log("commit", symbol, chars=len(body))
    return count
