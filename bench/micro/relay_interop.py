"""Whole trials through our relay and through Node's stock y-websocket server, side by side.

    python -m bench.micro.relay_interop [--tasks calculator bank_ledger] [--runs 3] [--json out.json]

Both relays run in their own process on 127.0.0.1 (ours via
``bench.micro._relay_host``, open access; Node's ``@y/websocket-server`` 0.1.1
from ``tests/node_relay``); the agents (outliner, 3 implementers, judge) run
here through ``bench.run_trial(TrialConfig(transport="websocket", relay_url=...))``
in parallel mode with the offline scripted model (faults off, instant
latency), so the wall time is mostly coordination: claims, syncs, merges and
the judge's checks.  Per relay and task: trials whose hidden tests passed,
median wall time, median claim latency and verify wait.  Figures are from the
offline ``scripted`` model and say nothing about model quality.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio

from agents.judge import Judge
from agents.models import ScriptedConfig, ScriptedModel
from bench._metrics import TrialResult
from bench._run import task_inputs
from bench._trial import TrialConfig, run_trial
from bench.suites import SuiteReferences, get_suite

from ._node_relay import node_relay_missing, node_relay_process
from ._relay_host import relay_process

__all__ = ["main", "run_benchmark"]


def _ours() -> AbstractAsyncContextManager[str]:
    return relay_process(None)


RELAYS: dict[str, Callable[[], AbstractAsyncContextManager[str]]] = {
    "crdt_ws relay": _ours,
    "node y-websocket": node_relay_process,
}


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


async def _trials(url: str, tasks: list[str], runs: int) -> AsyncIterator[TrialResult]:
    suite = get_suite("bundled")
    judge = Judge()
    config = ScriptedConfig.model_validate({"fault_rate": 0.0, "blind_fault_rate": 0.0, "latency": {"profile": "instant"}})
    for run in range(runs):
        for task_id in tasks:
            spec, hidden = task_inputs(suite.task(task_id))
            trial = TrialConfig.model_validate(
                {"transport": "websocket", "relay_url": url, "seed": run, "timeout_s": 120, "scheduler": {"agents": 3}}
            )
            async with ScriptedModel(SuiteReferences(suite), config) as model:
                yield await run_trial(spec, hidden, "parallel", model, trial, judge=judge)


async def run_benchmark(tasks: list[str], runs: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name, start in RELAYS.items():
        if name.startswith("node") and (missing := node_relay_missing()) is not None:
            print(f"skipping {name}: {missing}", file=sys.stderr)
            continue
        results: dict[str, list[TrialResult]] = {task: [] for task in tasks}
        async with start() as url:
            async for result in _trials(url, tasks, runs):
                results[result.task].append(result)
        for task, trials in results.items():
            rows.append(
                {
                    "relay": name,
                    "task": task,
                    "trials": len(trials),
                    "passed": sum(t.passed for t in trials),
                    "wall_s_median": _median([t.wall_s for t in trials]),
                    "claim_p50_ms_median": _median([t.claim_p50_ms for t in trials]),
                    "verify_wait_p50_ms_median": _median([t.verify_wait_p50_ms for t in trials]),
                    "provider": trials[0].provider if trials else None,
                }
            )
    return rows


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", default=["calculator", "bank_ledger"], help="bundled task ids")
    parser.add_argument("--runs", type=int, default=3, help="trials per task and relay")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    rows = anyio.run(run_benchmark, args.tasks, args.runs)
    print(f"model: {rows[0]['provider'] if rows else 'scripted (offline)'}; parallel mode, 3 implementers, faults off")
    print(f"{'relay':<18} {'task':<14} {'passed':>7} {'wall s':>7} {'claim p50 ms':>13} {'verify wait p50 ms':>19}")
    for row in rows:
        print(
            f"{row['relay']:<18} {row['task']:<14} {row['passed']:>3}/{row['trials']:<3} {_fmt(row['wall_s_median']):>7} "
            f"{_fmt(row['claim_p50_ms_median']):>13} {_fmt(row['verify_wait_p50_ms_median']):>19}"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
