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
can shorten: efficiency at zero coordination cost is at most bound / (time to
the last commit - tail + model part).  docs/projects.md quotes its figures.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import anyio

from bench._metrics import TrialResult
from bench._progress import Progress
from bench._run import RunConfig, run_suite
from bench._runner import Job
from bench._trial import TrialConfig
from crdt_ws import Event, Workspace


def tail_split(events: Iterable[Event], todos: set[str]) -> tuple[float, float]:
    """(tail seconds, seconds of the tail with a model call in flight) from a trial's event log."""
    events = sorted(events, key=lambda e: e.time)
    committed: set[str] = set()
    drafted_at: float | None = None
    for event in events:
        if event.type == "complete" and event.todo is not None:
            committed.add(event.todo)
            if drafted_at is None and committed >= todos:
                drafted_at = event.time
    completes = [e.time for e in events if e.type == "complete"]
    if drafted_at is None or not completes:
        return 0.0, 0.0
    end = max(completes)
    calls = sorted(
        (max(drafted_at, e.time - float(e.data["seconds"])), min(end, e.time))
        for e in events
        if e.type == "model_call" and isinstance(e.data.get("seconds"), (int, float)) and e.time > drafted_at
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


class _Tails(Progress):
    """The runner's progress display, keeping each trial's outliner replica to read its events when it ends."""

    def __init__(self) -> None:
        super().__init__(print, live=False)
        self.replicas: dict[int, Workspace] = {}
        self.splits: list[tuple[TrialResult, float, float]] = []

    def observe(self, job: Job, workspace: Workspace | None) -> None:
        super().observe(job, workspace)
        if workspace is not None:
            self.replicas[job.order] = workspace

    def finished(self, row: TrialResult) -> None:
        replica = self.replicas.pop(row.order, None)
        if replica is not None:
            tail, busy = tail_split(replica.read_events(), {t.id for t in replica.list_todos()})
            self.splits.append((row, tail, busy))
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
    print("\n| project | mode | agents | to last commit s | bound s | tail s | model call in flight s | share |")
    print("|---|---|---|---|---|---|---|---|")
    for row, tail, busy in tails.splits:
        share = f"{busy / tail:.0%}" if tail > 0 else "-"
        print(f"| {row.task} | {row.mode} | {row.agents} | {row.implement_s:.1f} | {row.bound_s:.1f} | {tail:.1f} | {busy:.1f} | {share} |")
    tail_sum = sum(t for _, t, _ in tails.splits)
    busy_sum = sum(b for _, _, b in tails.splits)
    if tail_sum > 0:
        print(f"\nall: tail {tail_sum:.1f} s, a model call in flight {busy_sum:.1f} s ({busy_sum / tail_sum:.0%}); "
              "model: scripted (offline: reference bodies + seeded faults, not a live model)")  # fmt: skip


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
