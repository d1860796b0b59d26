"""One trial: one task, one mode, fresh replicas, agents to the end, hidden tests scored.

Every agent gets its own ``Workspace`` replica and connection (in-memory hub
or a real websocket relay on 127.0.0.1); they share nothing else but the
model client (stateless per request) and the judge's sandbox.  The clock
starts when the outline is published and stops when the judge marks the run
finished; ``implement_s`` stops at the last TODO's final commit.
"""

from __future__ import annotations

import math
import secrets
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import anyio
from anyio import TASK_STATUS_IGNORED
from anyio.abc import TaskStatus
from pydantic import BaseModel, Field, SecretStr

from agents.judge import HiddenTests, Judge, PyrightServer, VisibleChecks, outline_doctests
from agents.models import StreamingModel
from agents.roles import (
    Implementer,
    ImplementerConfig,
    ImplementerStats,
    JudgeAgent,
    JudgeConfig,
    Outliner,
    OutlinerConfig,
    RunTimeout,
    TaskSpec,
    Snapshot,
    phase_of,
)
from agents.scheduler import Mode, SchedulerConfig
from claim_protocol import ClaimConfig, peer_bounds
from crdt_ws import MemoryHub, Relay, RelayConfig, TodoEntry, WebsocketConfig, WebsocketTransport, Workspace

from ._metrics import TrialResult, summarize

__all__ = ["TrialConfig", "Crash", "run_trial", "trial_room"]

Transport = Literal["memory", "websocket"]


class Crash(BaseModel):
    """Kill one implementer mid-run: its task stops and its link drops, with no goodbye."""

    agent: int = Field(default=0, ge=0, description="Index of the implementer to kill.")
    after_s: float = Field(default=0.2, ge=0, description="Seconds after the start when it dies.")


class TrialConfig(BaseModel):
    """How one trial runs."""

    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig, description="Mode, parallelism and policies.")
    transport: Transport = Field(default="memory", description="memory: one in-process hub; websocket: a real relay on 127.0.0.1.")
    claim: ClaimConfig = Field(default_factory=ClaimConfig, description="Claim protocol timing.")
    judge: JudgeConfig = Field(default_factory=JudgeConfig, description="Judge agent options.")
    implementer: ImplementerConfig = Field(default_factory=ImplementerConfig, description="Implementer options.")
    outliner: OutlinerConfig = Field(default_factory=OutlinerConfig, description="Outliner options.")
    timeout_s: float = Field(default=300.0, gt=0, description="A trial still running after this is aborted with RunTimeout.")
    crash: Crash | None = Field(default=None, description="Fault injection: kill one implementer mid-run.")
    seed: int = Field(default=0, description="Seed of the trial (offline replies and jitter).")
    relay_url: str | None = Field(
        default=None,
        description="websocket only: an already running relay to use (ours, or any y-websocket server such as "
        "Node's y-websocket server) instead of starting one on 127.0.0.1.",
    )
    relay_token: SecretStr | None = Field(default=None, description="Token for relay_url (None: no token; the CLI reads $CRDT_WS_TOKEN).")


@asynccontextmanager
async def _network(
    kind: Transport, room: str, relay_url: str | None = None, token: SecretStr | None = None
) -> AsyncIterator[Callable[[Workspace], Any]]:
    """Yields ``connect(workspace)`` -> an async context manager linking that replica."""
    if kind == "memory":
        async with MemoryHub() as hub:
            yield hub.connect
        return
    if relay_url is not None:
        options: dict[str, Any] = {"token": token} if token is not None else {}
        yield WebsocketTransport(WebsocketConfig(url=relay_url, room=room, **options)).connect
        return
    with tempfile.TemporaryDirectory(prefix="crdt-trial-") as tmp:
        async with Relay(RelayConfig(port=0, store_dir=Path(tmp))) as relay:
            transport = WebsocketTransport(WebsocketConfig(url=relay.url, room=room))
            yield transport.connect


def trial_room(task_id: str, mode: str, seed: int, *, shared: bool) -> str:
    """A trial's room: ``<task>-<mode>-<seed>``, plus a random suffix on a ``shared`` relay (which may keep an
    earlier trial's room: never reuse one)."""
    room = f"{task_id}-{mode}-{seed}".replace("/", "_")
    return room + f"-{secrets.token_hex(3)}" if shared else room


async def run_trial(
    spec: TaskSpec,
    hidden: HiddenTests,
    mode: Mode,
    model: StreamingModel,
    config: TrialConfig,
    *,
    judge: Judge,
    pyright: PyrightServer | None = None,
    observe: Callable[[Workspace], None] | None = None,
    room: str | None = None,
) -> TrialResult:
    """Outline, implement and judge ``spec`` in ``mode``; score the final buffer with the hidden tests.

    ``observe`` is handed the outliner's replica once the plan is published (progress displays read it).
    ``room``: the workspace's room name (``crdt-bench run --watch`` announces it before the trial starts).
    """
    if room is None:
        room = trial_room(spec.id, mode, config.seed, shared=config.relay_url is not None)
    implementer_config = config.implementer.model_copy(update={"seed": config.seed})
    async with _network(config.transport, room, config.relay_url, config.relay_token) as connect, AsyncExitStack() as stack:
        outliner_ws = Workspace("outliner")
        await stack.enter_async_context(connect(outliner_ws))
        scheduler = config.scheduler
        plan = await Outliner(outliner_ws, model, config.outliner).run(
            spec,
            mode,
            agents=scheduler.agents,
            objective=scheduler.objective,
            # Without repairs a wrong result stays wrong: auto weighs that (agents.scheduler._decide).
            decision=scheduler.decision if config.judge.max_repairs > 0 else scheduler.decision.model_copy(update={"repair_rounds": None}),
        )
        if observe is not None:
            observe(outliner_ws)
        agents = 1 if plan.mode == "serial" else scheduler.agents
        judge_ws = Workspace("judge")
        await stack.enter_async_context(connect(judge_ws))
        checker = _draft_checker(judge, outliner_ws) if scheduler.drafts > 1 else None
        judge_agent = JudgeAgent(judge_ws, judge, config.judge, pyright=pyright)

        def make(ws: Workspace, connection: Any, i: int) -> Implementer:
            return Implementer(
                ws,
                model,
                connection=connection,
                scheduler=scheduler,
                claim=config.claim,
                config=implementer_config,
                check=checker,
                index=i,
            )

        go = anyio.Event()
        stats: list[ImplementerStats] = []
        crashed: list[str] = []
        try:
            with anyio.fail_after(config.timeout_s):
                async with anyio.create_task_group() as tg:
                    for i in range(agents):
                        crash = config.crash if config.crash is not None and config.crash.agent == i else None
                        await tg.start(_implementer, i, connect, make, go, stats, crash, crashed)
                    started, started_wall = time.perf_counter(), time.time()
                    go.set()
                    summary = await judge_agent.run()
        except TimeoutError as exc:
            outliner_ws.set_meta(phase="aborted")
            raise RunTimeout(f"{spec.id} in mode {mode} did not finish within {config.timeout_s:g} s") from exc
        wall = time.perf_counter() - started
        await _converged([outliner_ws, judge_ws])
        source = outliner_ws.read(spec.file)
        todos = outliner_ws.list_todos()
        events = outliner_ws.read_events()
        phase = phase_of(outliner_ws) or "unknown"
        rtt_bounds = peer_bounds(outliner_ws)
    score = await judge.score(source, hidden)
    return summarize(
        spec=spec,
        plan=plan,
        requested=mode,
        agents=agents,
        config=config,
        provider=model.info.label,
        wall_s=wall,
        started=started_wall,
        source=source,
        todos=todos,
        events=events,
        stats=stats,
        judge=summary,
        score=score,
        crashed=crashed,
        phase=phase,
        rtt_bounds=rtt_bounds,
    )


async def _implementer(
    i: int,
    connect: Callable[[Workspace], Any],
    make: Callable[[Workspace, Any, int], Implementer],
    go: anyio.Event,
    out: list[ImplementerStats],
    crash: Crash | None,
    crashed: list[str],
    *,
    task_status: TaskStatus[None] = TASK_STATUS_IGNORED,
) -> None:
    """One implementer in its own task, owning its replica and link (a crash drops both)."""
    ws = Workspace(f"implementer-{i}")
    async with connect(ws) as connection:
        implementer = make(ws, connection, i)
        task_status.started()
        await go.wait()
        with anyio.move_on_after(math.inf if crash is None else crash.after_s) as scope:
            out.append(await implementer.run())
        if scope.cancelled_caught:
            # Dead: no more heartbeats or commits, and its replica drops off the network.
            crashed.append(implementer.agent)
            out.append(implementer.stats)


def _draft_checker(judge: Judge, ws: Workspace) -> Callable[[TodoEntry, str], Any]:
    # One incrementally spliced snapshot for every check (not the whole module from
    # scratch per draft), spliced off the event loop; the lock keeps it consistent.
    snapshot: Snapshot | None = None
    lock = anyio.Lock()

    async def check(entry: TodoEntry, code: str) -> bool:
        nonlocal snapshot
        outline = str(ws.meta.get("outline", ""))
        doc = outline_doctests(outline).get(entry.symbol)
        if doc is None:
            return True
        async with lock:
            if snapshot is None or snapshot.outline != outline:
                snapshot = Snapshot(outline)
            module = await anyio.to_thread.run_sync(snapshot.update, ws.list_todos(), {entry.symbol: code})
        feedback = await judge.feedback(module, VisibleChecks(doctests={entry.symbol: doc}, pyright=False))
        return feedback.clean

    return check


async def _converged(workspaces: list[Workspace], timeout: float = 10.0) -> None:
    with anyio.move_on_after(timeout):
        while len({ws.content_hash() for ws in workspaces}) > 1:
            await anyio.sleep(0.01)

