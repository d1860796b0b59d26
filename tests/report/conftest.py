"""Synthetic results for the report tests: real ``bench.TrialResult`` rows with known figures."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from bench import TrialResult

OFFLINE = "scripted (offline: bundled suite reference solutions + seeded faults)"


def trial(
    task: str,
    requested: str,
    seed: int,
    wall_s: float,
    *,
    passed: bool = True,
    provider: str = OFFLINE,
    coupling: float | None = 0.2,
    agents: int | None = None,
    run: int | None = None,
    run_id: str = "run-a",
    suite: str = "bundled",
    classes: tuple[int, int] = (4, 4),
    new_fields: bool = True,
) -> dict[str, Any]:
    """One row as ``crdt-bench run`` writes it: a real TrialResult dumped to JSON, plus the runner's new fields."""
    mode = "parallel" if requested == "auto" else requested
    n_agents = agents if agents is not None else (1 if mode == "serial" else 4)
    result = TrialResult(
        task=task, requested=requested, mode=mode, agents=n_agents, transport="memory", seed=seed,
        provider=provider, coupling_score=coupling, edges=1, waves=2, stubs=6, wall_s=wall_s,
        implement_s=wall_s * 0.9, bound_s=wall_s * 0.5, overhead=0.8, schedule_bound_s=wall_s * 0.5,
        coordination_overhead=0.8, first_all_pass_s=wall_s * 0.8 if passed else None, passed=passed,
        test_classes=classes[0], test_classes_passed=classes[1], tests_run=12, tests_failed=0 if passed else 2,
        visible_pass=6, visible_fail=0, reopened=1, calls=7, blind_calls=0, output_tokens=1000,
        input_tokens=9000, cost_usd=None, claims=7, claim_losses=0, reclaims=0, double_claims=0,
        claim_p50_ms=40.0, conflicts_found=0, conflicts_reconciled=0, phase="finished", faults=1,
    )
    row = result.model_dump(mode="json")
    if not new_fields:  # a row as written before the runner recorded these
        for key in ("run_id", "suite", "run", "order", "test_verdicts", "versions"):
            row.pop(key, None)
    else:
        row.update(
            run_id=run_id, suite=suite, run=seed if run is None else run,
            test_verdicts={f"Test{i}": i < classes[1] for i in range(classes[0])}, versions={"crdt-agents": "0.1.0"},
        )
    return row


def synthetic(speedups: dict[str, float], runs: int = 6, *, noise: float = 0.05, seed: int = 7) -> list[dict[str, Any]]:
    """serial/parallel/auto trials where parallel is ``speedups[task]`` times faster, up to lognormal noise.

    Serial time varies strongly with the seed, so pairing by anything but (task, seed) would show.
    """
    rng = random.Random(seed)
    rows = []
    for t, (task, speedup) in enumerate(sorted(speedups.items())):
        for s in range(runs):
            serial = 10.0 + 7.0 * s + 3.0 * t
            rows.append(trial(task, "serial", s, serial, coupling=0.1 * t))
            for mode in ("parallel", "auto"):
                factor = math.exp(rng.gauss(0.0, noise)) if noise else 1.0
                rows.append(trial(task, mode, s, serial / (speedup * factor), coupling=0.1 * t))
    return rows


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def results_file(tmp_path: Path) -> Callable[..., Path]:
    def make(rows: Iterable[dict[str, Any]], name: str = "results.jsonl") -> Path:
        return write_jsonl(tmp_path / name, rows)

    return make


@pytest.fixture
def make_trial() -> Callable[..., dict[str, Any]]:
    return trial


@pytest.fixture
def make_synthetic() -> Callable[..., list[dict[str, Any]]]:
    return synthetic
