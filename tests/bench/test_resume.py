"""Results files: randomized block order, resuming a killed run, refusing a corrupt file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench import RunConfig, trial_order

FAST = ["--task", "unit_convert", "--task", "inventory", "--mode", "serial", "--mode", "parallel",
        "--time-scale", "0.02", "--no-pyright"]


def crdt_bench(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, timeout=timeout)


def keys(path: Path) -> list[tuple[str, str, int]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip().endswith("}")]
    return [(r["task"], r["requested"], r["run"]) for r in rows]


def test_order_is_randomized_blocks_of_paired_trials() -> None:
    config = RunConfig(tasks=["a", "b", "c"], modes=["serial", "parallel", "auto"], runs=4, seed=7)
    order = trial_order(config, ["a", "b", "c"])
    assert sorted(order) == sorted((t, m, r) for t in "abc" for m in config.modes for r in range(4))
    blocks = [order[i : i + 3] for i in range(0, len(order), 3)]
    # Each block is one (task, run) in every mode: the paired trials run back to back.
    assert all(len({(t, r) for t, _, r in b}) == 1 and {m for _, m, _ in b} == set(config.modes) for b in blocks)
    assert trial_order(config, ["a", "b", "c"]) == order  # stable, so a resumed run keeps its plan
    other = trial_order(config.model_copy(update={"seed": 8}), ["a", "b", "c"])
    assert other != order
    first_modes = Counter(b[0][1] for b in blocks)
    assert len(first_modes) > 1, "every block starts with the same mode: not randomized"


def test_run_id_ignores_what_only_selects_trials() -> None:
    base = RunConfig(tasks=["a"], runs=1)
    assert base.run_id() == RunConfig(tasks=["b", "c"], runs=5, modes=["serial"], results=Path("x.jsonl")).run_id()
    assert base.run_id() != RunConfig(tasks=["a"], runs=1, time_scale=0.5).run_id()
    assert base.run_id() != RunConfig(tasks=["a"], runs=1, seed=1).run_id()


def test_a_killed_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    args = [sys.executable, "-m", "bench", "run", *FAST, "--results", str(results)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not results.exists() or len(keys(results)) < 1):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    before = keys(results)
    assert 1 <= len(before) < 4, f"the kill should land mid-run: {before}"
    with results.open("a") as out:  # what a kill in the middle of a write leaves behind
        out.write('{"run_id": "cut sho')

    resumed = crdt_bench("run", *FAST, "--results", str(results))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {len(before)} of 4 trials already in" in resumed.stdout
    assert "ignoring a row cut short" in " ".join(resumed.stdout.split())  # long lines wrap at 100 columns
    after = keys(results)
    assert sorted(after) == sorted((t, m, 0) for t in ("unit_convert", "inventory") for m in ("serial", "parallel"))
    assert after[: len(before)] == before  # nothing rewritten or lost

    again = crdt_bench("run", *FAST, "--results", str(results))
    assert again.returncode == 0 and "resuming: 4 of 4 trials" in again.stdout, again.stdout + again.stderr
    assert "| unit_convert |" in again.stdout  # the table covers the whole experiment, not just this invocation
    assert keys(results) == after


def test_a_corrupt_results_line_is_a_clear_error(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text('{"run_id": "x", "task": "t", "requested": "serial", "run": 0}\nnot json at all}\n{"run_id": "x"}\n')
    done = crdt_bench("run", *FAST, "--results", str(results), timeout=180)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{results}:2: not a results row" in done.stderr
