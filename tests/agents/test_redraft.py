"""Dependencies observed in committed code, and speculative re-drafts (modes speculate and revise).

The scripted model's world: a reply is faulty with probability ``blind`` per
true dependency whose code the prompt did not show (ground truth from the
references, never from our classifier).  Parallel agents that work ahead of a
dependency commit such drafts; ``speculate`` must notice (the committed body
calls a stub its prompt did not show), re-draft it once the stub lands, and
end correct, without repairs.
"""

from __future__ import annotations

from typing import Any

import pytest

from agents.judge import Judge
from agents.roles._observed import redraft_reason, used_stubs
from agents.scheduler import SchedulerConfig
from bench._metrics import TrialResult
from bench._run import task_inputs
from bench._trial import TrialConfig, run_trial
from bench.suites import Suite
from crdt_ws import TodoEntry, TodoStatus

from .conftest import scripted

pytestmark = pytest.mark.anyio


async def _trial(suite: Suite, judge: Judge, task_id: str, mode: str, **options: Any) -> TrialResult:
    model = scripted(suite, fault_rate=0.0, blind=options.get("blind", 1.0), time_scale=0.02)
    trial = TrialConfig.model_validate(
        {
            "scheduler": SchedulerConfig(agents=4),
            "timeout_s": 60,
            "judge": {"max_repairs": 0, "conflict_rounds": 0, "ignore_examples": options.get("ignore", [])},
            "seed": options.get("seed", 0),
        }
    )
    spec, hidden = task_inputs(suite.task(task_id))
    async with model:
        return await run_trial(spec, hidden, mode, model, trial, judge=judge)  # type: ignore[arg-type]


def _e(symbol: str, *, status: TodoStatus = TodoStatus.DONE, result: str | None = None, **extra: Any) -> TodoEntry:
    return TodoEntry(id=symbol, file="m.py", symbol=symbol, status=status, result=result, **extra)


def test_used_stubs_are_read_from_the_committed_code_with_libcst() -> None:
    entries = [
        _e("Calc.add"),
        _e("Calc.total"),
        _e("Calc.unused"),
        _e("helper"),
        _e("Other.add"),
    ]
    code = (
        "def total(self, xs):\n"
        "    '''Calls self.unused in prose only.'''\n"
        "    s = helper(xs)  # a module-level stub\n"
        "    return self.add(s, Calc.add(1, 2))\n"
    )
    entry = _e("Calc.total", result=code)
    assert used_stubs(entry, entries) == {"Calc.add", "helper"}  # a docstring mention is not a use; Other.add is not ours
    indented = _e("Calc.total", result="    def total(self):\n        return self.unused\n")
    assert used_stubs(indented, entries) == {"Calc.unused"}  # a reference (not only a call) counts
    assert used_stubs(_e("Calc.total", result="def total(self:\n"), entries) == set()  # unparsable: nothing observed


def test_the_redraft_rule() -> None:
    dep = _e("C.a", result="def a(self): return 1\n")
    blind = _e("C.b", result="def b(self): return self.a()\n", seen=[], verdict="fail")
    entries = [dep, blind, _e("C.c", status=TodoStatus.PENDING)]
    assert "drafted without seeing C.a" in (redraft_reason(blind, entries, mode="speculate", vouched=False) or "")
    assert redraft_reason(blind, entries, mode="parallel", vouched=False) is None  # only in speculative modes
    assert redraft_reason(blind, entries, mode="speculate", vouched=True) is None  # its checks vouch for it
    informed = blind.model_copy(update={"seen": ["C.a"]})
    assert redraft_reason(informed, entries, mode="speculate", vouched=False) is None
    once = _e("C.b", result=blind.result, seen=[], redrafts=1)
    assert redraft_reason(once, entries, mode="speculate", vouched=False) is None  # at most once
    waiting = [dep.model_copy(update={"status": TodoStatus.CLAIMED}), blind]
    assert redraft_reason(blind, waiting, mode="speculate", vouched=False) is None  # not before C.a lands
    foreign = _e("C.b", result=blind.result)  # no `seen`: drafted by a system that does not record it
    assert redraft_reason(foreign, entries, mode="speculate", vouched=False) is None
    # revise also revises a draft that saw no sibling at all, once one is committed.
    alone = _e("C.c", result="def c(self): return 3\n", seen=[])
    assert redraft_reason(alone, [dep, alone], mode="speculate", vouched=False) is None
    assert "no other method" in (redraft_reason(alone, [dep, alone], mode="revise", vouched=False) or "")


@pytest.mark.parametrize("task_id", ["calculator", "semver"])
async def test_speculate_redrafts_blind_work_and_gains_quality(suite: Suite, judge: Judge, task_id: str) -> None:
    gained = 0
    for seed in (0, 1):
        parallel = await _trial(suite, judge, task_id, "parallel", seed=seed)
        speculate = await _trial(suite, judge, task_id, "speculate", seed=seed)
        assert parallel.mode == "parallel" and speculate.mode == "speculate"
        assert parallel.blind_drafts > 0 and parallel.redrafts == 0 and parallel.redraft_calls == 0
        assert speculate.blind_drafts > 0 and speculate.redrafts >= 1 and speculate.reopened == 0
        assert speculate.redraft_calls == speculate.redrafts and speculate.redraft_output_tokens > 0
        assert speculate.calls == speculate.stubs + speculate.redrafts and speculate.redraft_tail_s >= 0
        gained += speculate.test_classes_passed - parallel.test_classes_passed
    # A blind draft whose faulty code its doctest still passes is vouched for and kept: not every class is won back.
    assert gained >= 2


async def test_revise_revises_context_less_drafts_its_checks_cannot_vouch_for(suite: Suite, judge: Judge) -> None:
    # inventory's methods are independent: speculate has nothing to re-draft.  Their passing doctests vouch
    # for the first drafts; without examples to check, revise revises the drafts that saw no sibling.
    speculate = await _trial(suite, judge, "inventory", "speculate")
    vouched = await _trial(suite, judge, "inventory", "revise")
    unchecked = await _trial(suite, judge, "inventory", "revise", ignore=suite.task("inventory").stubs())
    assert speculate.redrafts == 0 and speculate.calls == speculate.stubs
    assert vouched.redrafts == 0 and vouched.passed
    assert 1 <= unchecked.redrafts <= unchecked.stubs and unchecked.calls == unchecked.stubs + unchecked.redrafts
    assert unchecked.blind_drafts == 0 and unchecked.passed


def test_a_blind_draft_waits_while_what_it_used_is_about_to_change() -> None:
    from agents.roles._observed import redrafts_due

    a = _e("C.a", result="def a(self): return 1\n", seen=[])  # itself context-less: revise will redo it
    b = _e("C.b", result="def b(self): return self.a()\n", seen=[])  # blind to C.a
    first = redrafts_due([a, b], mode="revise", vouched=lambda e: False, waiting=lambda e: False)
    assert [e.symbol for e, _ in first] == ["C.a"]  # b would only see the draft about to be replaced
    a2 = _e("C.a", result="def a(self): return 2\n", seen=["C.b"], redrafts=1)
    second = redrafts_due([a2, b], mode="revise", vouched=lambda e: False, waiting=lambda e: False)
    assert [(e.symbol, "without seeing C.a" in why) for e, why in second] == [("C.b", True)]
    # A verdict that could still vouch for C.a is worth waiting for: nothing is due meanwhile.
    assert redrafts_due([a, b], mode="revise", vouched=lambda e: False, waiting=lambda e: e.symbol == "C.a") == []
