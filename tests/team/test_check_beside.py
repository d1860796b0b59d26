"""Check tests beside the run: real pytest in the sandbox, real pyright, real pycrdt replicas, offline replies.

The package is two modules with three TODOs; the check tests are a real pytest file run by
``agents.roles.pytest_check`` (the seam the projects suite uses).  Orderings are forced with
events (a reply that waits for something to happen first), never with sleeps or time limits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import anyio
import pytest

from agents.judge import Judge, ProjectTests, PyrightServer
from agents.models import LatencyConfig, ModelRequest, OfflineModel, OfflineReply, ProviderInfo
from agents.models._base import CallState
from agents.roles import FinalCheck, JudgeConfig, TaskSpec, pytest_check
from agents.scheduler import SchedulerConfig
from agents.team import TeamConfig, TeamHooks, TeamResult, TeamRun, run_task
from crdt_ws import MemoryHub, TodoEntry, todo_key
from crdt_ws import Event as DocEvent

pytestmark = pytest.mark.anyio

GEOMETRY = '''def area(width, height):
    """Area of a width x height rectangle."""
    raise NotImplementedError


def perimeter(width, height):
    """Perimeter of a width x height rectangle."""
    raise NotImplementedError
'''
REPORT = '''from shapes.geometry import area, perimeter


def describe(width, height):
    """A sentence giving the rectangle's area and perimeter."""
    raise NotImplementedError
'''
CHECKS = '''from shapes.geometry import area, perimeter
from shapes.report import describe


def test_area():
    assert area(2, 3) == 6


def test_perimeter():
    assert perimeter(2, 3) == 10


def test_describe():
    assert describe(2, 3) == "area 6, perimeter 10"
'''
RIGHT = {
    "shapes/geometry.py::area": "def area(width, height):\n    return width * height\n",
    "shapes/geometry.py::perimeter": "def perimeter(width, height):\n    return 2 * (width + height)\n",
    "shapes/report.py::describe": "def describe(width, height):\n    return f'area {area(width, height)}, perimeter {perimeter(width, height)}'\n",
}
# Raises inside area's own region at run time; pyright cannot tell on untyped parameters (no conflict).
WRONG_AREA = "def area(width, height):\n    return width.scale * height\n"
AREA, PERIMETER, DESCRIBE = (todo_key("shapes/geometry.py", "area"), todo_key("shapes/geometry.py", "perimeter"), todo_key("shapes/report.py", "describe"))
SPEC = TaskSpec(id="shapes", spec="Rectangle helpers.", files={"shapes/geometry.py": GEOMETRY, "shapes/report.py": REPORT})


class Gated(OfflineModel):
    """Offline replies: ``wrong`` symbols are wrong on their first ask; a reply for a ``gates`` key waits for its event."""

    def __init__(self, *, wrong: Mapping[str, str] | None = None, right: Mapping[str, str] | None = None) -> None:
        info = ProviderInfo(provider="scripted", model="test", offline=True, label="test replies (offline)")
        super().__init__(info, latency=LatencyConfig(profile="instant", time_scale=0.0))
        self.wrong = dict(wrong or {})
        self.right = {**RIGHT, **(right or {})}
        self.gates: dict[str, anyio.Event] = {}
        self.asked: list[str] = []
        self.repair_asked = {key: anyio.Event() for key in RIGHT}

    def reply(self, request: ModelRequest) -> OfflineReply:
        key = str(request.symbol)
        first = key not in self.asked
        self.asked.append(key)
        if not first:
            self.repair_asked[key].set()
        code = self.wrong[key] if first and key in self.wrong else self.right[key]
        return OfflineReply(text=f"Here:\n```python\n{code}```\n", source="test", fault="wrong" if code != self.right[key] else None)

    async def _generate(self, request: ModelRequest, state: CallState) -> AsyncIterator[str]:
        gate = self.gates.get(str(request.symbol))
        if gate is not None:
            await gate.wait()
        async for chunk in super()._generate(request, state):
            yield chunk


def checks(judge: Judge) -> FinalCheck:
    async def tests() -> ProjectTests:
        return ProjectTests.from_text({"tests/test_shapes.py": CHECKS}, ["tests"], kind="visible", timeout_s=120)

    return pytest_check(judge, tests)


async def run(model: Gated, check: FinalCheck, pyright: PyrightServer, judge: Judge, hooks: TeamHooks | None = None, **options: object) -> TeamResult:
    config = TeamConfig(scheduler=SchedulerConfig(agents=3), judge=JudgeConfig.model_validate(options), timeout_s=120)
    async with MemoryHub() as hub:
        return await run_task(SPEC, model, hub.connect, judge=judge, mode="parallel", config=config, pyright=pyright, final_check=check, hooks=hooks)


def verdicts(result: TeamResult, reason: str) -> list[DocEvent]:
    return [e for e in result.events if e.type == "verdict" and e.data.get("reason") == reason]


@pytest.mark.parametrize("early", [True, False], ids=["blames-heard-as-tests-fail", "blames-at-the-end-of-a-run"])
async def test_a_check_test_failure_reopens_a_committed_todo_while_another_is_still_drafted(early: bool) -> None:
    model = Gated(wrong={AREA: WRONG_AREA})
    model.gates[PERIMETER] = model.repair_asked[AREA]  # perimeter's draft lands only after area's repair was asked
    async with PyrightServer() as pyright:
        judge = Judge(pyright=pyright)
        result = await run(model, checks(judge), pyright, judge, check_during_run="always", early_blames=early)
    reopened = verdicts(result, "check_test")
    assert [(e.todo, e.data.get("reopened")) for e in reopened] == [(AREA, True)], "the check tests blamed area, and only area"
    # perimeter's reply was held until area's repair was asked: had the check tests waited for every
    # draft (the final check), this run could never end (RunTimeout).
    perimeter_commit = max(e.time for e in result.events if e.type == "complete" and e.todo == PERIMETER)
    assert reopened[0].time < perimeter_commit, "reopened while perimeter was still being drafted"
    assert model.asked.count(AREA) == 2 and model.asked.count(PERIMETER) == 1
    assert all(t.verdict == "pass" for t in result.todos) and "width * height" in result.sources["shapes/geometry.py"]
    final = [e for e in result.events if e.type == "final_check"]
    assert len(final) == 1 and final[0].data.get("failing") == [] and final[0].data.get("reopened") is False, "the last word: all pass"
    assert result.judge.check_runs >= 1 and result.judge.check_reopened == 1
    assert not verdicts(result, "final_check")
    # Heard as the test failed, area's reopen is logged by the run still going; else by the run once it ended.
    logged = [e for e in result.events if e.type == "check_tests" and AREA in (e.data.get("reopened") or [])]
    assert len(logged) == 1 and bool(logged[0].data.get("early")) == early


async def test_a_failure_inside_a_stub_still_to_come_blames_nobody() -> None:
    # describe is committed first and calls area, whose stub raises NotImplementedError: the failing test's
    # innermost frame is in the uncommitted stub, so nobody is blamed (not describe, its caller).
    model = Gated()
    seen_describe_only = anyio.Event()
    runs: list[dict[str, str]] = []
    inner = None

    async def check(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        assert inner is not None
        found = await inner(files, todos)
        done = {t.id for t in todos if t.status.value == "done"}
        if done == {DESCRIBE}:
            runs.append(found)
            seen_describe_only.set()
        return found

    model.gates[AREA] = model.gates[PERIMETER] = seen_describe_only  # the geometry lands after a check saw describe alone
    async with PyrightServer() as pyright:
        judge = Judge(pyright=pyright)
        inner = checks(judge)
        result = await run(model, check, pyright, judge, check_during_run="always")
    assert runs and DESCRIBE not in runs[0], "the innermost frame is area's stub: describe, its caller, is not named"
    assert set(runs[0]) == {AREA, PERIMETER}, "the failures land on the stubs (which the judge cannot reopen)"
    assert not verdicts(result, "check_test") and not verdicts(result, "final_check")
    assert model.asked.count(DESCRIBE) == 1, "describe was never reopened"
    assert all(t.verdict == "pass" for t in result.todos)


async def test_committed_code_meeting_a_pass_stub_is_not_blamed_until_the_stub_is_committed() -> None:
    # With ``pass`` stubs the error is raised in describe's own region (area returned None): the check
    # seam routes it to describe, but describe relies on area, which is not committed yet: not news.
    geometry = GEOMETRY.replace("raise NotImplementedError", "pass")
    spec = SPEC.model_copy(update={"files": {"shapes/geometry.py": geometry, "shapes/report.py": REPORT}})
    model = Gated(right={DESCRIBE: "def describe(width, height):\n    return f'area {area(width, height) + 0}, perimeter {perimeter(width, height)}'\n"})
    saw: list[dict[str, str]] = []
    seen = anyio.Event()
    inner = None

    async def check(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        assert inner is not None
        found = await inner(files, todos)
        if {t.id for t in todos if t.status.value == "done"} == {DESCRIBE}:
            saw.append(found)
            seen.set()
        return found

    model.gates[AREA] = model.gates[PERIMETER] = seen
    config = TeamConfig(scheduler=SchedulerConfig(agents=3), judge=JudgeConfig(check_during_run="always"), timeout_s=120)
    async with PyrightServer() as pyright, MemoryHub() as hub:
        judge = Judge(pyright=pyright)
        inner = checks(judge)
        result = await run_task(spec, model, hub.connect, judge=judge, mode="parallel", config=config, pyright=pyright, final_check=check)
    # The run beside the drafting sees area's stub raising (PackageView.files(open_raises=True)), not returning
    # None into describe: the failure lands in the uncommitted stub's own region.
    assert saw and AREA in saw[0] and DESCRIBE not in saw[0], "the stub raises in its own region, not describe's"
    assert not verdicts(result, "check_test"), "area is not committed and describe relies on it: the judge blames nobody"
    assert model.asked.count(DESCRIBE) == 1 and all(t.verdict == "pass" for t in result.todos)


class AllJudged(TeamHooks):
    """Sets ``event`` once every TODO has a verdict on its committed attempt (watching the judge's replica)."""

    def __init__(self) -> None:
        self.event = anyio.Event()

    async def during(self, run: TeamRun) -> None:
        while not self.event.is_set():
            todos = run.judge.list_todos()
            if todos and all(t.status.value == "done" and (t.model_extra or {}).get("judged_attempt") == t.attempt for t in todos):
                self.event.set()
                return
            changed = anyio.Event()
            sub = run.judge.todos.observe_deep(lambda _e: changed.set())
            try:
                await changed.wait()
            finally:
                run.judge.todos.unobserve(sub)


async def test_a_hung_check_run_does_not_hold_back_verdicts() -> None:
    # Every check run hangs until every TODO has its verdict: were verdicts waiting on the check, the run
    # would never end (RunTimeout).  Then the real check tests run and pass.
    model = Gated()
    hooks = AllJudged()
    runs = 0
    inner = None

    async def hung(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        nonlocal runs
        assert inner is not None
        runs += 1
        await hooks.event.wait()
        return await inner(files, todos)

    async with PyrightServer() as pyright:
        judge = Judge(pyright=pyright)
        inner = checks(judge)
        result = await run(model, hung, pyright, judge, hooks, check_during_run="always")
    assert hooks.event.is_set() and runs >= 1 and result.phase == "finished"
    first_check = min(e.time for e in result.events if e.type in ("check_tests", "final_check"))
    assert max(e.time for e in result.events if e.type == "verdict") < first_check, "every verdict came before any check run ended"
    assert all(t.verdict == "pass" for t in result.todos)
