"""Check runs while drafting goes on, once a package's import-time code is committed.

Until then the package does not import and no check test can run; once it is, one run shows whether it
imports, so a fault there is repaired beside the drafts.  A run stopped at import by a stub still open marks
that stub ``import_time`` on the board (the choosers claim it next) and the next run waits for its commit.
A real judge agent on a real workspace; the check records what it was given.
"""

from __future__ import annotations

from collections.abc import Mapping

import anyio
import pytest

from agents.judge import Judge, PyrightServer
from agents.roles import JudgeAgent, JudgeConfig
from agents.roles._package_checks import CheckFailures
from agents.scheduler._plan import runs_at_import
from crdt_ws import TodoEntry, TodoStatus, Workspace, todo_key

pytestmark = pytest.mark.anyio

PATH = "app/setup.py"
SETUP = '''def make_registry():
    """The registry every view registers with (called at import)."""
    pass


def register(name):
    """Adds name to the registry."""
    pass


def render(name):
    """Renders a view."""
    pass


REGISTRY = make_registry()
'''
MAKE, REGISTER, RENDER = (todo_key(PATH, s) for s in ("make_registry", "register", "render"))
BODIES = {MAKE: "    return {}\n", REGISTER: "    REGISTRY[name] = True\n", RENDER: "    return name\n"}


def entry(todo_id: str, status: TodoStatus, attempt: int = 1) -> TodoEntry:
    symbol = todo_id.split("::")[1]
    result = f"def {symbol}(name=None):\n{BODIES[todo_id]}" if status == TodoStatus.DONE else None
    return TodoEntry(id=todo_id, file=PATH, symbol=symbol, status=status, attempt=attempt, result=result)


def agent_for(ws: Workspace, imports: list[str], check: object) -> JudgeAgent:
    ws.set_meta(outlines={PATH: SETUP}, files=[PATH], outline="", plan={"imports": imports})
    agent = JudgeAgent(ws, Judge(), JudgeConfig(check_during_run="drafted"), pyright=PyrightServer(), final_check=check)  # type: ignore[arg-type]
    assert agent._checks is not None  # noqa: SLF001 - the gate under test is the agent's own
    return agent


class ImportStops:
    """A check whose every run reports the import stopped in ``culprit`` (what ``pytest_check`` returns then)."""

    def __init__(self, culprit: str, error: str = "KeyError") -> None:
        self.culprit, self.error, self.runs = culprit, error, 0

    async def __call__(self, files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        self.runs += 1
        return CheckFailures({self.culprit: f"the check tests could not be collected: {self.error}"}, collection_error=self.error)


def board(*entries: TodoEntry) -> Workspace:
    ws = Workspace("judge")
    for todo in entries:
        ws.add_todo(todo)
    return ws


async def step(agent: JudgeAgent, entries: list[TodoEntry], needs: dict[str, list[TodoEntry]] | None = None, *, gate: bool = True) -> None:
    """What the judge's loop does before a round: start a check run if the gate lets it (``gate=False``: start one
    anyway), wait for it, apply what it found (``needs``: what each TODO's committed code uses)."""
    checks, tg = agent._checks, agent._tg  # noqa: SLF001
    assert checks is not None and tg is not None
    if gate:
        agent._check_beside(entries)  # noqa: SLF001
    else:
        checks.start(tg, lambda: {PATH: SETUP}, entries)
    await checks.settle()
    agent._apply_finished(entries, needs or {})  # noqa: SLF001


async def test_a_check_runs_while_drafting_once_the_import_time_code_is_in_and_not_again_on_the_same_code() -> None:
    seen: list[dict[str, str]] = []

    async def check(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        seen.append(dict(files))
        return {}

    ws = Workspace("judge")
    agent = agent_for(ws, [MAKE], check)
    async with anyio.create_task_group() as tg:
        agent._tg = tg  # noqa: SLF001
        await step(agent, [entry(MAKE, TodoStatus.CLAIMED), entry(REGISTER, TodoStatus.DONE), entry(RENDER, TodoStatus.PENDING)])
        assert seen == [], "the package cannot import while make_registry is a stub"
        await step(agent, [entry(MAKE, TodoStatus.DONE), entry(REGISTER, TodoStatus.DONE), entry(RENDER, TodoStatus.PENDING)])
        assert len(seen) == 1
        assert "return {}" in seen[0][PATH] and "render is still being written" in seen[0][PATH]
        # More drafts land, the import-time code is the same: no run until every TODO is drafted.
        await step(agent, [entry(MAKE, TodoStatus.DONE), entry(REGISTER, TodoStatus.DONE, 2), entry(RENDER, TodoStatus.CLAIMED)])
        assert len(seen) == 1
        # make_registry repaired: its new attempt is checked at once.
        await step(agent, [entry(MAKE, TodoStatus.DONE, 2), entry(REGISTER, TodoStatus.DONE, 2), entry(RENDER, TodoStatus.CLAIMED)])
        assert len(seen) == 2


async def test_a_package_with_no_import_time_code_waits_for_every_draft_as_before() -> None:
    seen: list[dict[str, str]] = []

    async def check(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        seen.append(dict(files))
        return {}

    ws = Workspace("judge")
    agent = agent_for(ws, [], check)
    async with anyio.create_task_group() as tg:
        agent._tg = tg  # noqa: SLF001
        await step(agent, [entry(MAKE, TodoStatus.DONE), entry(REGISTER, TodoStatus.DONE), entry(RENDER, TodoStatus.PENDING)])
    assert seen == []


async def test_a_stub_that_stops_the_import_is_marked_and_the_next_run_waits_for_it() -> None:
    check = ImportStops(REGISTER, "NotImplementedError")  # register's raising stub
    ws = board(entry(MAKE, TodoStatus.DONE), entry(REGISTER, TodoStatus.CLAIMED), entry(RENDER, TodoStatus.PENDING))
    agent = agent_for(ws, [MAKE], check)
    async with anyio.create_task_group() as tg:
        agent._tg = tg  # noqa: SLF001
        await step(agent, ws.list_todos())
        assert check.runs == 1
        assert runs_at_import(ws.todo(REGISTER)) and not runs_at_import(ws.todo(RENDER))
        assert ws.todo(REGISTER).status == TodoStatus.CLAIMED, "an open stub is marked, never reopened"
        assert any(e.type == "import_time" and e.todo == REGISTER for e in ws.read_events())
        await step(agent, ws.list_todos())
        assert check.runs == 1, "register is import-time now and still open"
        ws.update_todo(REGISTER, status=TodoStatus.DONE, result="def register(name):\n    pass\n")
        await step(agent, ws.list_todos())
        assert check.runs == 2


async def test_once_all_is_drafted_a_check_run_that_cannot_import_reopens_its_culprit_out_of_repairs() -> None:
    ws = board(entry(MAKE, TodoStatus.DONE, 3), entry(REGISTER, TodoStatus.DONE), entry(RENDER, TodoStatus.CLAIMED))
    ws.update_todo(MAKE, repairs=2, verdict="pass")
    agent = agent_for(ws, [], ImportStops(MAKE))
    agent.config.max_repairs, agent.config.import_rounds = 2, 1
    async with anyio.create_task_group() as tg:
        agent._tg = tg  # noqa: SLF001
        await step(agent, ws.list_todos(), gate=False)
        assert ws.todo(MAKE).status == TodoStatus.DONE, "render is still a first draft: the final check decides later"
        ws.update_todo(RENDER, status=TodoStatus.DONE, result="def render(name):\n    return name\n")
        await step(agent, ws.list_todos(), gate=False)
        assert ws.todo(MAKE).status == TodoStatus.PENDING and ws.todo(MAKE).verdict == "fail"
        assert agent._import_rounds == 1  # noqa: SLF001 - one of the final check's import rounds, spent
        # Repaired, still raising at import: no import round left, so it stays for the final check.
        ws.update_todo(MAKE, status=TodoStatus.DONE, attempt=4, repairs=3)
        await step(agent, ws.list_todos(), gate=False)
        assert ws.todo(MAKE).status == TodoStatus.DONE


async def test_committed_import_time_code_that_stops_the_import_is_checked_again_once_what_it_uses_is_in() -> None:
    check = ImportStops(MAKE)
    ws = board(entry(MAKE, TodoStatus.DONE), entry(REGISTER, TodoStatus.CLAIMED), entry(RENDER, TodoStatus.PENDING))
    ws.update_todo(MAKE, verdict="pass")
    agent = agent_for(ws, [MAKE], check)

    def needs() -> dict[str, list[TodoEntry]]:  # make_registry's committed code calls register()
        return {MAKE: [ws.todo(REGISTER)]}

    async with anyio.create_task_group() as tg:
        agent._tg = tg  # noqa: SLF001
        await step(agent, ws.list_todos(), needs())
        assert check.runs == 1 and ws.todo(MAKE).status == TodoStatus.DONE, "register is not in yet: a repair now would be blind"
        await step(agent, ws.list_todos())
        assert check.runs == 1
        ws.update_todo(REGISTER, status=TodoStatus.DONE, result="def register(name):\n    pass\n")
        await step(agent, ws.list_todos(), needs())
        assert check.runs == 2 and ws.todo(MAKE).status == TodoStatus.PENDING, "register is in: make_registry is reopened while drafting goes on"


async def test_while_drafting_goes_on_only_the_import_counts() -> None:
    async def check(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        # register's code is right; it reads REGISTRY, which render (still a stub) would have set up in this package.
        return CheckFailures({REGISTER: "check test test_register failed: NameError: name 'REGISTRY' is not defined"})

    ws = board(entry(MAKE, TodoStatus.DONE), entry(REGISTER, TodoStatus.DONE), entry(RENDER, TodoStatus.CLAIMED))
    agent = agent_for(ws, [MAKE], check)
    async with anyio.create_task_group() as tg:
        agent._tg = tg  # noqa: SLF001
        await step(agent, ws.list_todos())
        assert agent._checks.runs == 1  # noqa: SLF001  # type: ignore[union-attr]
        assert ws.todo(REGISTER).status == TodoStatus.DONE, "a test failing while drafting goes on blames nobody"
        ws.update_todo(RENDER, status=TodoStatus.DONE, result="def render(name):\n    return name\n")
        await step(agent, ws.list_todos())
        assert ws.todo(REGISTER).status == TodoStatus.PENDING, "every draft is in: the same failure is news now"
