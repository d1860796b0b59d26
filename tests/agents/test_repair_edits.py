"""Repairs asked as SEARCH/REPLACE edits (``ImplementerConfig.repair_edits``).

Real trials of the bundled ``text_stats`` task with one agent in outline order: ``TextStats.longest_word`` gets
given replies (a wrong draft, then what the test says), every other symbol its reference.  The judge's doctests
find the wrong draft and reopen it; the repair's prompt shows the failed code and asks for edits to it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

from agents.judge import Judge
from agents.models import ModelRequest
from agents.models._base import OfflineReply
from agents.models.testing import GivenReplies
from bench._metrics import TrialResult
from bench.suites import Suite, SuiteReferences
from crdt_ws import Workspace

from .conftest import one_agent_trial, scripted

pytestmark = pytest.mark.anyio

TARGET = "TextStats.longest_word"
WRONG = "Here it is:\n```python\ndef longest_word(self):\n    total = 0\n    return 'wrong'\n```\n"


class Asked(GivenReplies):
    """Given replies that remember every request for the target."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.requests: list[ModelRequest] = []

    def reply(self, request: ModelRequest) -> OfflineReply:
        if request.symbol == TARGET:
            self.requests.append(request)
        return super().reply(request)


def _fix(suite: Suite) -> str:
    """An edit replacing the wrong draft's body with the reference body (written flush left, as models often do)."""
    right = SuiteReferences(suite).get("text_stats", TARGET)
    assert right is not None
    body = textwrap.dedent("\n".join(right.code.splitlines()[1:]))
    return f"The fix:\n<<<<<<< SEARCH\ntotal = 0\nreturn 'wrong'\n=======\n{body.rstrip()}\n>>>>>>> REPLACE\n"


async def _trial(
    suite: Suite, judge: Judge, replies: list[str], *, edits: bool = True, observe: Callable[[Workspace], None] | None = None
) -> tuple[TrialResult, Asked]:
    model = Asked({TARGET: replies}, fallback=scripted(suite))
    options = {"implementer": {"repair_edits": edits}, "judge": {"max_repairs": 2, "conflict_rounds": 0}}
    return await one_agent_trial(suite, judge, model, "text_stats", options, observe), model


async def test_a_repair_asks_for_edits_to_the_failed_code_and_commits_them(suite: Suite, judge: Judge) -> None:
    row, model = await _trial(suite, judge, [WRONG, _fix(suite)])
    assert row.passed and row.visible_fail == 0
    assert model.calls[TARGET] == 2 and row.edit_calls == 1 and row.edit_failures == 0
    draft, repair = model.requests
    assert draft.edit_of is None
    assert repair.edit_of is not None and "return 'wrong'" in repair.edit_of  # the code that failed, as committed
    prompt = repair.messages[0].content
    assert "<<<<<<< SEARCH" in prompt and "return 'wrong'" in prompt and "failed the checks" in prompt


async def test_edits_that_do_not_apply_are_asked_again_whole(suite: Suite, judge: Judge) -> None:
    right = SuiteReferences(suite).get("text_stats", TARGET)
    assert right is not None
    stray = "<<<<<<< SEARCH\nreturn 'not there'\n=======\nreturn 1\n>>>>>>> REPLACE\n"
    row, model = await _trial(suite, judge, [WRONG, stray, f"```python\n{right.code}```\n"])
    assert row.passed and row.edit_failures == 1
    assert model.calls[TARGET] == 3
    assert model.requests[1].edit_of is not None and model.requests[2].edit_of is None  # the same repair, asked whole
    assert "<<<<<<< SEARCH" not in model.requests[2].messages[0].content


async def test_a_whole_definition_in_reply_to_an_edit_request_is_taken_as_it_is(suite: Suite, judge: Judge) -> None:
    right = SuiteReferences(suite).get("text_stats", TARGET)
    assert right is not None
    row, model = await _trial(suite, judge, [WRONG, f"Rewritten:\n```python\n{right.code}```\n"])
    assert row.passed and model.calls[TARGET] == 2 and row.edit_failures == 0


async def test_a_hostile_edit_reaches_no_further_than_a_whole_reply(suite: Suite, judge: Judge) -> None:
    # At the method's own indentation (an exact match, nothing shifted) the replacement ends the method and adds
    # module-level code after it; extraction keeps only the symbol, as for a whole reply.
    right = SuiteReferences(suite).get("text_stats", TARGET)
    assert right is not None
    body = textwrap.indent(textwrap.dedent("\n".join(right.code.splitlines()[1:])), " " * 8)
    hostile = (
        "<<<<<<< SEARCH\n        total = 0\n        return 'wrong'\n=======\n"
        f"{body.rstrip()}\n\ndel TextStats\nimport os; os._exit(3)\n>>>>>>> REPLACE\n"
    )
    replicas: list[Workspace] = []
    row, model = await _trial(suite, judge, [WRONG, hostile], observe=replicas.append)
    assert model.calls[TARGET] == 2 and row.edit_failures == 0
    assert row.passed and row.visible_fail == 0 and row.error is None
    final = replicas[0].read("text_stats.py")
    assert "del TextStats" not in final and "_exit" not in final


async def test_whole_repairs_never_ask_for_edits(suite: Suite, judge: Judge) -> None:
    right = SuiteReferences(suite).get("text_stats", TARGET)
    assert right is not None
    row, model = await _trial(suite, judge, [WRONG, f"```python\n{right.code}```\n"], edits=False)
    assert row.passed and row.edit_calls == 0
    assert all(r.edit_of is None for r in model.requests)


@pytest.mark.parametrize("task", ["markdown_table", "bank_ledger"])
async def test_scripted_edits_commit_what_whole_repairs_commit_with_fewer_output_tokens(suite: Suite, judge: Judge, task: str) -> None:
    rows: dict[bool, TrialResult] = {}
    code: dict[bool, str] = {}
    for edits in (True, False):
        replicas: list[Workspace] = []
        model = scripted(suite, fault_rate=0.6)
        options = {"implementer": {"repair_edits": edits}, "timeout_s": 120, "seed": 3}
        rows[edits] = await one_agent_trial(suite, judge, model, task, options, replicas.append)
        code[edits] = "".join(replicas[0].read(path) for path in sorted(replicas[0].paths()))
    edited, whole = rows[True], rows[False]
    assert edited.edit_calls > 0 and edited.edit_failures == 0
    # The same draws in the same order: only the way each repair is written differs.
    assert (edited.calls, edited.reopened, edited.test_verdicts, code[True]) == (whole.calls, whole.reopened, whole.test_verdicts, code[False])
    assert edited.output_tokens < whole.output_tokens
