"""Multi-file tasks through the whole pipeline: real projects over a real relay, real pyright, scripted replies.

Ground truth is the benchmark's reference modules (never what the pipeline
produced): with no injected fault every file must come out as its reference.
"""

from __future__ import annotations

import ast

import pytest

from agents.judge import Judge, PyrightServer
from agents.models import ScriptedConfig, ScriptedModel
from agents.roles import Outliner
from agents.scheduler import SchedulerConfig
from agents.team import TeamConfig, TeamHooks, TeamResult, TeamRun, run_task
from bench._runner import project_spec
from bench.suites import Suite, SuiteReferences, Task
from agents.roles._package import committed_text
from crdt_ws import TodoEntry, TodoStatus, WebsocketTransport, Workspace, converged, find_span, find_stubs, split_todo_key

pytestmark = pytest.mark.anyio

SMALL = ["DevEval/particle-swarm-optimization", "CodeProjectEval/deprecated"]


class Observer(TeamHooks):
    """A replica that is no agent, in the room from the start: at the end it must hold what everyone holds."""

    def __init__(self) -> None:
        self.replica = Workspace("observer")
        self.converged = False

    async def finishing(self, run: TeamRun) -> None:
        self.converged = await converged([run.outliner, run.judge, self.replica])


def scripted(suite: Suite, fault_rate: float, seed: int = 0) -> ScriptedModel:
    config = ScriptedConfig.model_validate(
        {"fault_rate": fault_rate, "blind_fault_rate": 0.0, "seed": seed, "latency": {"profile": "instant", "time_scale": 0.0}}
    )
    return ScriptedModel(SuiteReferences(suite), config)


async def run_project(
    task: Task, suite: Suite, transport: WebsocketTransport, *, fault_rate: float, agents: int = 3, seed: int = 0
) -> tuple[TeamResult, Observer]:
    spec = project_spec(task)
    config = TeamConfig(scheduler=SchedulerConfig(agents=agents), timeout_s=240)
    hooks = Observer()
    async with PyrightServer() as pyright, transport.connect(hooks.replica):
        result = await run_task(
            spec, scripted(suite, fault_rate, seed), transport.connect, judge=Judge(pyright=pyright), mode="parallel",
            config=config, pyright=pyright, hooks=hooks,
        )  # fmt: skip
        observed = {path: hooks.replica.read(path) for path in hooks.replica.paths()}
    assert hooks.converged and observed == result.sources, "a replica that watched the run holds the same files"
    return result, hooks


@pytest.mark.slow
async def test_every_project_publishes_exactly_the_benchmarks_todos(projects: Suite) -> None:
    for task in projects.tasks:
        spec = project_spec(task)
        ws = Workspace("outliner")
        plan = await Outliner(ws).run(spec, "auto", agents=8)
        todos = ws.list_todos()
        assert sorted(t.id for t in todos) == sorted(t.id for t in task.todos()), task.id
        assert sorted(ws.paths()) == sorted(m.path for m in task.modules) and ws.get_meta()["files"] == [m.path for m in task.modules]
        assert sorted(plan.order) == sorted(t.id for t in todos) and all(d in plan.order for ds in plan.deps.values() for d in ds)


@pytest.mark.parametrize("task_id", SMALL)
def test_the_committed_view_of_a_file_with_every_reference_region_is_the_reference(projects: Suite, task_id: str) -> None:
    for module in projects.task(task_id).modules:
        done = [
            TodoEntry(id=f"{module.path}::{s}", file=module.path, symbol=s, status=TodoStatus.DONE,
                      result=module.reference[find_span(module.reference, s).start : find_span(module.reference, s).end])
            for s in module.stubs
        ]  # fmt: skip
        half = done[: len(done) // 2]
        assert same_code(committed_text(module.outline, done), module.reference), module.path
        partial = committed_text(module.outline, half)
        assert all((e.result or "") in partial for e in half) and find_stubs(partial) == [s for s in module.stubs if s not in {e.symbol for e in half}]


def same_code(a: str, b: str) -> bool:
    return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))


@pytest.mark.parametrize("task_id", SMALL)
async def test_a_package_built_by_several_implementers_over_a_relay_is_its_reference(
    projects: Suite, relay_transport: WebsocketTransport, task_id: str
) -> None:
    task = projects.task(task_id)
    result, _ = await run_project(task, projects, relay_transport, fault_rate=0.0)
    assert result.phase == "finished" and result.source == ""
    assert sorted(result.sources) == sorted(m.path for m in task.modules)
    assert sorted(t.id for t in result.todos) == sorted(t.id for t in task.todos())
    assert all(t.status == TodoStatus.DONE and t.verdict == "pass" for t in result.todos), [(t.id, t.verdict) for t in result.todos]
    assert all(split_todo_key(t.id) == (t.file, t.symbol) for t in result.todos)
    assert len({s.agent for s in result.stats if s.commits}) > 1, "the work was shared"
    for module in task.modules:
        # Byte equality is too strict only for whitespace-only lines the splice normalises.
        assert same_code(result.sources[module.path], module.reference), module.path
    assert result.judge.conflicts_reopened == 0 and result.judge.reopened == 0


async def test_with_seeded_faults_every_todo_is_done_and_fault_free_files_are_their_reference(
    projects: Suite, relay_transport: WebsocketTransport
) -> None:
    task = projects.task("CodeProjectEval/deprecated")
    result, _ = await run_project(task, projects, relay_transport, fault_rate=0.3, seed=3)
    calls = [c for s in result.stats for c in s.calls]
    faulty_files = {split_todo_key(c.todo)[0] for c in calls if c.fault}
    assert faulty_files, "the seed injects faults (else this test checks nothing beyond the fault-free one)"
    assert all(t.status == TodoStatus.DONE for t in result.todos)
    clean = [m for m in task.modules if m.path not in faulty_files]
    assert clean, "some file got no fault"
    for module in task.modules:
        ast.parse(result.sources[module.path])  # every file parses, faults or not
    for module in clean:
        assert same_code(result.sources[module.path], module.reference), module.path
