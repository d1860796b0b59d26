"""One fault trial: a relay process, implementer processes, the outliner and judge here, one fault.

Topology (all real websockets on 127.0.0.1)::

    outliner, judge (this process) ──┐
    crdt-bench implement × N ────────┼── CuttingProxy ── crdt-bench relay --store DIR
                                     ┘   (counts, cuts)   (SIGKILLed / restarted in kind relay)

After the run: the relay is stopped politely (it flushes), its store is read
back, and the checks of :mod:`bench.faults._checks` run against it.
"""

from __future__ import annotations

import logging
import random
import secrets
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import anyio
from pydantic import BaseModel, Field

from agents.judge import Judge
from agents.roles import JudgeConfig, RunTimeout, find_stubs
from agents.scheduler import SchedulerConfig
from agents.team import TeamConfig, TeamHooks, TeamRun, run_task
from crdt_ws import WebsocketConfig, WebsocketTransport, Workspace

from ._checks import copy_doc, definition_counts, diverged_regions, lost_updates, not_done, read_store
from ._inject import INJECTORS, Context, FaultKind
from ._procs import ImplementerOptions, ImplementerProcess, RelayProcess
from ._proxy import CuttingProxy

__all__ = ["FaultTrialConfig", "FaultTrialResult", "run_fault_trial"]

log = logging.getLogger("bench.faults")

_VICTIM_KINDS = (FaultKind.CLAIM, FaultKind.STREAM, FaultKind.COMMIT)


class FaultTrialConfig(BaseModel):
    """One trial: which fault, on which task, with how many implementer processes."""

    kind: FaultKind = Field(description="claim, stream, commit (SIGKILL an implementer there), relay (SIGKILL + restart the relay) or drop (cut every connection at random moments).")
    seed: int = Field(default=0, description="Seeds the implementer count, the fault's moment and the downtime.")
    task: str = Field(default="bank_ledger", description="Task of the suite to implement.")
    suite: str = Field(default="bundled", description="Suite the task (and the scripted model's answers) come from.")
    implementers: int | None = Field(default=None, ge=2, le=4, description="Implementer processes; None: 2-4 chosen by the seed.")
    time_scale: float = Field(default=0.15, gt=0, description="Offline model latency scale (scripted, faults off).")
    victim_time_scale: float = Field(
        default=1.0,
        gt=0,
        description="stream: the victim's latency scale (1 = real model speed), so its reply streams for seconds, "
        "not the fraction of a second a fast scripted reply takes, and the kill lands mid-stream.",
    )
    lease: float = Field(default=0.6, gt=0, description="Claim lease (s): how soon a dead holder's TODO is reclaimed.")
    heartbeat: float = Field(default=0.1, gt=0, description="Heartbeat interval (s).")
    downtime_s: float | None = Field(default=None, ge=0, description="relay: seconds dead before the restart begins; None: 0.2-1.0 chosen by the seed.")
    cut_every_s: float = Field(default=1.0, gt=0, description="drop: mean seconds between cuts (exponential).")
    timeout_s: float = Field(default=120.0, gt=0, description="A run not finished by then is aborted and reported.")
    pyright: bool = Field(default=False, description="Let the judge run its warm-pyright conflict check.")
    keep: Path | None = Field(default=None, description="Keep the store and process logs under this directory (None: a temp dir).")


@dataclass
class FaultTrialResult:
    """What one trial did and found; the fault must have struck and every check come out clean (see :attr:`ok`)."""

    kind: str
    seed: int
    task: str
    implementers: int
    kills: int = 0
    reclaims: int = 0
    reconnects: int = 0
    double_claims: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    not_done: dict[str, str] = field(default_factory=dict)
    diverged: list[str] = field(default_factory=list)
    """Done TODOs whose region in the final buffer is not their recorded result (judged code ≠ shipped code)."""
    hidden_passed: bool = False
    persisted_final: bool = False
    at_fault_point: bool | None = None
    recover_s: list[float] = field(default_factory=list)
    downtime_s: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    survivor_exit: list[int | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and self.kills > 0
            and not self.lost
            and not self.duplicates
            and not self.missing
            and not self.not_done
            and not self.diverged
            and self.hidden_passed
            and self.persisted_final
            and all(code == 0 for code in self.survivor_exit)
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


async def run_fault_trial(config: FaultTrialConfig, *, judge: Judge) -> FaultTrialResult:
    """Run one trial with its fault and check everything afterwards."""
    from bench import task_inputs
    from bench.suites import get_suite

    rng = random.Random(f"{config.kind.value}/{config.seed}")
    n = config.implementers or rng.randint(2, 4)
    spec, hidden = task_inputs(get_suite(config.suite).task(config.task))
    assert spec.outline is not None
    result = FaultTrialResult(kind=config.kind.value, seed=config.seed, task=config.task, implementers=n)
    room = f"faults-{config.kind.value}-{config.seed}"
    token = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="crdt-faults-") as tmp:
        base = config.keep / room if config.keep is not None else Path(tmp)
        shutil.rmtree(base / "store", ignore_errors=True)  # a kept earlier trial of this room must not leak in
        relay = RelayProcess(base / "store", token, base / "logs")
        store_file = base / "store" / f"{room}.sqlite"
        implementers = [ImplementerProcess(f"impl-{i}", base / "logs") for i in range(n)]
        ctx: Context | None = None
        final: Any = None
        source = ""
        try:
            await relay.start()
            async with CuttingProxy(relay.port) as proxy:
                ctx = Context(
                    kind=config.kind,
                    ws=Workspace("outliner"),
                    relay=relay,
                    proxy=proxy,
                    implementers=implementers,
                    store_file=store_file,
                    room=room,
                    outline=spec.outline,
                    rng=rng,
                    downtime_s=config.downtime_s if config.downtime_s is not None else rng.uniform(0.2, 1.0),
                    cut_every_s=config.cut_every_s,
                )
                link = WebsocketConfig(url=f"ws://127.0.0.1:{proxy.port}", room=room, token=token)  # type: ignore[arg-type]
                final, source = await _drive(ctx, config, link, token, spec, result, judge)
                result.reconnects = proxy.bridged - (2 + n)
        except Exception as exc:  # a trial that breaks is a finding, reported with the rest
            result.error = _describe(exc)
        finally:
            with anyio.CancelScope(shield=True):  # never leave processes behind, even when cancelled
                for proc in implementers:
                    if proc.alive:
                        await proc.sigkill()
                await relay.terminate()  # SIGTERM: the relay flushes every room first
        if ctx is not None:
            result.kills, result.recover_s, result.downtime_s = ctx.kills, ctx.recover_s, ctx.downtimes
            result.notes.extend(ctx.notes)
        if final is None or ctx is None:
            return result
        stored = read_store(store_file, room)
    result.persisted_final = not lost_updates(final, stored) and not lost_updates(stored, final)
    for snapshot in ctx.snapshots:
        result.lost.extend(lost_updates(snapshot, stored))
    events = Workspace("check", stored).read_events()
    result.reclaims = sum(e.type == "reclaim" for e in events)
    result.double_claims = sum(e.type == "double_claim" for e in events)
    counts = definition_counts(source, find_stubs(spec.outline))
    result.duplicates = {s: c for s, c in counts.items() if c > 1}
    result.missing = [s for s, c in counts.items() if c < 1]
    if any(c < 0 for c in counts.values()):
        result.notes.append("the final module does not parse")
    result.not_done = not_done(Workspace("check", stored))
    result.diverged = diverged_regions(Workspace("check", stored))
    result.hidden_passed = (await judge.score(source, hidden)).passed
    if config.kind in _VICTIM_KINDS and ctx.victim_todo is not None:
        _victim_checks(ctx, result, events)
    return result


class _Faults(TeamHooks):
    """The fault trial's hooks on the library pipeline: start the processes, strike, wait for the survivors."""

    def __init__(self, ctx: Context, config: FaultTrialConfig, link: WebsocketConfig, token: str, result: FaultTrialResult) -> None:
        self.ctx, self.config, self.link, self.token, self.result = ctx, config, link, token, result

    async def published(self, run: TeamRun) -> None:
        ctx, config = self.ctx, self.config
        ctx.ws = run.outliner  # the injectors read the live document through the outliner's replica
        options = ImplementerOptions(time_scale=config.time_scale, lease=config.lease, heartbeat=config.heartbeat, suite=config.suite)
        slow = ImplementerOptions(time_scale=config.victim_time_scale, lease=config.lease, heartbeat=config.heartbeat, suite=config.suite)
        for i, proc in enumerate(ctx.implementers):
            pause = "extracted:30" if config.kind == FaultKind.COMMIT and i == 0 else None
            proc.start(self.link.url, ctx.room, self.token, slow if config.kind == FaultKind.STREAM and i == 0 else options, pause_at=pause)

    async def during(self, run: TeamRun) -> None:
        await INJECTORS[self.config.kind](self.ctx)

    async def finishing(self, run: TeamRun) -> None:
        ctx, result = self.ctx, self.result
        if ctx.kills == 0:
            ctx.notes.append(f"the {self.config.kind.value} fault never struck before the run ended (not a fault trial)")
        dead = {ctx.victim.agent} if self.config.kind in _VICTIM_KINDS and ctx.kills else set()
        for proc in ctx.implementers:
            if proc.agent not in dead:
                code = await proc.wait(30.0)
                result.survivor_exit.append(code)
                if code != 0:
                    result.notes.append(f"{proc.agent} exited {code}: {proc.output()[-800:]}")


async def _drive(
    ctx: Context, config: FaultTrialConfig, link: WebsocketConfig, token: str, spec: Any, result: FaultTrialResult, judge: Judge
) -> tuple[Any, str]:
    """Outline, start the implementers, inject the fault, judge to the end; the final doc and source."""
    team = TeamConfig(
        scheduler=SchedulerConfig(agents=len(ctx.implementers)), judge=JudgeConfig(pyright=config.pyright),
        timeout_s=config.timeout_s, implementers=0,
    )  # fmt: skip
    transport = WebsocketTransport(link)
    try:
        run = await run_task(spec, None, transport.connect, judge=judge, mode="parallel", config=team, hooks=_Faults(ctx, config, link, token, result))
    except RunTimeout as exc:  # the run did not finish in time, or the judge's replica never got the plan
        result.error = str(exc)
        return None, ""  # the pipeline set meta.phase = aborted; the processes are killed by the caller
    result.wall_s = run.wall_s
    return copy_doc(ctx.ws.doc), run.source


def _describe(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    log.warning("fault trial broke", exc_info=exc)
    return f"{type(exc).__name__}: {exc}"


def _victim_checks(ctx: Context, result: FaultTrialResult, events: list[Any]) -> None:
    """Did the kill hit the intended phase, and how long until the victim's TODO was reclaimed?"""
    todo = ctx.victim_todo
    assert todo is not None and ctx.killed_wall is not None
    victim = ctx.victim.agent
    committed = any(e.type == "complete" and e.todo == todo.id and e.agent == victim for e in events)
    if ctx.kind == FaultKind.CLAIM:
        stub = ctx.region(todo.symbol, ctx.outline)
        result.at_fault_point = not committed and ctx.region_after_kill == stub
    elif ctx.kind == FaultKind.STREAM:
        result.at_fault_point = not committed and ctx.region_after_kill != ctx.region(todo.symbol, ctx.outline)
    else:
        paused = any(e.type == "pause" and e.todo == todo.id and e.agent == victim for e in events)
        result.at_fault_point = paused and not committed
    reclaims = [e.time for e in events if e.type == "reclaim" and e.todo == todo.id and e.time >= ctx.killed_wall]
    if reclaims:
        result.recover_s.append(min(reclaims) - ctx.killed_wall)
    else:
        result.notes.append(f"{todo.id} held by the killed {victim} was never reclaimed")
