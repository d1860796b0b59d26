"""The projects suite's figures: serial vs parallel vs auto at several agent counts, and a real-model estimate.

    python -m bench.micro.projects_table --data-dir DIR [--agents 4 --agents 8 --agents 16]
        [--mode serial --mode parallel --mode auto] [--project ID ...] [--time-scale 0.1]
        [--results runs/projects-table.jsonl] [--seed 0]
        [--estimate-model anthropic:claude-sonnet-4-5]

Every trial is a real ``crdt-bench run`` trial (``bench.run_suite``): the
package outliner, claiming implementers on the ``scripted`` offline model
(reference bodies with seeded faults: quality figures are the scripted
world's, not a model's), package pyright per verdict round, the check tests
as the final visible check and the hidden unit tests with pytest in the
sandbox.  Serial runs once (one agent); parallel and auto once per agent
count.  ``--mode`` picks the modes (efficiency needs no serial run: ``--mode
parallel --mode auto`` measures it in a third of the time).  Per row:

* ``bound``: the critical-path bound of the model time the trial spent
  (``bench._metrics.critical_path_bound``: what perfect coordination with
  foresight needs);
* ``efficiency``: bound / time to the last commit (1.0 = no time lost to
  coordination, merging or judging);
* ``overhead``: time to the last commit over the schedule that ran, minus 1;
* ``repair tail``: the last commit minus the moment every TODO had been
  committed once (repairs the checks asked for after the drafts: a chain of
  check run, claim, call and verdict that the bound counts only the calls of);
  ``check runs``: runs of the check tests during the run.

Projects run one after another, smallest first, every mode of one before the
next.  Rows are appended to ``--results`` as they finish (a rerun resumes), and
the last lines are the ``--dry-run`` estimate of the whole suite on a real model.
"""

from __future__ import annotations

import argparse
import statistics
from collections import defaultdict
from pathlib import Path

import anyio

from bench._metrics import TrialResult
from bench._run import RunConfig, run_suite
from bench._session import dry_run_lines
from bench._trial import TrialConfig
from bench.suites import ProjectsSuite


def _config(args: argparse.Namespace, modes: list[str], agents: int, tasks: list[str]) -> RunConfig:
    return RunConfig.model_validate(
        {
            "suite": "projects", "data_dir": args.data_dir, "tasks": tasks, "modes": modes, "model": "scripted",
            "time_scale": args.time_scale, "results": args.results, "env_cache_dir": args.env_cache, "seed": args.seed,
            "trial": TrialConfig.model_validate(
                {
                    "scheduler": {"agents": agents, "repair_samples": args.repair_samples},
                    "implementer": {"repair_edits": not args.whole_repairs},
                    "timeout_s": args.timeout,
                }
            ),
        }
    )  # fmt: skip


def _row(r: TrialResult) -> str:
    eff = r.bound_s / r.implement_s if r.implement_s > 0 else float("nan")
    rate = f"{r.pass_rate:.0%}" if r.pass_rate is not None else r.verdict or r.status
    return (
        f"| {r.task} | {r.requested}->{r.mode} | {r.agents} | {r.stubs} | {r.wall_s:.1f} | {r.implement_s:.1f} | {r.bound_s:.1f} "
        f"| {eff:.2f} | {r.coordination_overhead:+.2f} | {r.repair_tail_s:.1f} | {r.check_runs} | {r.calls} | {r.input_tokens:,} | {r.output_tokens:,} | {rate} |"
    )


def _totals(rows: list[TrialResult]) -> list[str]:
    groups: dict[tuple[str, int], list[TrialResult]] = defaultdict(list)
    for r in rows:
        if r.status == "ok":
            groups[(r.requested, r.agents)].append(r)
    out = ["", "| mode | agents | projects | wall s | efficiency (sum bound / sum implement) | median efficiency | mean pass rate | calls | tokens in / out |", "|---|---|---|---|---|---|---|---|---|"]
    for (mode, agents), rs in sorted(groups.items()):
        implement = sum(r.implement_s for r in rs)
        eff = sum(r.bound_s for r in rs) / implement if implement else float("nan")
        med = statistics.median(r.bound_s / r.implement_s for r in rs if r.implement_s > 0)
        rates = [r.pass_rate for r in rs if r.pass_rate is not None]
        rate = f"{statistics.mean(rates):.1%}" if rates else "n/a"
        out.append(
            f"| {mode} | {agents} | {len(rs)} | {sum(r.wall_s for r in rs):.1f} | {eff:.2f} | {med:.2f} | {rate} "
            f"| {sum(r.calls for r in rs)} | {sum(r.input_tokens for r in rs):,} / {sum(r.output_tokens for r in rs):,} |"
        )
    return out


MODES = ("serial", "parallel", "auto")


def plan_runs(modes: list[str], agents: list[int]) -> list[tuple[list[str], int]]:
    """The runs to make, in order: (modes, agent count); serial once at one agent, the others once per count."""
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        raise ValueError(f"unknown mode(s) {', '.join(unknown)}: choose from {', '.join(MODES)}")
    many = [m for m in MODES[1:] if m in modes]
    return ([(["serial"], 1)] if "serial" in modes else []) + ([(many, n) for n in agents] if many else [])


async def main(args: argparse.Namespace) -> None:
    suite = ProjectsSuite(data_dir=args.data_dir).load()
    tasks = args.project or [t.id for t in suite.tasks]
    print(f"projects: {len(tasks)} of {len(suite.tasks)}; model scripted (offline: reference bodies + seeded faults, not a live model)")
    rows: list[TrialResult] = []
    plans = plan_runs(args.mode, args.agents)
    # Project by project, smallest first: a run cut short still holds every mode of the projects it reached.
    size = {t.id: len(t.todos()) for t in suite.tasks}
    for task in sorted(tasks, key=lambda t: (size.get(t, 0), t)):
        for modes, agents in plans:
            print(f"-- {task}: {'/'.join(modes)} at {agents} agent(s)", flush=True)
            rows += await run_suite(_config(args, modes, agents, [task]), progress=lambda line: print("  " + line, flush=True))
    print()
    print(
        "| project | mode | agents | TODOs | wall s | to last commit s | bound s | efficiency | overhead | repair tail s | check runs "
        "| calls | tokens in | tokens out | hidden pass rate |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r.task, r.requested, r.agents)):
        print(_row(r) if r.status == "ok" else f"| {r.task} | {r.requested} | {r.agents} | error: {r.error} |")
    for line in _totals(rows):
        print(line)
    print()
    estimate = _config(args, list(MODES), args.agents[len(args.agents) // 2], tasks).model_copy(
        update={"model": args.estimate_model, "time_scale": 1.0, "results": None}
    )
    for line in dry_run_lines(estimate):
        print(line)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, defaults filled in (``argv`` None: ``sys.argv``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="The projects data (crdt-bench data projects --dest DIR).")
    parser.add_argument("--agents", type=int, action="append", help="Agent counts for parallel and auto (repeatable; default 4 8 16).")
    parser.add_argument(
        "--mode", action="append", choices=MODES, help="Mode to run (repeatable; default serial parallel auto). Efficiency needs no serial run."
    )
    parser.add_argument("--project", action="append", help="Project id (repeatable; default: every included project).")
    parser.add_argument("--time-scale", type=float, default=0.1, help="Offline latency scale (1 = real model speed).")
    parser.add_argument("--timeout", type=float, default=1800.0, help="Seconds one trial may take.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the scripted model's fault draws (another seed: other faults, same projects).")
    parser.add_argument(
        "--whole-repairs", action="store_true", help="Ask repairs for the whole definition instead of SEARCH/REPLACE edits."
    )
    parser.add_argument(
        "--repair-samples", type=int, default=1, help="Replies per repair once all is drafted, the rest kept as spares (SchedulerConfig.repair_samples)."
    )
    parser.add_argument("--results", type=Path, default=Path("runs/projects-table.jsonl"), help="JSONL rows (appended; a rerun resumes).")
    parser.add_argument("--env-cache", type=Path, default=None, help="Project test environments (default ~/.cache/crdt-agents/judge-envs).")
    parser.add_argument("--estimate-model", default="anthropic:claude-sonnet-4-5", help="Model the closing dry-run estimate prices.")
    args = parser.parse_args(argv)
    args.agents = args.agents or [4, 8, 16]
    args.mode = args.mode or list(MODES)
    args.data_dir = args.data_dir.resolve()
    return args


def cli() -> None:
    anyio.run(main, parse_args())


if __name__ == "__main__":
    cli()
