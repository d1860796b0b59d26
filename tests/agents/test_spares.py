"""Spare repairs (``SchedulerConfig.repair_samples``): replies drawn beside a repair in the tail and kept on the
TODO, so the next reopen commits one without a model call.

A real trial of the bundled ``text_stats`` task: one agent, outline order, so ``TextStats.longest_word`` (the last
stub) is drafted last and all its repairs fall in the tail.  Its replies are given: wrong three times, then right;
every other symbol is the reference.  The judge's doctests find each wrong reply.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from agents.judge import Judge
from agents.models.testing import GivenReplies
from agents.models import BudgetExceeded
from agents.roles import Context, Implementation
from agents.roles._samples import Samples
from agents.roles._spares import Spare, keep_spares, spares_wanted, take_spare
from agents.scheduler import SchedulerConfig
from bench._metrics import TrialResult
from bench.suites import Suite, SuiteReferences
from crdt_ws import TodoEntry, TodoStatus, Workspace

from .conftest import one_agent_trial, scripted

pytestmark = pytest.mark.anyio

TARGET = "TextStats.longest_word"
WRONG = "Here it is:\n```python\ndef longest_word(self):\n    return 'wrong'\n```\n"


def _right(suite: Suite) -> str:
    right = SuiteReferences(suite).get("text_stats", TARGET)
    assert right is not None
    return f"Fixed:\n```python\n{right.code}```\n"


async def _trial(
    suite: Suite, judge: Judge, samples: int, replies: list[str] | None = None, observe: Callable[[Workspace], None] | None = None
) -> tuple[TrialResult, GivenReplies]:
    model = GivenReplies({TARGET: replies or [WRONG, WRONG, WRONG, _right(suite)]}, fallback=scripted(suite))
    scheduler = SchedulerConfig(agents=1, priority="fifo", repair_samples=samples)
    judging = {"max_repairs": 3, "conflict_rounds": 0}
    options = {"scheduler": scheduler, "judge": judging}
    return await one_agent_trial(suite, judge, model, "text_stats", options, observe), model


async def test_a_failed_repair_is_followed_by_its_spare_not_a_call(suite: Suite, judge: Judge) -> None:
    row, model = await _trial(suite, judge, samples=2)
    assert row.passed and row.visible_fail == 0
    # draft (wrong), repair 1 (wrong) + its spare (wrong), repair 2 = the spare (no call), repair 3 (right) + a spare.
    assert model.calls[TARGET] == 5
    assert row.spares_used == 1 and row.spare_calls == 2
    assert row.reopened == 3


async def test_without_spares_every_repair_is_a_call(suite: Suite, judge: Judge) -> None:
    row, model = await _trial(suite, judge, samples=1)
    assert row.passed
    assert model.calls[TARGET] == 4  # draft and three repairs, each a call
    assert row.spares_used == 0 and row.spare_calls == 0


async def test_a_spare_a_peer_left_is_judged_like_any_commit_and_garbage_is_dropped(suite: Suite, judge: Judge) -> None:
    def hostile(ws: Workspace) -> None:
        # Before anything is drafted: a reply with no code in it, then one that deletes the class at import.
        wipe = "```python\ndef longest_word(self):\n    return None\n\ndel TextStats\n```\n"
        ws.update_todo(TARGET, spares=[{"reply": "I will not do that.", "shown": []}, {"reply": wipe, "shown": []}])

    row, model = await _trial(suite, judge, samples=1, replies=[WRONG, WRONG, _right(suite)], observe=hostile)
    # draft: a call (no spare for a first draft); repair 1: the garbage spare is dropped, the model asked (wrong);
    # repair 2: the second spare, committed without a call, fails its doctest; repair 3: the model, right.
    assert model.calls[TARGET] == 3 and row.spares_used == 1
    assert row.passed and row.visible_fail == 0  # the `del TextStats` never reached the module


def _entry(symbol: str, status: TodoStatus, **extra: object) -> TodoEntry:
    result = f"def {symbol}():\n    return 1\n" if status == TodoStatus.DONE else None
    verdict = "pass" if status == TodoStatus.DONE else extra.pop("verdict", None)
    return TodoEntry(id=symbol, file="m.py", symbol=symbol, status=status, result=result, verdict=verdict, **extra)  # type: ignore[arg-type]


def test_spares_are_asked_for_only_for_repairs_once_all_is_drafted() -> None:
    repair = _entry("b", TodoStatus.CLAIMED, repairs=1, verdict="fail")
    done = _entry("a", TodoStatus.DONE)
    assert spares_wanted(repair, [done, repair], samples=3) == 2
    assert spares_wanted(repair, [done, repair], samples=1) == 0  # off
    undrafted = _entry("c", TodoStatus.PENDING)
    assert spares_wanted(repair, [done, repair, undrafted], samples=3) == 0  # first drafts still to come
    first = _entry("b", TodoStatus.CLAIMED)
    assert spares_wanted(first, [done, first], samples=3) == 0  # a first draft
    redraft = _entry("b", TodoStatus.CLAIMED, repairs=1, revising=True, verdict="fail")
    assert spares_wanted(redraft, [done, redraft], samples=3) == 0  # a re-draft looks at code a spare never saw


def test_a_peer_cannot_smuggle_anything_but_replies_through_spares() -> None:
    ws = Workspace("a")
    ws.add_todo(_entry("b", TodoStatus.PENDING, repairs=1, verdict="fail"))
    # Malformed items a hostile peer wrote are ignored, not crashed on.
    ws.update_todo("b", spares=[{"reply": 3}, "text", {"shown": []}, {"reply": "", "shown": []}, None])
    assert take_spare(ws, ws.todo("b")) is None
    keep_spares(ws, "b", [Spare("r1", ("a",)), Spare("r2", ())])
    first = take_spare(ws, ws.todo("b"))
    assert first is not None and (first.reply, first.shown) == ("r1", ("a",))
    second = take_spare(ws, ws.todo("b"))
    assert second is not None and second.reply == "r2"
    assert take_spare(ws, ws.todo("b")) is None  # each spare is used once
    keep_spares(ws, "b", [Spare("r3", ())])
    ws.update_todo("b", revising=True)
    assert take_spare(ws, ws.todo("b")) is None  # not for a re-draft
    assert any(e.type == "spares_kept" for e in ws.read_events())


async def test_an_error_of_the_claims_own_call_reaches_the_caller_as_itself_and_stops_the_spares() -> None:
    class Agent(Samples):
        def __init__(self) -> None:
            self.spares_stopped = False

        async def _draw_spares(self, entry: TodoEntry, contexts: list[Context]) -> None:
            try:
                await anyio.sleep_forever()
            finally:
                self.spares_stopped = True

    async def over_budget() -> Implementation:
        raise BudgetExceeded("tokens", used=6000, requested=500, cap=6000)

    agent = Agent()
    context = object()  # only passed through to _draw_spares
    with pytest.raises(BudgetExceeded):  # not an exception group: the implementer ends the run on exactly this
        await agent._beside_spares(_entry("b", TodoStatus.CLAIMED), [context], over_budget)  # type: ignore[list-item]  # noqa: SLF001
    assert agent.spares_stopped
