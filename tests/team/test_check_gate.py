"""When a check run beside the drafting may start, and what it sees of the TODOs still being written.

A run waits for the repairs the check tests themselves asked for (it would meet their stubs in the very
tests that failed), and for nothing else: a repair pyright asked for held flask's first check run back
4-8 s.  Whatever is still open then runs as a stub that raises in its own region (``raising_stubs``), so a
test reaching it blames nobody instead of the caller that got None back.  A real judge agent on a real
workspace; the check records what it was given.
"""

from __future__ import annotations

from collections.abc import Mapping

import anyio
import pytest

from agents.judge import Judge, PyrightServer
from agents.roles import JudgeAgent, JudgeConfig
from agents.roles._package import raising_stubs
from crdt_ws import TodoEntry, TodoStatus, Workspace, todo_key

pytestmark = pytest.mark.anyio

GEOMETRY = '''def area(width, height):
    """Area of a width x height rectangle.

    ...
    """
    pass


def perimeter(width, height):
    """Perimeter of a width x height rectangle."""
    ...


def scale(width, factor):
    """Already a raising stub."""
    raise NotImplementedError
'''
AREA, PERIMETER = todo_key("shapes/geometry.py", "area"), todo_key("shapes/geometry.py", "perimeter")


def test_raising_stubs_turns_only_the_named_placeholders_into_raises() -> None:
    out = raising_stubs(GEOMETRY, ["area", "scale"])
    namespace: dict[str, object] = {}
    exec(compile(out, "geometry.py", "exec"), namespace)  # noqa: S102 - our own fixture text
    with pytest.raises(NotImplementedError, match="area is still being written"):
        namespace["area"](2, 3)  # type: ignore[operator]
    assert namespace["perimeter"](2, 3) is None  # type: ignore[operator]  # not named: still returns None
    assert '    """Area of a width x height rectangle.\n\n    ...\n    """\n    raise NotImplementedError(' in out  # the docstring's "..." kept
    assert out.count("raise NotImplementedError\n") == 1  # scale already raised: left as it was
    assert raising_stubs(GEOMETRY, []) == GEOMETRY


def entry(todo_id: str, status: TodoStatus, attempt: int = 1, verdict: str | None = "pass") -> TodoEntry:
    result = "def area(width, height):\n    return width * height\n" if todo_id == AREA else "def perimeter(width, height):\n    return 2 * (width + height)\n"
    symbol = todo_id.split("::")[1]
    return TodoEntry(id=todo_id, file="shapes/geometry.py", symbol=symbol, status=status, attempt=attempt, verdict=verdict, result=result)


async def test_a_check_run_waits_for_the_repairs_the_checks_asked_for_and_no_others() -> None:
    seen: list[dict[str, str]] = []

    async def check(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        seen.append(dict(files))
        return {}

    ws = Workspace("judge")
    ws.set_meta(outlines={"shapes/geometry.py": GEOMETRY}, files=["shapes/geometry.py"], outline="")
    agent = JudgeAgent(ws, Judge(), JudgeConfig(check_during_run="drafted"), pyright=PyrightServer(), final_check=check)
    assert agent._checks is not None  # noqa: SLF001 - the gate under test is the agent's own
    async with anyio.create_task_group() as tg:
        agent._tg = tg  # noqa: SLF001
        # perimeter was reopened for a conflict pyright found after it had passed: its repair is in flight.
        agent._acted.add((PERIMETER, 1))  # noqa: SLF001
        agent._check_beside([entry(AREA, TodoStatus.DONE), entry(PERIMETER, TodoStatus.CLAIMED, verdict="fail")])  # noqa: SLF001
        await agent._checks.settle()  # noqa: SLF001
        assert len(seen) == 1, "a repair pyright asked for does not hold the check run back"
        assert "raise NotImplementedError('perimeter is still being written')" in seen[0]["shapes/geometry.py"]
        assert "return width * height" in seen[0]["shapes/geometry.py"]  # the committed code runs as committed
        # area was reopened by a check run: the next run waits for its repair.
        agent._acted.add((AREA, 1))  # noqa: SLF001
        agent._check_asked.add((AREA, 1))  # noqa: SLF001
        agent._check_beside([entry(AREA, TodoStatus.PENDING, verdict="fail"), entry(PERIMETER, TodoStatus.DONE, attempt=2)])  # noqa: SLF001
        await agent._checks.settle()  # noqa: SLF001
        assert len(seen) == 1, "a run now would meet area's stub in the test that failed"
        agent._check_beside([entry(AREA, TodoStatus.DONE, attempt=2), entry(PERIMETER, TodoStatus.DONE, attempt=2)])  # noqa: SLF001
        await agent._checks.settle()  # noqa: SLF001
        assert len(seen) == 2 and "NotImplementedError" not in seen[1]["shapes/geometry.py"].split("def scale")[0]


async def test_a_check_run_that_ends_during_a_package_round_is_applied_at_once() -> None:
    async def check(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        return {AREA: "check test test_area failed: assert 5 == 6"}

    ws = Workspace("judge")
    ws.set_meta(outlines={"shapes/geometry.py": GEOMETRY}, files=["shapes/geometry.py"], outline="")
    for todo in (entry(AREA, TodoStatus.DONE), entry(PERIMETER, TodoStatus.DONE)):
        ws.add_todo(todo)
    agent = JudgeAgent(ws, Judge(), JudgeConfig(check_during_run="drafted"), pyright=PyrightServer(), final_check=check)
    assert agent._checks is not None  # noqa: SLF001
    agent._checks.wake = agent._check_finished  # noqa: SLF001 - what run() installs, without the loop
    async with anyio.create_task_group() as tg:
        agent._tg = tg  # noqa: SLF001
        agent._check_beside(ws.list_todos())  # noqa: SLF001
        await agent._checks.settle()  # noqa: SLF001
        assert ws.todo(AREA).status == TodoStatus.DONE, "between rounds the loop takes the result (nobody woke it here)"
        assert agent._checks.take() is not None  # noqa: SLF001
        agent._in_round = True  # noqa: SLF001 - the loop now awaits pyright's round
        agent._checks._began = None  # noqa: SLF001 - the same board may be checked again
        agent._check_beside(ws.list_todos())  # noqa: SLF001
        await agent._checks.settle()  # noqa: SLF001
    assert ws.todo(AREA).status == TodoStatus.PENDING and ws.todo(AREA).verdict == "fail"
    assert ws.todo(PERIMETER).status == TodoStatus.DONE


async def test_a_commit_during_a_package_round_starts_the_check_run_at_once() -> None:
    seen: list[dict[str, str]] = []
    ran = [anyio.Event(), anyio.Event()]

    async def check(files: Mapping[str, str], todos: list[TodoEntry]) -> dict[str, str]:
        seen.append(dict(files))
        ran[len(seen) - 1].set()
        return {}

    ws = Workspace("judge")
    ws.set_meta(outlines={"shapes/geometry.py": GEOMETRY}, files=["shapes/geometry.py"], outline="")
    for todo in (entry(AREA, TodoStatus.DONE), entry(PERIMETER, TodoStatus.CLAIMED, verdict="fail")):
        ws.add_todo(todo)
    agent = JudgeAgent(ws, Judge(), JudgeConfig(check_during_run="drafted"), pyright=PyrightServer(), final_check=check)
    assert agent._checks is not None  # noqa: SLF001
    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            agent._tg = tg  # noqa: SLF001
            tg.start_soon(agent._checks_in_rounds)  # noqa: SLF001 - what run() starts
            agent._check_beside(ws.list_todos())  # noqa: SLF001 - the loop's own start, before its round
            await ran[0].wait()
            await agent._checks.settle()  # noqa: SLF001
            # perimeter's repair lands; the loop is not there to see it.
            ws.update_todo(PERIMETER, status=TodoStatus.DONE, attempt=2)
            agent._moved_in_round.set()  # noqa: SLF001 - what run()'s board observer does
            await anyio.wait_all_tasks_blocked()
            assert len(seen) == 1 and not agent._checks.busy, "between rounds the loop itself starts the next run"  # noqa: SLF001
            agent._in_round = True  # noqa: SLF001 - the loop now awaits pyright's round
            agent._moved_in_round.set()  # noqa: SLF001
            await ran[1].wait()
            tg.cancel_scope.cancel()
    assert "still being written" in seen[0]["shapes/geometry.py"]
    assert "still being written" not in seen[1]["shapes/geometry.py"].split("def scale")[0]
