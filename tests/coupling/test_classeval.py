"""The static classifier on real ClassEval tasks (the first 20), against their method_dependencies.

Floors are set just under the figures measured on these tasks (skeleton: 4 of 27
true edges found, 4 of 7 predicted edges right; solution code: 27/27, no false
edge); the full benchmark is ``python -m bench.micro.coupling_accuracy``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.coupling import CouplingError, classify


def _score(tasks: list[dict], source: str) -> tuple[float, float]:
    tp = fp = fn = 0
    for task in tasks:
        cls = task["class_name"]
        symbols = [f"{cls}.{m['method_name']}" for m in task["methods_info"]]
        truth = {(f"{cls}.{m['method_name']}", f"{cls}.{d}") for m in task["methods_info"] for d in m["dependencies"]["method_dependencies"]}
        try:
            report = classify(task[source], symbols)
        except CouplingError:
            pred: set[tuple[str, str]] = set()
        else:
            pred = {(s, d) for s, ds in report.deps.items() for d in ds}
        tp, fp, fn = tp + len(pred & truth), fp + len(pred - truth), fn + len(truth - pred)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


@pytest.fixture(scope="module")
def tasks(classeval_dir: Path) -> list[dict]:
    return json.loads((classeval_dir / "ClassEval_data.json").read_text())[:20]


def test_skeleton_precision_and_recall_floors(tasks: list[dict]) -> None:
    precision, recall = _score(tasks, "skeleton")
    assert precision >= 0.5
    assert recall >= 0.14


def test_solution_code_finds_the_calls(tasks: list[dict]) -> None:
    precision, recall = _score(tasks, "solution_code")
    assert precision >= 0.95
    assert recall >= 0.95
