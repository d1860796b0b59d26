"""Concurrent trials and the Ray executor: same rows as one-at-a-time local execution, resumable across executors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FAST = ["--task", "unit_convert", "--task", "inventory", "--mode", "serial", "--mode", "parallel",
        "--time-scale", "0.02", "--no-pyright"]  # fmt: skip

# Timings, and what timing decides: a prompt shows the code committed at the moment it is built.
TIMING = {"wall_s", "implement_s", "bound_s", "overhead", "schedule_bound_s", "coordination_overhead", "first_all_pass_s",
          "claim_p50_ms", "verify_wait_p50_ms", "sync_rtt_bound_ms", "input_tokens", "repair_tail_s", "check_runs", "check_s"}  # fmt: skip


def crdt_bench(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, timeout=timeout)


def rows(path: Path) -> dict[tuple[str, str, int], dict[str, Any]]:
    out = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        out[(row["task"], row["requested"], row["run"])] = {k: v for k, v in row.items() if k not in TIMING}
    return out


def test_concurrent_trials_give_the_rows_of_sequential_ones(tmp_path: Path) -> None:
    one, three = tmp_path / "one.jsonl", tmp_path / "three.jsonl"
    first = crdt_bench("run", *FAST, "--results", str(one))
    assert first.returncode == 0, first.stderr
    second = crdt_bench("run", *FAST, "--concurrency", "3", "--results", str(three))
    assert second.returncode == 0, second.stderr
    assert rows(one) == rows(three)
    assert len(rows(one)) == 4
    # The randomized order is kept: `order` is each row's place in the plan, whatever finished first.
    assert sorted(r["order"] for r in rows(three).values()) == [0, 1, 2, 3]


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A local Ray cluster started here (stopped at the end); its address for --ray-address."""
    ray = pytest.importorskip("ray", reason="the ray extra: pip install 'crdt-agents[ray]'")
    context = ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    try:
        yield context.address_info["gcs_address"]
    finally:
        ray.shutdown()


def test_ray_rows_equal_local_rows_and_resume_across_executors(tmp_path: Path, ray_cluster: str) -> None:
    local, shared = tmp_path / "local.jsonl", tmp_path / "shared.jsonl"
    done = crdt_bench("run", *FAST, "--runs", "2", "--results", str(local))
    assert done.returncode == 0, done.stderr
    # Run 0 locally, then runs 0-1 on the cluster into the same file: only run 1 is left to do.
    done = crdt_bench("run", *FAST, "--results", str(shared))
    assert done.returncode == 0, done.stderr
    on_ray = crdt_bench("run", *FAST, "--runs", "2", "--executor", "ray", "--ray-address", ray_cluster,
                        "--concurrency", "2", "--results", str(shared))  # fmt: skip
    assert on_ray.returncode == 0, on_ray.stdout + on_ray.stderr
    assert "resuming: 4 of 8 trials already in" in on_ray.stdout
    assert "ray: 1 node(s), 2 worker(s)" in on_ray.stdout
    assert len(shared.read_text().splitlines()) == 8, "each trial exactly once"
    mine, theirs = rows(shared), rows(local)
    for key, row in theirs.items():
        if key[2] == 0:  # written under the one-run plan, whose randomized order differs: all but `order` agree
            assert {k: v for k, v in mine[key].items() if k != "order"} == {k: v for k, v in row.items() if k != "order"}
        else:
            assert mine[key] == row, key


def test_ray_missing_or_unreachable_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    done = crdt_bench("run", *FAST, "--executor", "ray", "--ray-address", "127.0.0.1:1", "--results", str(tmp_path / "r.jsonl"),
                      timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot reach the Ray cluster at 127.0.0.1:1" in done.stderr
