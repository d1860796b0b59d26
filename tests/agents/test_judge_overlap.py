"""The judge agent keeps coordination off the critical path: what waits for a verdict, and what runs beside one.

- a blind draft's re-draft waits only for verdicts that can still change the code it
  reads (a stub that is speculative itself, or that a repair could reopen);
- single-file verdict rounds run beside the judge's loop, so a completion that makes a
  re-draft due is acted on while an unrelated round is still in the sandbox;
- once nothing is left to draft, pyright is handed the final text while the last
  verdicts run (the end-of-run check then finds it analysed).

Real sandbox, real pyright, one real replica.  The only stand-in is a gate in
front of the real judge, which holds a round open so the ordering is tested
without any clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import anyio
import pytest

from agents.judge import Diagnostic, Feedback, Judge, PyrightServer, VisibleChecks
from agents.roles import JudgeAgent, JudgeConfig
from agents.roles._observed import speculative
from crdt_ws import TodoEntry, TodoStatus, Workspace

pytestmark = pytest.mark.anyio

OUTLINE = '''class Shape:
    def __init__(self, side: float) -> None:
        self.side = side

    def area(self) -> float:
        """Area.

        >>> Shape(3).area()
        9
        """
        pass

    def double(self) -> float:
        """Twice the area.

        >>> Shape(3).double()
        18
        """
        pass

    def perimeter(self) -> float:
        """Perimeter.

        >>> Shape(3).perimeter()
        12
        """
        pass
'''

CODE = {
    "Shape.area": "    def area(self) -> float:\n        return self.side * self.side\n",
    "Shape.double": "    def double(self) -> float:\n        return 2 * self.area()\n",
    "Shape.perimeter": "    def perimeter(self) -> float:\n        return 4 * self.side\n",
}
BLIND_AREA = "    def area(self) -> float:\n        return self.double() / 2\n"  # uses a stub it did not see


def _source(results: Mapping[str, str]) -> str:
    code = OUTLINE
    for symbol, result in results.items():
        name = symbol.split(".")[1]
        start = code.index(f"    def {name}(")
        end = code.index("        pass\n", start) + len("        pass\n")
        code = code[:start] + result + code[end:]
    return code


def _workspace(todos: dict[str, dict[str, Any]]) -> Workspace:
    """A seeded-mode run: ``todos`` maps symbol -> its fields (a done one carries ``result``)."""
    ws = Workspace("judge")
    ws.create_file("shape.py", _source({s: t["result"] for s, t in todos.items() if t.get("result")}))
    ws.set_meta(outline=OUTLINE, phase="implementing", plan={"mode": "seeded"})
    for symbol, fields in todos.items():
        ws.add_todo(TodoEntry(id=symbol, file="shape.py", symbol=symbol, **fields))
    return ws


def _done(result: str, *, seen: list[str], **extra: Any) -> dict[str, Any]:
    return {"status": TodoStatus.DONE, "attempt": 1, "result": result, "seen": seen, **extra}


def _judged_fail(result: str, *, seen: list[str]) -> dict[str, Any]:
    return _done(result, seen=seen, verdict="fail", judged_attempt=1)


class GatedJudge(Judge):
    """The real judge, with the rounds that check ``held`` kept open until ``gate`` is set."""

    def __init__(self, held: str) -> None:
        super().__init__()
        self.held = held
        self.gate = anyio.Event()
        self.holding = anyio.Event()

    async def feedback(self, code: str, checks: VisibleChecks) -> Feedback:
        if self.held in checks.doctests:
            self.holding.set()
            await self.gate.wait()
        return await super().feedback(code, checks)


class RecordingPyright(PyrightServer):
    """The real server; remembers every text it was asked to check, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[dict[str, str]] = []

    async def check(self, files: Mapping[str, str]) -> list[Diagnostic]:
        self.asked.append(dict(files))
        return await super().check(files)


@pytest.fixture
async def pyright() -> AsyncIterator[RecordingPyright]:
    server = RecordingPyright()
    async with server:
        yield server


def _commit(ws: Workspace, symbol: str, code: str, *, attempt: int, seen: list[str]) -> None:
    """What an implementer's commit does: the code into the buffer and the TODO done, in one transaction."""
    with ws.transaction():
        ws.replace_symbol("shape.py", symbol, code)
        ws.update_todo(symbol, status=TodoStatus.DONE, attempt=attempt, result=code, seen=seen)


async def _until(ws: Workspace, condition: Callable[[], bool]) -> None:
    """Return once ``condition()`` holds, woken by the document's changes (the bound only turns a hang into a failure)."""
    changed = anyio.Event()

    def wake(_: object) -> None:
        changed.set()

    sub, meta_sub = ws.todos.observe_deep(wake), ws.meta.observe(wake)
    try:
        with anyio.fail_after(30):
            while not condition():
                await changed.wait()
                changed = anyio.Event()
    finally:
        ws.todos.unobserve(sub)
        ws.meta.unobserve(meta_sub)


def test_a_draft_is_speculative_only_while_a_verdict_can_still_redraft_it() -> None:
    entries = [
        TodoEntry(id=s, file="shape.py", symbol=s, **f)
        for s, f in {
            "Shape.area": _done(CODE["Shape.area"], seen=[]),
            "Shape.double": _done(CODE["Shape.double"], seen=[]),
            "Shape.perimeter": _done(CODE["Shape.perimeter"], seen=["Shape.area"]),
        }.items()
    ]
    area, double, perimeter = entries
    assert speculative(double, entries, mode="seeded")  # calls area, whose code it did not see
    assert not speculative(area, entries, mode="seeded")  # uses no stub: no verdict re-drafts it
    assert not speculative(double, entries, mode="parallel")  # nothing is re-drafted there
    assert not speculative(double.model_copy(update={"redrafts": 1}), entries, mode="seeded")  # out of re-drafts
    assert not speculative(double.model_copy(update={"seen": ["Shape.area"]}), entries, mode="seeded")
    # revise also re-drafts a draft that saw no sibling: area did not; perimeter saw one.
    assert speculative(area, entries, mode="revise") and not speculative(perimeter, entries, mode="revise")
    foreign = double.model_copy(update={"seen": None})  # drafted by a system that does not record what it saw
    assert not speculative(foreign, entries, mode="seeded")


async def test_a_redraft_does_not_wait_for_a_verdict_that_cannot_change_what_it_reads() -> None:
    # double was drafted blind to area; area has landed, informed, and still awaits its verdict.
    todos = {
        "Shape.area": _done(CODE["Shape.area"], seen=["Shape.perimeter"]),
        "Shape.double": _judged_fail(CODE["Shape.double"], seen=[]),
        "Shape.perimeter": _done(CODE["Shape.perimeter"], seen=[], verdict="pass", judged_attempt=1),
    }
    # No repairs: whatever area's verdict says, its code stays: the re-draft starts now.
    ws = _workspace(todos)
    agent = JudgeAgent(ws, Judge(), JudgeConfig(max_repairs=0, pyright=False))
    assert not await agent.step()
    assert ws.todo("Shape.double").status == TodoStatus.PENDING and ws.todo("Shape.double").model_extra["revising"]  # type: ignore[index]
    assert ws.todo("Shape.area").verdict is None, "re-drafted before area's verdict"
    # With a repair left, a failing verdict would reopen area: the re-draft waits for it.
    ws = _workspace(todos)
    agent = JudgeAgent(ws, Judge(), JudgeConfig(max_repairs=1, pyright=False))
    assert not await agent.step()
    assert ws.todo("Shape.area").verdict == "pass" and ws.todo("Shape.double").status == TodoStatus.DONE
    assert not await agent.step()
    assert ws.todo("Shape.double").status == TodoStatus.PENDING
    # A stub that is speculative itself (area blind to double) may be re-drafted: its verdict is awaited.
    todos["Shape.area"] = _done(BLIND_AREA, seen=[])
    todos["Shape.double"] = _judged_fail(CODE["Shape.double"], seen=["Shape.perimeter"])
    todos["Shape.perimeter"] = _judged_fail("    def perimeter(self) -> float:\n        return 2 * self.area()\n", seen=[])
    ws = _workspace(todos)
    agent = JudgeAgent(ws, Judge(), JudgeConfig(max_repairs=0, pyright=False))
    assert not await agent.step()
    assert ws.todo("Shape.perimeter").status == TodoStatus.DONE and ws.todo("Shape.area").verdict == "fail"


async def test_a_redraft_is_not_held_up_by_an_unrelated_round_in_the_sandbox() -> None:
    todos = {
        "Shape.area": {"status": TodoStatus.CLAIMED, "assignee": "implementer-1"},
        "Shape.double": _judged_fail(CODE["Shape.double"], seen=[]),
        "Shape.perimeter": _done(CODE["Shape.perimeter"], seen=[]),
    }
    ws = _workspace(todos)
    judge = GatedJudge(held="Shape.perimeter")
    agent = JudgeAgent(ws, judge, JudgeConfig(max_repairs=0, pyright=False))
    async with anyio.create_task_group() as tg:
        tg.start_soon(agent.run)
        with anyio.fail_after(30):
            await judge.holding.wait()  # perimeter's round is in the sandbox, and stays there
        _commit(ws, "Shape.area", CODE["Shape.area"], attempt=1, seen=["Shape.perimeter"])
        await _until(ws, lambda: ws.todo("Shape.double").status == TodoStatus.PENDING)
        assert not judge.gate.is_set() and ws.todo("Shape.perimeter").verdict is None  # the round is still open
        assert ws.todo("Shape.area").verdict is None or ws.todo("Shape.area").verdict == "pass"  # judged beside it, or not yet
        # The re-draft lands; the gate opens; every verdict is given and the run ends.
        _commit(ws, "Shape.double", CODE["Shape.double"], attempt=2, seen=["Shape.area"])
        judge.gate.set()
        await _until(ws, lambda: ws.get_meta().get("phase") == "finished")
    verdicts = {s: ws.todo(s).verdict for s in CODE}
    assert verdicts == {"Shape.area": "pass", "Shape.double": "pass", "Shape.perimeter": "pass"}
    assert agent.summary.redrafts == 1 and agent.summary.checks == 3


async def test_pyright_reads_the_final_text_while_the_last_verdict_is_still_running(pyright: RecordingPyright) -> None:
    todos = {s: _done(code, seen=[]) for s, code in CODE.items()}
    todos["Shape.double"] = _done(CODE["Shape.double"], seen=["Shape.area"], verdict="pass", judged_attempt=1)
    todos["Shape.area"] = _done(CODE["Shape.area"], seen=[], verdict="pass", judged_attempt=1)
    ws = _workspace(todos)
    final = ws.read("shape.py")
    judge = GatedJudge(held="Shape.perimeter")
    agent = JudgeAgent(ws, judge, JudgeConfig(max_repairs=0), pyright=pyright)
    async with anyio.create_task_group() as tg:
        tg.start_soon(agent.run)
        with anyio.fail_after(30):
            await judge.holding.wait()
        # The last verdict is held open; pyright must already have the final text (nothing else is being asked).
        await _asked(pyright, {"shape.py": final})
        assert ws.todo("Shape.perimeter").verdict is None and ws.get_meta().get("phase") != "finished"
        judge.gate.set()
        await _until(ws, lambda: ws.get_meta().get("phase") == "finished")
    assert ws.todo("Shape.perimeter").verdict == "pass"
    # The end-of-run check still reads the buffer as it is then (here: the same text, already analysed).
    assert pyright.asked[-1] == {"shape.py": final} and len(pyright.asked) == 2


async def test_no_text_is_handed_to_pyright_while_a_todo_is_still_being_drafted(pyright: RecordingPyright) -> None:
    todos = {s: _done(code, seen=["Shape.area"]) for s, code in CODE.items()}
    todos["Shape.area"] = {"status": TodoStatus.CLAIMED, "assignee": "implementer-1"}
    ws = _workspace(todos)
    judge = GatedJudge(held="Shape.perimeter")
    agent = JudgeAgent(ws, judge, JudgeConfig(max_repairs=0), pyright=pyright)
    async with anyio.create_task_group() as tg:
        tg.start_soon(agent.run)
        with anyio.fail_after(30):
            await judge.holding.wait()
        assert pyright.asked == []  # area is still being written: the text is not final
        _commit(ws, "Shape.area", CODE["Shape.area"], attempt=1, seen=[])
        judge.gate.set()
        await _until(ws, lambda: ws.get_meta().get("phase") == "finished")
    assert pyright.asked and all(files == {"shape.py": ws.read("shape.py")} for files in pyright.asked)


async def _asked(pyright: RecordingPyright, files: dict[str, str]) -> None:
    """Return once ``pyright`` was asked to check exactly ``files`` (the bound turns a hang into a failure)."""
    with anyio.fail_after(30):
        while files not in pyright.asked:
            await anyio.lowlevel.checkpoint()


AREA_BAD = "    def area(self) -> float:\n        return self.side + self.side\n"


async def test_a_check_and_the_final_draft_it_depends_on_are_judged_in_one_round() -> None:
    # double's check calls area; no repairs are left and area is not speculative: its code is final.
    todos = {
        "Shape.area": _done(CODE["Shape.area"], seen=[]),
        "Shape.double": _done(CODE["Shape.double"], seen=["Shape.area"]),
        "Shape.perimeter": _done(CODE["Shape.perimeter"], seen=[], verdict="pass", judged_attempt=1),
    }
    ws = _workspace(todos)
    agent = JudgeAgent(ws, Judge(), JudgeConfig(max_repairs=0, pyright=False))
    assert not await agent.step()
    assert ws.todo("Shape.area").verdict == "pass" and ws.todo("Shape.double").verdict == "pass"
    # Both fail: the round blames area, as a round after area's own verdict would have.
    todos["Shape.area"] = _done(AREA_BAD, seen=[])
    ws = _workspace(todos)
    agent = JudgeAgent(ws, Judge(), JudgeConfig(max_repairs=0, pyright=False))
    assert not await agent.step()
    double = ws.todo("Shape.double")
    assert ws.todo("Shape.area").verdict == "fail" and double.verdict == "fail"
    assert "depends on Shape.area" in (double.model_extra or {})["feedback"]
    assert [e.data.get("reason") for e in ws.read_events() if e.type == "verdict" and e.todo == "Shape.double"] == ["dependency"]
    # A repair left could change area's code: double's check waits for area's verdict, as before.
    ws = _workspace(todos)
    agent = JudgeAgent(ws, Judge(), JudgeConfig(max_repairs=1, pyright=False))
    assert not await agent.step()
    assert ws.todo("Shape.area").verdict == "fail" and ws.todo("Shape.double").verdict is None
    # So does a check on a speculative draft (area blind to perimeter, which it calls, with a re-draft left).
    todos["Shape.area"] = _done("    def area(self) -> float:\n        return self.perimeter() ** 2 / 16\n", seen=[])
    todos["Shape.perimeter"] = _done(CODE["Shape.perimeter"], seen=[], verdict="pass", judged_attempt=1)
    ws = _workspace(todos)
    agent = JudgeAgent(ws, Judge(), JudgeConfig(max_repairs=0, pyright=False))
    assert not await agent.step()
    assert ws.todo("Shape.area").verdict is not None and ws.todo("Shape.double").verdict is None
