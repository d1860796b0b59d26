"""What a projects trial's repair tail is made of: how much of it had a model call in flight.

    python -m bench.micro.projects_tail --data-dir DIR --project CodeProjectEval/pyjwt [--project ...]
        [--mode parallel] [--agents 8] [--time-scale 0.25] [--seed 0]

The tail is the time from the moment every TODO had been committed once to the
last commit (``TrialResult.repair_tail_s``): the repairs the check tests asked
for after the drafts.  Each trial runs as ``crdt-bench run`` runs it (offline
``scripted`` model); its event log is read from the outliner's replica when it
ends.  Per trial the script prints the tail and the part of it during which at
least one model call was in flight (the union of the calls' intervals, each
ending at its ``model_call`` event and lasting its ``seconds``).  That part is
repair calls in a chain (a fault is found only once the one before it on the
failing test's path is repaired), which no cost of claims, checks or verdicts
can shorten.  A ceiling on efficiency with claims, checks and verdicts at zero
cost: bound / (drafts' bound + that part), where the drafts' bound is the
optimal makespan of each TODO's first call on the agents (the drafts need at
least that; the tail starts only once they are all in).  docs/projects.md
quotes its figures.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import anyio

from bench._metrics import TrialResult, optimal_makespan, repair_window
from bench._progress import Progress
from bench._run import RunConfig, run_suite
from bench._runner import Job
from bench._trial import TrialConfig
from crdt_ws import Event, Workspace


def tail_split(events: Iterable[Event]) -> tuple[float, float]:
    """(tail seconds, seconds of the tail with a model call in flight) from a trial's event log."""
    events = list(events)
    window = repair_window(events)  # the tail exactly as the results row counts it (repair_tail_s)
    if window is None:
        return 0.0, 0.0
    drafted_at, end = window
    calls = sorted(
        (max(drafted_at, e.time - _seconds(e)), min(end, e.time)) for e in events if e.type == "model_call" and e.time > drafted_at
    )
    busy, span = 0.0, None
    for start, stop in calls:
        if span is None or start > span[1]:
            busy += span[1] - span[0] if span is not None else 0.0
            span = [start, stop]
        else:
            span[1] = max(span[1], stop)
    busy += span[1] - span[0] if span is not None else 0.0
    return end - drafted_at, max(0.0, busy)


def drafts_bound(events: Iterable[Event], agents: int) -> float:
    """The optimal makespan of each TODO's first model call (its draft) on ``agents``: what the drafts alone need."""
    first: dict[str, float] = {}
    for event in sorted(events, key=lambda e: e.time):
        if event.type == "model_call" and event.todo is not None and event.todo not in first:
            first[event.todo] = _seconds(event)
    return optimal_makespan(list(first.values()), agents)


def _seconds(event: Event) -> float:
    value = event.data.get("seconds")
    return float(value) if isinstance(value, (int, float)) else 0.0


class _Tails(Progress):
    """The runner's progress display, keeping each trial's outliner replica to read its events when it ends."""

    def __init__(self) -> None:
        super().__init__(print, live=False)
        self.replicas: dict[int, Workspace] = {}
        self.splits: list[tuple[TrialResult, float, float, float]] = []

    def observe(self, job: Job, workspace: Workspace | None) -> None:
        super().observe(job, workspace)
        if workspace is not None:
            self.replicas[job.order] = workspace

    def finished(self, row: TrialResult) -> None:
        replica = self.replicas.pop(row.order, None)
        if replica is not None:
            events = replica.read_events()
            tail, busy = tail_split(events)
            self.splits.append((row, tail, busy, drafts_bound(events, row.agents)))
        super().finished(row)


async def _main(args: argparse.Namespace) -> None:
    config = RunConfig.model_validate(
        {
            "suite": "projects", "data_dir": args.data_dir, "tasks": args.project, "modes": args.mode or ["parallel"],
            "model": "scripted", "time_scale": args.time_scale, "seed": args.seed, "results": None,
            "trial": TrialConfig.model_validate({"scheduler": {"agents": args.agents}}),
        }
    )  # fmt: skip
    tails = _Tails()
    await run_suite(config, progress=tails)
    print("\n| project | mode | agents | to last commit s | bound s | efficiency | tail s | model call in flight s | drafts' bound s | ceiling |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row, tail, busy, drafts in tails.splits:
        share = f" ({busy / tail:.0%})" if tail > 0 else ""
        eff, ceiling = _ratio(row.bound_s, row.implement_s), _ratio(row.bound_s, drafts + busy)
        print(f"| {row.task} | {row.mode} | {row.agents} | {row.implement_s:.1f} | {row.bound_s:.1f} | {eff} | {tail:.1f} | {busy:.1f}{share} | {drafts:.1f} | {ceiling} |")
    rows = [r for r, _, _, _ in tails.splits]
    tail_sum, busy_sum = sum(t for _, t, _, _ in tails.splits), sum(b for _, _, b, _ in tails.splits)
    bound, drafts = sum(r.bound_s for r in rows), sum(d for _, _, _, d in tails.splits)
    print(
        f"\nall: efficiency {_ratio(bound, sum(r.implement_s for r in rows))}; tail {tail_sum:.1f} s, a model call in flight "
        f"{busy_sum:.1f} s; ceiling at zero coordination cost {_ratio(bound, drafts + busy_sum)} "
        "(model: scripted, offline: reference bodies + seeded faults, not a live model)"
    )


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, required=True, help="The projects data (crdt-bench data projects --dest DIR).")
    parser.add_argument("--project", action="append", required=True, help="Project id (repeatable).")
    parser.add_argument("--mode", action="append", default=None, help="Mode (repeatable; default parallel).")
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--time-scale", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.data_dir = args.data_dir.resolve()
    anyio.run(_main, args)


if __name__ == "__main__":
    main()
