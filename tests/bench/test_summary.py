"""The headline and failure lines a run ends with, from rows alone."""

from __future__ import annotations

import re

from bench._metrics import TrialResult, error_row
from bench._summary import failure_lines, headline


def _row(task: str, mode: str, wall: float, passed: bool, provider: str = "replay:GPT-4-Turbo (offline: recorded)") -> TrialResult:
    base = error_row(task=task, requested=mode, seed=0, provider=provider, transport="memory", error="")
    return base.model_copy(update={"status": "ok", "error": None, "wall_s": wall, "passed": passed, "phase": "finished"})


def test_headline_pairs_by_task_and_seed_and_leaves_error_rows_out() -> None:
    rows = []
    for i, (serial, parallel) in enumerate([(10, 5), (12, 6), (9, 4.5), (8, 4)]):
        rows += [_row(f"t{i}", "serial", serial, i < 2), _row(f"t{i}", "parallel", parallel, i < 1)]
    failed = error_row(task="t9", requested="parallel", seed=0, provider="x", transport="memory", error="ProviderRejected: 401")
    lines = headline([*rows, failed.model_copy(update={"model_failures": 4})])
    assert re.fullmatch(r"parallel 2\.00x faster than serial \(CI 2\.00-2\.00, n=4\)", lines[0]), lines
    assert lines[1] == "class pass: serial 50%, parallel 25%; offline replay:GPT-4-Turbo (not a live model)"
    assert all(len(line) <= 100 for line in lines)
    summary = failure_lines([*rows, failed.model_copy(update={"model_failures": 4})])
    assert summary[0].startswith("model failures: 4 calls failed in 1 trials; 1 error trials")
    assert summary[1] == "last error: ProviderRejected: 401"
    assert failure_lines(rows) == []


def test_a_live_model_is_named_and_a_slower_mode_says_so() -> None:
    rows = [_row("a", "serial", 4, True, "anthropic:claude-sonnet-4-6"), _row("a", "parallel", 8, True, "anthropic:claude-sonnet-4-6")]
    lines = headline(rows)
    assert lines[0] == "parallel 2.00x slower than serial (n=1, one task: no CI)"
    assert lines[1].endswith("; model anthropic:claude-sonnet-4-6")
    assert headline([error_row(task="a", requested="serial", seed=0, provider="p", transport="memory", error="e")]) == [
        "no trial finished without error: nothing to compare"
    ]
