"""ClassEval: data access, the harness's code extraction, and judging tasks.

The data directory comes from an argument or the ``CLASSEVAL_DATA``
environment variable; it is never bundled.  Code extraction and program
assembly reproduce the ClassEval harness (``classeval_evaluation``) so that
recorded generations are judged on the same program text as there.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
from pydantic import BaseModel, Field

from ._errors import DataError
from ._sandbox import Sandbox
from ._unittest import UnittestVerdict, run_unittest_classes

# Tasks that cannot pass (or pass only by chance) in this environment, and why.
KNOWN_ENVIRONMENT_TASKS: dict[str, str] = {
    "ClassEval_17": "date-dependent: tests compare against the date when the benchmark was written; C/I outputs are syntax errors for every model",
    "ClassEval_35": "slow: search-based tests need more than the 5 s per test class on this machine",
    "ClassEval_48": "hostname: a test expects the benchmark author's machine name ('LAPTOP-2CS86KUM')",
    "ClassEval_50": "fails as root: a test expects a permission error that root never gets (can pass under the sandbox's private uid)",
    "ClassEval_52": "NLTK data: needs wordnet/punkt/tagger corpora, which are not installable from the package registries",
    "ClassEval_58": "random: minesweeper boards are random, so verdicts vary from run to run",
    "ClassEval_69": "broken test classes in the benchmark; its tests also need reportlab (not in the classeval extra)",
    "ClassEval_97": "broken test class in the benchmark: ' Words2NumbersTestMain' has a leading space, so it is never found",
}

_MODELS_RAW = ["CodeT5p", "StarCoder", "CodeGen", "codegeex"]
_FENCES = [r"```python(.*?)```", r"```ruby(.*?)```", r"```scss(.*?)```", r"```python(.*?)", r"```(.*?)```", r".py(.*?).py"]


class ClassEvalTask(BaseModel):
    """The parts of a ClassEval task the judge needs."""

    task_id: str = Field(description="e.g. 'ClassEval_0'.")
    class_name: str = Field(description="Name of the class under test.")
    skeleton: str = Field(description="Class outline with docstrings (visible to agents).")
    test: str = Field(description="unittest source holding the test classes (hidden).")
    test_classes: list[str] = Field(description="Test class names, in the benchmark's order.")
    import_statement: list[str] = Field(description="Imports the harness prepends to every prediction.")
    solution_code: str = Field(default="", description="Reference solution.")


class ClassEvalVerdict(BaseModel):
    """Judge verdict for one ClassEval task."""

    task_id: str = Field(description="Task judged.")
    verdict: UnittestVerdict = Field(description="Per-test-class outcomes.")
    known_issue: str | None = Field(default=None, description="Why this task cannot pass reliably here, when it is a known one.")

    @property
    def passed(self) -> bool:
        return self.verdict.passed


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Check the ClassEval data directory given (the CLI resolves ``--data-dir``/``$CLASSEVAL_DATA``)."""
    raw = path
    if not raw:
        raise DataError("no ClassEval data directory: pass one (the CLI takes --data-dir or $CLASSEVAL_DATA; see the data's SOURCE.md)")
    root = Path(raw)
    if not (root / "ClassEval_data.json").is_file():
        raise DataError(f"{root} is not a ClassEval data directory (no ClassEval_data.json)")
    return root


def _load_json(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a JSON list of tasks")
    return data


def load_tasks(root: str | os.PathLike[str] | None = None) -> list[ClassEvalTask]:
    """All tasks of ``ClassEval_data.json``."""
    path = data_dir(root) / "ClassEval_data.json"
    try:
        return [ClassEvalTask.model_validate(item) for item in _load_json(path)]
    except ValueError as exc:
        raise DataError(f"{path}: malformed task: {exc}") from exc


def load_recorded(path: str | os.PathLike[str]) -> dict[str, str]:
    """task_id -> first ``predict`` entry of a recorded generation file."""
    out: dict[str, str] = {}
    for item in _load_json(Path(path)):
        predict = item.get("predict")
        if not isinstance(predict, list) or not predict or not isinstance(predict[0], str):
            raise DataError(f"{path}: task {item.get('task_id')!r} has no predict string")
        out[str(item["task_id"])] = predict[0]
    return out


def extract_code(text: str, model_name: str = "") -> str:
    """Pull the code out of a model reply exactly as the ClassEval harness does.

    The harness passes the generation file's path as ``model_name``; quirks
    (the ``.py`` pattern, whole-line removal) are kept for fidelity.
    """
    for name in _MODELS_RAW:
        if name in model_name:
            return text.split("### Response:")[1] if "### Response:" in text else text
    if "incoder" in model_name:
        return text.split("<|/ file |>")[0] if "<|/ file |>" in text else text
    for pattern in _FENCES:
        found = re.findall(pattern, text, re.S)
        if found:
            return found[0]
    lines = text.split("\n")
    dropped: set[str] = set()
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("class"):
            break
        if not stripped.startswith("import") and not stripped.startswith("from"):
            dropped.add(line)
    # The harness drops every line equal to a dropped one, wherever it occurs.
    return "\n".join(line for line in lines if line not in dropped)


def build_program(task: ClassEvalTask, code: str) -> str:
    """Imports + code + tests, as the harness writes its test file."""
    return "\n".join(task.import_statement) + "\n" + code + "\n" + task.test


async def judge_task(
    task: ClassEvalTask,
    code: str,
    *,
    sandbox: Sandbox | None = None,
    class_timeout_s: float = 5.0,
) -> ClassEvalVerdict:
    """Run the task's hidden test classes against ``code`` (already extracted)."""
    verdict = await run_unittest_classes(
        build_program(task, code),
        task.test_classes,
        module_name=f"{task.task_id}_0",
        class_timeout_s=class_timeout_s,
        sandbox=sandbox,
    )
    return ClassEvalVerdict(task_id=task.task_id, verdict=verdict, known_issue=KNOWN_ENVIRONMENT_TASKS.get(task.task_id))


async def judge_recorded(
    tasks: Sequence[ClassEvalTask],
    predictions: dict[str, str],
    *,
    model_name: str = "",
    workers: int = 2,
    sandbox: Sandbox | None = None,
) -> list[ClassEvalVerdict]:
    """Judge recorded replies (raw ``predict`` text) for ``tasks``, ``workers`` at a time."""
    limiter = anyio.CapacityLimiter(max(1, workers))
    results: dict[str, ClassEvalVerdict] = {}

    async def one(task: ClassEvalTask) -> None:
        async with limiter:
            raw = predictions.get(task.task_id)
            if raw is None:
                raise DataError(f"no prediction for {task.task_id}")
            results[task.task_id] = await judge_task(task, extract_code(raw, model_name), sandbox=sandbox)

    async with anyio.create_task_group() as tg:
        for task in tasks:
            tg.start_soon(one, task)
    return [results[t.task_id] for t in tasks]
