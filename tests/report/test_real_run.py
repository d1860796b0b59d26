"""The report over a real ``crdt-bench run`` results file (slow: it runs the benchmark)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import ReportConfig, build_report, load_results, write_report


@pytest.mark.slow
def test_report_from_a_real_run(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    cmd = [sys.executable, "-m", "bench", "run", "--task", "inventory", "--mode", "serial", "--mode", "parallel",
           "--runs", "2", "--time-scale", "0.05", "--no-pyright", "--results", str(results)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    rows = load_results([results])
    assert len(rows) == 4
    report = build_report(rows, ReportConfig(resamples=200))
    [group] = report.groups
    assert group.offline and report.offline_only
    [comparison] = group.overall
    assert comparison.mode == "parallel" and comparison.pairs == 2 and group.unpaired == []
    paths = write_report(report, tmp_path / "report")
    assert "not a real LLM" in paths["report.md"].read_text()
