"""The judge agent on one real replica: verdicts, bounded repair, semantic conflicts via the real pyright."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from agents.judge import Judge, PyrightServer
from agents.roles import JudgeAgent, JudgeConfig
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
'''

AREA_OK = "    def area(self) -> float:\n        return self.side * self.side\n"
AREA_BAD = "    def area(self) -> float:\n        return self.side + self.side\n"
DOUBLE_OK = "    def double(self) -> float:\n        return 2 * self.area()\n"
# Passes its doctest; only pyright sees the name nobody defined, on a branch the example never takes.
DOUBLE_BROKEN_REF = (
    "    def double(self) -> float:\n        if self.side < 0:\n            return twice(self.area())\n"
    "        return 2 * self.area()\n"
)


@pytest.fixture
async def pyright() -> AsyncIterator[PyrightServer]:
    async with PyrightServer() as server:
        yield server


def _workspace(results: dict[str, str], source: str | None = None) -> Workspace:
    ws = Workspace("judge")
    code = OUTLINE
    for symbol, result in results.items():
        name = symbol.split(".")[1]
        start = code.index(f"    def {name}(")
        end = code.index("        pass\n", start) + len("        pass\n")
        code = code[:start] + result + code[end:]
    ws.create_file("shape.py", source if source is not None else code)
    ws.set_meta(outline=OUTLINE, phase="implementing")
    for symbol in ("Shape.area", "Shape.double"):
        done = symbol in results
        ws.add_todo(
            TodoEntry(
                id=symbol,
                file="shape.py",
                symbol=symbol,
                deps=["Shape.area"] if symbol == "Shape.double" else [],
                status=TodoStatus.DONE if done else TodoStatus.PENDING,
                attempt=1 if done else 0,
                result=results.get(symbol),
            )
        )
    return ws


async def test_a_failing_doctest_reopens_the_todo_with_feedback_then_gives_a_final_verdict() -> None:
    ws = _workspace({"Shape.area": AREA_BAD, "Shape.double": DOUBLE_OK})
    agent = JudgeAgent(ws, Judge(), JudgeConfig(max_repairs=1, pyright=False))
    assert not await agent.step()
    area, double = ws.todo("Shape.area"), ws.todo("Shape.double")
    assert area.status == TodoStatus.PENDING and area.verdict == "fail"
    assert "Expected" in (area.model_extra or {})["feedback"] and (area.model_extra or {})["repairs"] == 1
    assert double.verdict is None, "double's check needs area, which is being repaired"
    # The repair comes back wrong again: out of repairs, the verdict is final.
    ws.update_todo("Shape.area", status=TodoStatus.DONE, attempt=2, result=AREA_BAD)
    assert not await agent.step()
    assert ws.todo("Shape.area").status == TodoStatus.DONE and ws.todo("Shape.area").verdict == "fail"
    # area is out of repairs, so its code is final: double was judged in the same round, and fails through
    # area, so it is not reopened.
    double = ws.todo("Shape.double")
    assert double.status == TodoStatus.DONE and double.verdict == "fail"
    assert "depends on Shape.area" in (double.model_extra or {})["feedback"]
    assert await agent.step()  # everything has a final verdict
    assert ws.get_meta()["phase"] == "finished" and ws.get_meta()["judge"]["reopened"] == 1


async def test_pyright_conflicts_are_reconciled_or_reopened(pyright: PyrightServer) -> None:
    # The buffer holds area twice (a double claim gone wrong) and double calls a name nobody defined.
    results = {"Shape.area": AREA_OK, "Shape.double": DOUBLE_BROKEN_REF}
    base = _workspace(results).read("shape.py")
    duplicated = base.replace(AREA_OK, AREA_OK + "\n" + AREA_BAD)
    ws = _workspace(results, duplicated)
    agent = JudgeAgent(ws, Judge(), JudgeConfig(max_repairs=2), pyright=pyright)
    while ws.todo("Shape.double").status == TodoStatus.DONE and not await agent.step():
        pass
    source = ws.read("shape.py")
    assert source.count("def area") == 1 and "self.side * self.side" in source, "the winner's area stays, once"
    double = ws.todo("Shape.double")
    assert double.status == TodoStatus.PENDING and "twice" in (double.model_extra or {})["feedback"]
    assert agent.summary.conflicts_found >= 2 and agent.summary.conflicts_reconciled >= 1
    kinds = {e.data.get("reason") for e in ws.read_events() if e.type == "verdict"}
    assert "conflict" in kinds
