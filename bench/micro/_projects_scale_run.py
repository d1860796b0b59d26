"""One cell of the projects scale benchmark: N TODOs over F files, A real claimers, one watching replica.

The relay runs in its own process (``_relay_host``, with a store and durable
acknowledgements, as ``crdt-bench serve`` runs it) on 127.0.0.1.  The outliner
seeds the board (:mod:`bench.micro._project_board`), then ``agents`` real
:class:`claim_protocol.Claimer` loops (each its own replica and websocket, all in
this process) claim and commit a fixed small payload per TODO, with no model.
A watcher replica notes when each commit reaches it.

Measured: claim latency (claim written -> verified win, from each claimer's
stats), edit propagation (the committing transaction -> the watcher holding the
TODO done and its code; same process, same clock), double claims (TODOs more
than one claim of which verified as won), throughput (TODOs / seconds from the
claimers' start to the watcher holding the last commit), the document's size
(its full update, bytes) and the machine's load around the cell.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
from pycrdt import MapEvent
from pydantic import BaseModel, Field, SecretStr

from claim_protocol import ClaimConfig, Claimer, commit_symbol
from crdt_ws import TodoEntry, WebsocketConfig, WebsocketTransport, Workspace

from ._project_board import ProjectBoard, landed, payload, project_board, seed
from ._relay_host import relay_process


class CellResult(BaseModel):
    """What one (TODOs, agents) cell measured, and the invariants the smoke test checks."""

    todos: int = Field(description="TODOs on the board.")
    files: int = Field(description="Module files the TODOs are spread over.")
    agents: int = Field(description="Claimers running at once.")
    claim_ms: list[float] = Field(description="Claim written -> verified win, one per won claim (ms).")
    propagation_ms: list[float] = Field(description="Commit transaction -> the watcher holds it, one per TODO (ms).")
    wins: int = Field(description="Claims that verified as won, over all agents.")
    losses: int = Field(description="Claims that lost at verify.")
    double_claims: int = Field(description="TODOs more than one claim of which verified as won (the audit log's verify events).")
    completions: Counter[str] = Field(description="`complete` events per TODO id in the audit log (1 each when nothing was done twice).")
    done: int = Field(description="TODOs whose status is done on the watcher at the end.")
    committed_by: dict[str, int] = Field(description="TODOs committed per agent (from `done_by`).")
    texts_ok: bool = Field(description="Every file on the watcher holds every one of its methods' committed payload.")
    wall_s: float = Field(description="Claimers started -> the watcher holds the last commit.")
    doc_bytes: int = Field(description="Size of the document's full state update at the end.")
    load_before: float = Field(description="1-minute load average before the cell.")
    load_after: float = Field(description="1-minute load average after the cell.")

    @property
    def throughput(self) -> float:
        return self.todos / self.wall_s if self.wall_s > 0 else 0.0


class _Watcher:
    """Notes when each TODO turns done on a replica (its code lands in the same transaction)."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.seen: dict[str, float] = {}
        self.all_done = anyio.Event()
        self.expected = 0
        self._sub = ws.todos.observe_deep(self._on)

    def _on(self, events: list[Any]) -> None:
        now = time.perf_counter()
        for event in events:
            if not isinstance(event, MapEvent) or not event.path:
                continue
            change = event.keys.get("status")
            if change is not None and change.get("newValue") == "done":
                self.seen.setdefault(str(event.path[0]), now)
        if self.expected and len(self.seen) >= self.expected:
            self.all_done.set()

    def close(self) -> None:
        self.ws.todos.unobserve(self._sub)


async def run_cell(todos: int, files: int, agents: int, *, timeout_s: float = 600.0, store: Path | None = None) -> CellResult:
    """Seed a board, run ``agents`` claimers to the end through a relay subprocess, and measure."""
    board = project_board(files, todos)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="projects-scale-") as tmp:
        token = secrets.token_urlsafe(16)
        async with relay_process(token, store=store or Path(tmp)) as url:
            result = await _measure(board, agents, url, token, timeout_s)
    return CellResult(**result, todos=todos, files=files, agents=agents, load_before=load_before, load_after=os.getloadavg()[0])


async def _measure(board: ProjectBoard, agents: int, url: str, token: str, timeout_s: float) -> dict[str, Any]:
    link = WebsocketConfig(url=url, room=f"scale-{len(board.todos)}-{agents}", token=SecretStr(token))
    committed: dict[str, float] = {}

    def commit(ws: Workspace, entry: TodoEntry, code: str) -> None:
        committed[entry.id] = time.perf_counter()  # inside the commit transaction: what the watcher must see
        commit_symbol(ws, entry, code)

    outliner, watcher_ws = Workspace("outliner"), Workspace("watcher")
    async with WebsocketTransport(link).connect(outliner) as seeding, WebsocketTransport(link).connect(watcher_ws) as watching:
        seed(outliner, board)
        await seeding.wait_durable()
        await watching.round_trip()
        watcher = _Watcher(watcher_ws)
        watcher.expected = len(board.todos)
        stats = []
        workspaces = [Workspace(f"agent-{i:02d}") for i in range(agents)]
        start = time.perf_counter()
        with anyio.fail_after(timeout_s):
            async with anyio.create_task_group() as tg:
                for ws in workspaces:

                    async def agent(ws: Workspace = ws) -> None:
                        async with WebsocketTransport(link).connect(ws) as conn:
                            claimer = Claimer(ws, ClaimConfig(), connection=conn, commit=commit)

                            async def work(entry: TodoEntry) -> str:
                                return payload(entry, ws.agent_id)

                            stats.append(await claimer.run(work))

                    tg.start_soon(agent)
            await watcher.all_done.wait()
        wall = time.perf_counter() - start
        await watching.round_trip()  # anything still in flight (the last audit events) arrives
        watcher.close()
        raw = watcher_ws.todos_raw()
        events = watcher_ws.read_events()
        texts_ok = all(landed(watcher_ws.read(t.file), t, str(raw[t.id].get("done_by"))) for t in board.todos)
        doc_bytes = len(watcher_ws.doc.get_update())
    verified = Counter(e.todo for e in events if e.type == "verify")
    return {
        "claim_ms": [x * 1000 for s in stats for x in s.latencies],
        "propagation_ms": [(watcher.seen[k] - committed[k]) * 1000 for k in committed if k in watcher.seen],
        "wins": sum(s.wins for s in stats),
        "losses": sum(s.losses for s in stats),
        "double_claims": sum(1 for n in verified.values() if n > 1),
        "completions": Counter(e.todo for e in events if e.type == "complete" and e.todo),
        "done": sum(1 for t in raw.values() if t.get("status") == "done"),
        "committed_by": dict(Counter(str(t.get("done_by")) for t in raw.values())),
        "texts_ok": texts_ok,
        "wall_s": wall,
        "doc_bytes": doc_bytes,
    }
