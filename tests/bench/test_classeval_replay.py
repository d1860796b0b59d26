"""The ClassEval replay experiment end to end on two classes, and its table regenerated from the JSONL alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bench.micro.classeval_replay", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_replay_experiment_runs_and_its_table_comes_from_the_results(classeval_dir: Path, tmp_path: Path) -> None:
    common = ["--data", str(classeval_dir), "--recording", "GPT-4-Turbo", "--out", str(tmp_path)]
    done = replay(*common, "--limit", "2", "--mode", "serial", "--mode", "parallel", "--time-scale", "0.02", "--no-pyright")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (tmp_path / "GPT-4-Turbo.jsonl").read_text().splitlines()]
    assert sorted((r["task"], r["requested"]) for r in rows) == sorted(
        (t, m) for t in ("ClassEval_0", "ClassEval_1") for m in ("serial", "parallel")
    )
    assert all(r["provider"].startswith("replay:GPT-4-Turbo (offline") for r in rows)
    # Replayed replies cannot change with feedback: one call per method, no repairs.
    assert all(r["reopened"] == 0 and r["calls"] == r["stubs"] for r in rows), [(r["calls"], r["stubs"]) for r in rows]
    table = done.stdout[done.stdout.index("| recording |") :]
    assert "| GPT-4-Turbo | serial |" in table and "| GPT-4-Turbo | parallel |" in table
    assert "(method_I `predict`)" in table and "(method_C `predict`)" in table
    assert "provider: replay:GPT-4-Turbo (offline" in table

    again = replay(*common, "--table-only")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == table.strip()  # the same numbers from the files alone


def test_ground_truth_waves_are_planned_from_the_benchmark_dependencies(classeval_dir: Path, tmp_path: Path) -> None:
    common = ["--data", str(classeval_dir), "--recording", "GPT-4-Turbo", "--out", str(tmp_path)]
    done = replay(*common, "--limit", "1", "--mode", "serial", "--mode", "waves-truth", "--time-scale", "0.02", "--no-pyright")
    assert done.returncode == 0, done.stderr
    truth = [json.loads(line) for line in (tmp_path / "GPT-4-Turbo.truth.jsonl").read_text().splitlines()]
    # ClassEval_0: filter needs its three siblings (ground truth), which the static classifier does not see.
    assert [(r["task"], r["mode"], r["edges"], r["waves"]) for r in truth] == [("ClassEval_0", "waves", 3, 2)]
    serial = [json.loads(line) for line in (tmp_path / "GPT-4-Turbo.jsonl").read_text().splitlines()]
    assert [r["requested"] for r in serial] == ["serial"]
    assert "| GPT-4-Turbo | waves-truth |" in done.stdout and "| GPT-4-Turbo | serial |" in done.stdout
