"""agents.team.run_task as an embedder uses it: its own transport, its hooks, implementers from outside."""

from __future__ import annotations

import anyio
import pytest

from agents.judge import Judge
from agents.roles import Implementer, RunTimeout
from agents.scheduler import SchedulerConfig
from agents.team import TeamConfig, TeamHooks, TeamRun, run_task
from bench import task_inputs
from bench.suites import Suite
from crdt_ws import MemoryHub, Workspace

from .conftest import scripted

pytestmark = pytest.mark.anyio


class _Recorder(TeamHooks):
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.todos_at_publish = 0
        self.phase_at_finishing: str | None = None

    async def published(self, run: TeamRun) -> None:
        self.calls.append("published")
        self.todos_at_publish = len(run.judge.list_todos())  # the judge's replica already holds the plan

    async def during(self, run: TeamRun) -> None:
        self.calls.append("during")
        await anyio.sleep_forever()  # cancelled when the judge finishes

    async def finishing(self, run: TeamRun) -> None:
        self.calls.append("finishing")
        self.phase_at_finishing = str(run.outliner.get_meta().get("phase"))


async def test_hooks_run_in_order_around_a_whole_run(suite: Suite, judge: Judge) -> None:
    spec, hidden = task_inputs(suite.task("calculator"))
    hooks = _Recorder()
    async with MemoryHub() as hub, scripted(suite) as model:
        result = await run_task(spec, model, hub.connect, judge=judge, mode="parallel", hooks=hooks,
                                config=TeamConfig(scheduler=SchedulerConfig(agents=2), timeout_s=60))  # fmt: skip
    assert hooks.calls == ["published", "during", "finishing"]
    assert hooks.todos_at_publish == len(result.todos) > 0
    assert hooks.phase_at_finishing == "finished" == result.phase
    assert result.agents == 2 and len(result.stats) == 2 and not result.crashed
    assert all(t.status.value == "done" for t in result.todos)
    assert (await judge.score(result.source, hidden)).passed


class _Outsider(TeamHooks):
    """An implementer the pipeline does not run: it joins the room once the plan is out (another system would)."""

    def __init__(self, hub: MemoryHub, model: object) -> None:
        self.hub, self.model, self.commits = hub, model, -1
        self.tg: anyio.abc.TaskGroup | None = None

    async def published(self, run: TeamRun) -> None:
        assert self.tg is not None
        self.tg.start_soon(self._implement)

    async def _implement(self) -> None:
        ws = Workspace("outsider")
        async with self.hub.connect(ws) as connection:
            stats = await Implementer(ws, self.model, connection=connection).run()  # type: ignore[arg-type]
        self.commits = stats.commits


async def test_with_no_implementers_of_its_own_the_run_waits_for_outside_ones(suite: Suite, judge: Judge) -> None:
    spec, _ = task_inputs(suite.task("semver"))
    async with MemoryHub() as hub, scripted(suite) as model, anyio.create_task_group() as tg:
        outsider = _Outsider(hub, model)
        outsider.tg = tg
        config = TeamConfig(implementers=0, timeout_s=60)
        result = await run_task(spec, None, hub.connect, judge=judge, mode="parallel", config=config, hooks=outsider)
    assert result.agents == 0 and result.stats == []
    assert outsider.commits == len(result.todos) > 0  # every TODO done by the outsider
    assert {e.agent for e in result.events if e.type == "complete"} == {"outsider"}


async def test_no_model_and_implementers_to_run_is_refused_before_anything_runs(suite: Suite, judge: Judge) -> None:
    spec, _ = task_inputs(suite.task("semver"))
    async with MemoryHub() as hub:
        with pytest.raises(ValueError, match="need a model"):
            await run_task(spec, None, hub.connect, judge=judge, mode="parallel")


async def test_a_run_that_cannot_finish_is_aborted_with_run_timeout(suite: Suite, judge: Judge) -> None:
    spec, _ = task_inputs(suite.task("semver"))
    async with MemoryHub() as hub:
        with pytest.raises(RunTimeout, match="did not finish"):
            # Nobody implements: the judge waits for commits that never come.
            await run_task(spec, None, hub.connect, judge=judge, mode="parallel", config=TeamConfig(implementers=0, timeout_s=1))


@pytest.mark.parametrize("task_id", ["graph", "markdown_table"])
async def test_serial_shows_every_earlier_commit_to_every_call(suite: Suite, judge: Judge, task_id: str) -> None:
    # Claiming ahead (the next TODO beside the last commit) would cost serial its one promise: full context.
    spec, _ = task_inputs(suite.task(task_id))
    async with MemoryHub() as hub, scripted(suite, time_scale=0.05) as model:
        result = await run_task(spec, model, hub.connect, judge=judge, mode="serial", config=TeamConfig(timeout_s=60))
    calls = sorted((c for s in result.stats for c in s.calls), key=lambda c: c.started)
    symbol = {t.id: t.symbol for t in result.todos}
    assert result.agents == 1 and len(calls) >= len(result.todos) > 2
    for i, call in enumerate(calls):
        earlier = {symbol[c.todo] for c in calls[:i]} - {symbol[call.todo]}
        assert earlier <= set(call.shown), f"{call.todo} was asked without {sorted(earlier - set(call.shown))}"
