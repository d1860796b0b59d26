"""`crdt-bench run` (the foundation demo) end to end, and its input checks."""

from __future__ import annotations

import subprocess
import sys

import pytest


def crdt_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("mode", ["parallel", "serial"])
def test_run_streams_every_method_and_converges(mode: str) -> None:
    done = crdt_bench("run", "--mode", mode, "--agents", "2", "--tokens-per-second", "4000")
    assert done.returncode == 0, done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert summary.startswith("[offline demo writer (no model)]")  # offline output is labelled
    assert f"mode={mode}" in summary and "converged=True parses=True" in summary
    assert done.stdout.count("committed Inventory.") == 4
    assert "return sum(self.items.values())" in done.stdout


def test_bad_mode_is_a_clear_error() -> None:
    done = crdt_bench("run", "--mode", "sideways")
    assert done.returncode == 2
    assert "mode must be parallel or serial" in done.stderr
