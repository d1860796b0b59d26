"""Coordination overhead: time to the last commit vs the critical-path bound of model time.

    python -m bench.micro.coordination_overhead [--agents 1 2 4 8] [--time-scale 1.0] [--tasks ...]

Parallel mode, the scripted model with faults off (so no repair rounds),
real-time latency by default (the sonnet profile: ~1.2 s to first token,
~95 tokens/s), in-memory replicas in one process.  For each agent count two
bounds, summed over the tasks: the optimal schedule of the measured model
calls (``bench._metrics.critical_path_bound``: what a free coordinator with
foresight would reach), and the schedule that actually ran at zero
coordination cost (the busiest agent's model time).  The gap to the second
is what claims, syncs, context building and merging cost.  Offline model: labelled below.
"""

from __future__ import annotations

import argparse

import anyio

from agents.judge import Judge
from agents.models import ScriptedConfig, ScriptedModel
from agents.scheduler import SchedulerConfig
from bench._run import task_inputs
from bench._trial import TrialConfig, run_trial
from bench.suites import SuiteReferences, get_suite

DEFAULT_TASKS = ["unit_convert", "text_stats", "inventory", "bank_ledger", "matrix", "lru_cache"]


async def main(agent_counts: list[int], time_scale: float, tasks: list[str], transport: str) -> None:
    suite = get_suite("bundled")
    latency = {"profile": "sonnet", "time_scale": time_scale}
    model = ScriptedModel(SuiteReferences(suite), ScriptedConfig.model_validate({"fault_rate": 0, "blind_fault_rate": 0, "latency": latency}))
    judge = Judge()
    print(f"model: {model.info.label}; latency profile sonnet x{time_scale:g}; transport {transport}; mode parallel")
    print("| agents | tasks | time to last commit (s) | optimal-schedule bound (s) | overhead | schedule-that-ran bound (s) | coordination overhead | claim p50 (ms) |")
    print("|---|---|---|---|---|---|---|---|")
    async with model:
        for agents in agent_counts:
            implement = bound = schedule = 0.0
            claims: list[float] = []
            for task_id in tasks:
                spec, hidden = task_inputs(suite.task(task_id))
                config = TrialConfig(scheduler=SchedulerConfig(agents=agents), transport=transport)  # type: ignore[arg-type]
                result = await run_trial(spec, hidden, "parallel", model, config, judge=judge)
                if not result.passed:
                    print(f"  warning: {task_id} failed its hidden tests with faults off")
                implement += result.implement_s
                bound += result.bound_s
                schedule += result.schedule_bound_s
                if result.claim_p50_ms is not None:
                    claims.append(result.claim_p50_ms)
            claim = sorted(claims)[len(claims) // 2] if claims else float("nan")
            print(
                f"| {agents} | {len(tasks)} | {implement:.2f} | {bound:.2f} | {100 * (implement / bound - 1):.1f}% "
                f"| {schedule:.2f} | {100 * (implement / schedule - 1):.1f}% | {claim:.0f} |"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--tasks", nargs="+", default=DEFAULT_TASKS)
    parser.add_argument("--transport", choices=["memory", "websocket"], default="memory")
    args = parser.parse_args()
    anyio.run(main, args.agents, args.time_scale, args.tasks, args.transport)
