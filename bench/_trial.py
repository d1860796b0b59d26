"""One trial: one task, one mode, fresh replicas, the library pipeline to the end, hidden tests scored.

The pipeline itself is :func:`agents.team.run_task`; a trial picks its
transport (in-memory hub, a relay started on 127.0.0.1, or one already
running), injects the configured crash, and measures: the clock starts when
the implementers are released and stops when the judge marks the run
finished; ``implement_s`` stops at the last TODO's final commit.

A multi-file task is scored by a :data:`HiddenProject` over every file's
final text (``TeamResult.sources``); one that returns None scored nothing and
the row says so (``verdict: "hidden: not scored"``).
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import anyio
from pydantic import BaseModel, Field, SecretStr

from agents.judge import HiddenTests, Judge, PyrightServer, Score
from agents.models import StreamingModel
from agents.roles import FinalCheck, TaskSpec
from agents.scheduler import Mode
from agents.team import TeamConfig, TeamHooks, TeamRun, run_task
from crdt_ws import MemoryHub, Relay, RelayConfig, TodoChanged, WebsocketConfig, WebsocketTransport, Workspace

from ._metrics import TrialResult, summarize

__all__ = ["TrialConfig", "Crash", "HiddenProject", "NOT_SCORED", "run_trial", "trial_room"]

Transport = Literal["memory", "websocket"]

HiddenProject = Callable[[Mapping[str, str]], Awaitable[Score | None]]
"""Scores a multi-file task's final files (path -> text) with its hidden tests; None: not scored."""

NOT_SCORED = "hidden: not scored"
"""The verdict of a row whose hidden tests were not run (``passed`` is then False and means nothing)."""


class Crash(BaseModel):
    """Kill one implementer mid-run: its task stops and its link drops, with no goodbye."""

    agent: int = Field(default=0, ge=0, description="Index of the implementer to kill.")
    after_s: float = Field(default=0.2, ge=0, description="Seconds after the start before it may die.")
    holding: bool = Field(
        default=True, description="Die only once the document shows it holding a claim (then its lease must be reclaimed); "
        "False: at after_s whatever it is doing."
    )  # fmt: skip


class TrialConfig(TeamConfig):
    """How one trial runs: the team's options plus the transport, the seed and a fault."""

    transport: Transport = Field(default="memory", description="memory: one in-process hub; websocket: a real relay on 127.0.0.1.")
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


class _Hooks(TeamHooks):
    """A trial's view of the pipeline: progress displays see the plan; the configured crash strikes."""

    def __init__(self, observe: Callable[[Workspace], None] | None, crash: Crash | None) -> None:
        self.observe = observe
        self.crash = crash

    async def published(self, run: TeamRun) -> None:
        if self.observe is not None:
            self.observe(run.outliner)

    async def during(self, run: TeamRun) -> None:
        if self.crash is not None:
            await anyio.sleep(self.crash.after_s)
            if self.crash.holding:
                await _holds_claim(run.judge, f"implementer-{self.crash.agent}")
            run.crash(self.crash.agent)


async def _holds_claim(ws: Workspace, agent: str) -> None:
    """Return once ``ws`` shows ``agent`` holding a claim (waits on the document, not on a clock)."""
    async with ws.observe(include_own=True) as changes:
        if any(t.status == "claimed" and t.assignee == agent for t in ws.list_todos()):
            return
        async for change in changes:
            if isinstance(change, TodoChanged) and any(t.status == "claimed" and t.assignee == agent for t in ws.list_todos()):
                return


async def run_trial(
    spec: TaskSpec,
    hidden: HiddenTests | HiddenProject,
    mode: Mode,
    model: StreamingModel,
    config: TrialConfig,
    *,
    judge: Judge,
    pyright: PyrightServer | None = None,
    observe: Callable[[Workspace], None] | None = None,
    room: str | None = None,
    final_check: FinalCheck | None = None,
) -> TrialResult:
    """Run ``spec`` in ``mode`` through :func:`agents.team.run_task`; score the final buffer with the hidden tests.

    ``observe`` is handed the outliner's replica once the plan is published (progress displays read it).
    ``room``: the workspace's room name (``crdt-bench run --watch`` announces it before the trial starts).
    ``final_check``: the judge agent's last visible check (a multi-file task's check tests).
    """
    if room is None:
        room = trial_room(spec.id, mode, config.seed, shared=config.relay_url is not None)
    team = TeamConfig.model_validate(
        {name: getattr(config, name) for name in TeamConfig.model_fields}
        | {"implementer": config.implementer.model_copy(update={"seed": config.seed})}
    )
    hooks = _Hooks(observe, config.crash)
    async with _network(config.transport, room, config.relay_url, config.relay_token) as connect:
        run = await run_task(
            spec, model, connect, judge=judge, mode=mode, config=team, pyright=pyright, hooks=hooks, final_check=final_check
        )
    if isinstance(hidden, HiddenTests):
        score: Score | None = await judge.score(run.source, hidden)
    else:
        score = await hidden(run.sources)
    row = summarize(
        spec=spec,
        plan=run.plan,
        requested=mode,
        agents=run.agents,
        config=config,
        provider=model.info.label,
        wall_s=run.wall_s,
        started=run.started,
        source=run.source,
        todos=run.todos,
        events=run.events,
        stats=run.stats,
        judge=run.judge,
        score=score or Score(passed=False),
        crashed=run.crashed,
        phase=run.phase,
        rtt_bounds=run.rtt_bounds,
    )
    return row if score is not None else row.model_copy(update={"verdict": NOT_SCORED})
