"""How long ``crdt-bench report`` takes on a large results file, and whether it recovers a planted speedup.

    python -m bench.micro.report_build [--tasks 100] [--runs 10] [--out DIR]

Writes tasks x 3 modes x runs synthetic rows (real ``TrialResult`` rows of an
offline model, parallel planted at a known speedup per task), then times
loading, building (2000 bootstrap resamples per interval) and writing the
report, and prints the recovered overall speedup next to the planted one.
Target: under 10 s for 3000 rows on one core, Markdown and HTML included.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench import TrialResult
from bench.report import ReportConfig, build_report, load_results, write_report


def _row(task: str, requested: str, seed: int, wall: float, passed: bool, coupling: float) -> str:
    result = TrialResult(
        run_id="bench", suite="synthetic", run=seed, task=task, requested=requested,
        mode="parallel" if requested == "auto" else requested, agents=1 if requested == "serial" else 4,
        transport="memory", seed=seed, provider="scripted (offline: synthetic benchmark rows)",
        coupling_score=coupling, edges=2, waves=2, stubs=6, wall_s=wall, implement_s=wall * 0.9, bound_s=wall * 0.5,
        overhead=0.8, schedule_bound_s=wall * 0.5, coordination_overhead=0.8, first_all_pass_s=wall * 0.8,
        passed=passed, test_classes=4, test_classes_passed=4 if passed else 2, tests_run=12, tests_failed=0,
        visible_pass=6, visible_fail=0, reopened=1, calls=7, blind_calls=0, output_tokens=1000, input_tokens=9000,
        cost_usd=None, claims=7, claim_losses=0, reclaims=0, double_claims=0, claim_p50_ms=40.0, conflicts_found=0,
        conflicts_reconciled=0, phase="finished", faults=1,
    )
    return json.dumps(result.model_dump(mode="json"))


def main() -> None:
    parser = argparse.ArgumentParser(description="Time crdt-bench report on a large synthetic results file.")
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None, help="Keep the report here (default: a temporary directory).")
    args = parser.parse_args()
    rng = random.Random(0)
    planted: list[float] = []
    lines: list[str] = []
    for t in range(args.tasks):
        speedup = rng.uniform(1.0, 3.5)
        coupling = rng.random()
        planted.append(speedup)
        for s in range(args.runs):
            serial = rng.uniform(5.0, 60.0)
            lines.append(_row(f"task{t:03d}", "serial", s, serial, rng.random() < 0.8, coupling))
            for mode in ("parallel", "auto"):
                lines.append(_row(f"task{t:03d}", mode, s, serial / (speedup * math.exp(rng.gauss(0, 0.1))), rng.random() < 0.75, coupling))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.jsonl"
        path.write_text("\n".join(lines) + "\n")
        c0, t0 = time.process_time(), time.perf_counter()
        rows = load_results([path])
        t1 = time.perf_counter()
        report = build_report(rows, ReportConfig())
        t2 = time.perf_counter()
        files = write_report(report, args.out or Path(tmp) / "out")  # includes importing matplotlib
        c3, t3 = time.process_time(), time.perf_counter()
        html_kb = files["report.html"].stat().st_size / 1024
    parallel = next(c for c in report.groups[0].overall if c.mode == "parallel")
    ci = parallel.speedup_ci
    print(f"rows: {len(rows)} ({args.tasks} tasks x 3 modes x {args.runs} runs)")
    print(f"load_results: {t1 - t0:.2f} s; build_report: {t2 - t1:.2f} s; write_report: {t3 - t2:.2f} s; total {t3 - t0:.2f} s wall, {c3 - c0:.2f} s CPU (target < 10 s)")
    print(f"report.html: {html_kb:.0f} KiB")
    print(
        f"overall parallel speedup: {parallel.speedup:.3f} "
        f"[{ci.low:.3f}, {ci.high:.3f}] vs planted median {statistics.median(planted):.3f}" if ci else "no interval"
    )


if __name__ == "__main__":
    main()
