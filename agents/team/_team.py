"""The whole pipeline in one place: outline -> implement -> judge, on the replicas and transport given.

Every agent gets its own ``Workspace`` replica, linked by ``connect`` (an
in-memory hub's, a websocket relay's); they share nothing else but the model
client and the judge's sandbox:

1. the outliner publishes the skeleton, one TODO per stub and the plan;
2. the judge's replica joins and catches up; hooks see the plan; the
   implementers join (as many as the plan runs, or ``TeamConfig.implementers``);
3. the clock starts; implementers claim, stream and commit while the judge
   checks each commit, reopens failures and finally marks the run finished;
4. the replicas converge and the result is read from the outliner's replica.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio import TASK_STATUS_IGNORED
from anyio.abc import TaskStatus
from pydantic import BaseModel, Field

from agents.judge import Judge, PyrightServer
from agents.models import StreamingModel
from agents.roles import (
    FinalCheck, Implementer, ImplementerConfig, ImplementerStats, JudgeAgent, JudgeConfig, JudgeSummary,
    Outliner, OutlinerConfig, RunTimeout, TaskSpec, phase_of,
)  # fmt: skip
from agents.scheduler import Mode, Plan, SchedulerConfig
from claim_protocol import ClaimConfig, peer_bounds
from crdt_ws import Event, TodoEntry, Workspace, converged

from ._drafts import draft_checker

__all__ = ["Connect", "TeamConfig", "TeamHooks", "TeamResult", "TeamRun", "run_task"]

Connect = Callable[[Workspace], AbstractAsyncContextManager[Any]]
"""Links one replica for the length of the block, yielding its connection (``MemoryHub.connect``, ``WebsocketTransport.connect``)."""


class TeamConfig(BaseModel):
    """How one task is run by a team of agents."""

    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig, description="Mode, parallelism and policies.")
    claim: ClaimConfig = Field(default_factory=ClaimConfig, description="Claim protocol timing.")
    judge: JudgeConfig = Field(default_factory=JudgeConfig, description="Judge agent options.")
    implementer: ImplementerConfig = Field(default_factory=ImplementerConfig, description="Implementer options.")
    outliner: OutlinerConfig = Field(default_factory=OutlinerConfig, description="Outliner options.")
    timeout_s: float = Field(default=300.0, gt=0, description="A run still going after this is aborted with RunTimeout.")
    implementers: int | None = Field(
        default=None, ge=0, description="In-process implementers; None: as many as the plan runs (1 in serial mode); "
        "0: none here (they join the room from elsewhere)."
    )  # fmt: skip


@dataclass
class TeamRun:
    """A run in progress, as hooks see it."""

    outliner: Workspace
    judge: Workspace
    plan: Plan
    stats: list[ImplementerStats] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)
    _scopes: dict[int, anyio.CancelScope] = field(default_factory=dict)

    def crash(self, index: int) -> bool:
        """Kill implementer ``index`` now: its task stops and its link drops, with no goodbye. False if it had ended."""
        scope = self._scopes.get(index)
        if scope is None:
            return False
        scope.cancel()
        return True


class TeamHooks:
    """Observe or disturb a run: override what you need; every hook does nothing by default."""

    async def published(self, run: TeamRun) -> None:
        """The plan is on the document; no implementer has started yet."""

    async def during(self, run: TeamRun) -> None:
        """Runs beside the judge from the moment the implementers start; cancelled when the judge finishes."""

    async def finishing(self, run: TeamRun) -> None:
        """The judge finished; the final document is read after this returns."""


@dataclass
class TeamResult:
    """What a run produced, read from the outliner's replica once every replica converged."""

    plan: Plan
    agents: int
    wall_s: float
    started: float
    """Wall-clock time (``time.time()``) when the implementers were released."""
    source: str
    """The single file's final text ("" for a multi-file task: see ``sources``)."""
    sources: dict[str, str]
    """Every file's final text, path -> text (the one file of a single-file task too)."""
    todos: list[TodoEntry]
    events: list[Event]
    stats: list[ImplementerStats]
    judge: JudgeSummary
    crashed: list[str]
    phase: str
    rtt_bounds: dict[str, float]
    """Round-trip bounds each agent published (claim_protocol.peer_bounds)."""


async def run_task(
    spec: TaskSpec,
    model: StreamingModel | None,
    connect: Connect,
    *,
    judge: Judge,
    mode: Mode = "auto",
    config: TeamConfig | None = None,
    pyright: PyrightServer | None = None,
    hooks: TeamHooks | None = None,
    final_check: FinalCheck | None = None,
) -> TeamResult:
    """Outline, implement and judge ``spec`` in ``mode``; raises :class:`RunTimeout` after ``config.timeout_s``.

    ``model`` answers the implementers (and the outliner when ``spec`` has no outline); None only with
    ``TeamConfig.implementers=0``.  A multi-file ``spec`` (``TaskSpec.files``) runs the same way over every
    module; ``final_check`` (the projects' visible check tests) is the judge's last step before finishing.
    """
    config = config or TeamConfig()
    hooks = hooks or TeamHooks()
    scheduler = config.scheduler
    async with AsyncExitStack() as stack:
        outliner = Workspace("outliner")
        await stack.enter_async_context(connect(outliner))
        plan = await Outliner(outliner, model, config.outliner).run(
            spec,
            mode,
            agents=scheduler.agents,
            objective=scheduler.objective,
            # Without repairs a wrong result stays wrong: auto weighs that (agents.scheduler._decide).
            decision=scheduler.decision if config.judge.max_repairs > 0 else scheduler.decision.model_copy(update={"repair_rounds": None}),
        )
        planned = 1 if plan.mode == "serial" else scheduler.agents
        agents = planned if config.implementers is None else config.implementers
        if agents and model is None:
            raise ValueError("run_task: implementers need a model (or set TeamConfig.implementers=0)")
        judge_ws = Workspace("judge")
        await stack.enter_async_context(connect(judge_ws))
        # A judge replica without the TODOs yet would find nothing to wait for and finish the run at once.
        if not await converged([outliner, judge_ws]):
            raise RunTimeout(f"the judge's replica did not receive the plan of {spec.id}")
        run = TeamRun(outliner, judge_ws, plan)
        await hooks.published(run)
        check = draft_checker(judge, outliner) if scheduler.drafts > 1 else None

        def make(ws: Workspace, connection: Any, i: int) -> Implementer:
            assert model is not None
            return Implementer(
                ws, model, connection=connection, scheduler=scheduler, claim=config.claim,
                config=config.implementer, check=check, index=i,
            )  # fmt: skip

        go = anyio.Event()
        judge_agent = JudgeAgent(judge_ws, judge, config.judge, pyright=pyright, final_check=final_check)
        try:
            with anyio.fail_after(config.timeout_s):
                # The skeleton's own conflicts are known before anyone writes a line: checked before the clock starts.
                await judge_agent.prepare()
                async with anyio.create_task_group() as tg:
                    for i in range(agents):
                        await tg.start(_implementer, i, connect, make, go, run)
                    started, started_wall = time.perf_counter(), time.time()
                    go.set()
                    async with anyio.create_task_group() as beside:
                        beside.start_soon(hooks.during, run)
                        summary = await judge_agent.run()
                        beside.cancel_scope.cancel()
        except TimeoutError as exc:
            outliner.set_meta(phase="aborted")
            raise RunTimeout(f"{spec.id} in mode {mode} did not finish within {config.timeout_s:g} s") from exc
        wall = time.perf_counter() - started
        await hooks.finishing(run)
        await converged([outliner, judge_ws])
        sources = {path: outliner.read(path) for path in (spec.files or [spec.file])}
        return TeamResult(
            plan=plan, agents=agents, wall_s=wall, started=started_wall, source=sources.get(spec.file, "") if not spec.files else "",
            sources=sources,
            todos=outliner.list_todos(), events=outliner.read_events(), stats=run.stats, judge=summary,
            crashed=run.crashed, phase=phase_of(outliner) or "unknown", rtt_bounds=peer_bounds(outliner),
        )  # fmt: skip


async def _implementer(
    i: int,
    connect: Connect,
    make: Callable[[Workspace, Any, int], Implementer],
    go: anyio.Event,
    run: TeamRun,
    *,
    task_status: TaskStatus[None] = TASK_STATUS_IGNORED,
) -> None:
    """One implementer in its own task, owning its replica and link (a crash drops both)."""
    ws = Workspace(f"implementer-{i}")
    async with connect(ws) as connection:
        implementer = make(ws, connection, i)
        task_status.started()
        await go.wait()
        with anyio.CancelScope() as scope:
            run._scopes[i] = scope
            run.stats.append(await implementer.run())
        run._scopes.pop(i, None)
        if scope.cancelled_caught:
            # Dead: no more heartbeats or commits, and its replica drops off the network.
            run.crashed.append(implementer.agent)
            run.stats.append(implementer.stats)
