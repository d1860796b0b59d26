"""Agreement between the judge and the ClassEval harness's semantics.

:func:`run_reference` runs recorded predictions the way the benchmark's harness
does (one shared process, see ``_reference_runner.py``) inside one sandbox;
:func:`compare` lines its class-level verdicts up with the judge's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from ._classeval import KNOWN_ENVIRONMENT_TASKS, ClassEvalTask, ClassEvalVerdict, build_program, extract_code
from ._errors import DataError
from ._sandbox import Sandbox, SandboxConfig, SandboxResult
from ._unittest import TestClassStatus, classify

_RUNNER = Path(__file__).with_name("_reference_runner.py")


class ReferenceVerdict(BaseModel):
    """Class-level verdict of the reference harness for one task."""

    task_id: str = Field(description="Task.")
    test_classes: dict[str, TestClassStatus] = Field(description="Harness answer per test class.")

    @property
    def passed(self) -> bool:
        return bool(self.test_classes) and all(s == "success" for s in self.test_classes.values())

    @property
    def passed_classes(self) -> int:
        return sum(1 for s in self.test_classes.values() if s == "success")


class Disagreement(BaseModel):
    """A task whose class-level verdict differs between judge and reference."""

    task_id: str = Field(description="Task.")
    judge_passed: bool = Field(description="Judge's class verdict.")
    reference_passed: bool = Field(description="Reference harness's class verdict.")
    differing_test_classes: list[str] = Field(description="Test classes whose success differs.")
    known_issue: str | None = Field(default=None, description="Known environment/nondeterminism explanation, if any.")


class Agreement(BaseModel):
    """Summary of judge vs reference on one set of predictions."""

    tasks: int = Field(description="Tasks compared.")
    judge_class_success: int = Field(description="Tasks the judge passed.")
    reference_class_success: int = Field(description="Tasks the reference passed.")
    judge_test_class_success: int = Field(description="Test classes the judge passed.")
    reference_test_class_success: int = Field(description="Test classes the reference passed.")
    test_classes: int = Field(description="Test classes compared.")
    disagreements: list[Disagreement] = Field(description="Tasks with a different class-level verdict or test-class verdicts.")

    @property
    def unexplained(self) -> list[Disagreement]:
        return [d for d in self.disagreements if d.known_issue is None]


async def run_reference(
    tasks: Sequence[ClassEvalTask],
    predictions: dict[str, str],
    *,
    model_name: str = "",
    sandbox_config: SandboxConfig | None = None,
) -> tuple[list[ReferenceVerdict], SandboxResult]:
    """Run the harness semantics over ``tasks`` in one sandboxed process."""
    payload = [
        {
            "task_id": t.task_id,
            "program": build_program(t, extract_code(predictions[t.task_id], model_name)),
            "test_classes": t.test_classes,
        }
        for t in tasks
    ]
    base = sandbox_config or SandboxConfig()
    budget = 60.0 + sum(5.0 * len(t.test_classes) + 2.0 for t in tasks)
    config = base.model_copy(update={"wall_timeout_s": budget, "cpu_s": int(budget) + 1, "memory_bytes": 16 << 30, "max_processes": 512})
    files = {"_reference_runner.py": _RUNNER.read_text(encoding="utf-8"), "tasks.json": json.dumps(payload)}
    result = await Sandbox(config).run(["python", "-I", "_reference_runner.py", "tasks.json"], files)
    verdicts: dict[str, ReferenceVerdict] = {}
    for line in result.stdout.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if not isinstance(row, dict) or "task_id" not in row:
            continue
        classes: dict[str, TestClassStatus] = {name: classify(c["testsRun"], c["failures"], c["errors"]) for name, c in row["classes"].items()}
        verdicts[row["task_id"]] = ReferenceVerdict(task_id=row["task_id"], test_classes=classes)
    missing = [t.task_id for t in tasks if t.task_id not in verdicts]
    if missing:
        raise DataError(f"reference harness stopped early ({result.status}); no verdict for {missing[:5]}...: {result.stderr[-1000:]}")
    return [verdicts[t.task_id] for t in tasks], result


def compare(judged: Sequence[ClassEvalVerdict], reference: Sequence[ReferenceVerdict]) -> Agreement:
    """Line up judge and reference verdicts task by task."""
    ref = {r.task_id: r for r in reference}
    disagreements: list[Disagreement] = []
    total = 0
    for verdict in judged:
        other = ref.get(verdict.task_id)
        if other is None:
            raise DataError(f"no reference verdict for {verdict.task_id}")
        total += len(verdict.verdict.test_classes)
        differing = [o.name for o in verdict.verdict.test_classes if o.passed != (other.test_classes.get(o.name) == "success")]
        if differing or verdict.passed != other.passed:
            disagreements.append(
                Disagreement(
                    task_id=verdict.task_id,
                    judge_passed=verdict.passed,
                    reference_passed=other.passed,
                    differing_test_classes=differing,
                    known_issue=KNOWN_ENVIRONMENT_TASKS.get(verdict.task_id),
                )
            )
    return Agreement(
        tasks=len(judged),
        judge_class_success=sum(v.passed for v in judged),
        reference_class_success=sum(ref[v.task_id].passed for v in judged),
        judge_test_class_success=sum(v.verdict.passed_classes for v in judged),
        reference_test_class_success=sum(ref[v.task_id].passed_classes for v in judged),
        test_classes=total,
        disagreements=disagreements,
    )
