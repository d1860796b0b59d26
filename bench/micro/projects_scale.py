"""Projects at scale: a claim board of 30 / 300 / 1000 TODOs over 24 files, 4 / 8 / 16 real claimers.

    python -m bench.micro.projects_scale [--todos 30 300 1000] [--files 24] [--agents 4 8 16]
        [--view-todos 30 300 1000] [--no-view] [--json out.json]

Every (TODOs, agents) cell runs through a relay subprocess on 127.0.0.1 (store
and durable acknowledgements on) with real :class:`claim_protocol.Claimer`
loops committing a fixed small payload per TODO (no model), and a watching
replica (:mod:`bench.micro._projects_scale_run`).  Printed side by side, one
row per cell: claim latency (claim -> verified win) p50/p99, edit propagation
to the watcher p50/p99, double claims, throughput, the document's size, and the
1-minute load average before and after the cell.  Then the viewer's initial
load and one re-render of the board in headless Chromium
(:mod:`bench.micro._projects_scale_view`).

All claimers share this process's event loop with the watcher: on a shared
2-core machine the figures include that contention; compare rows of one run,
not runs made under different loads.  Each cell also checks its invariants
(every TODO done exactly once, counts add up) and says so in the ``ok`` column.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import anyio
from pydantic import BaseModel, Field

from bench._errors import BenchError

from ._projects_scale_run import CellResult, run_cell
from ._projects_scale_view import ViewResult, measure_view


class ScaleConfig(BaseModel):
    """What one run of the benchmark measures."""

    todos: list[int] = Field(default=[30, 300, 1000], description="Board sizes (TODOs), each spread over `files` files.")
    files: int = Field(default=24, description="Module files per board (nested packages, one class each).")
    agents: list[int] = Field(default=[4, 8, 16], description="Claimers at once, each cell a fresh relay and board.")
    view_todos: list[int] = Field(default=[30, 300, 1000], description="Board sizes the viewer is loaded with (empty: no viewer part).")
    repeats: int = Field(default=3, description="Fresh pages per viewer size (the load figure is their median).")
    timeout_s: float = Field(default=900.0, description="A cell that has not finished by then fails the run.")
    chromium: str = Field(default="/usr/bin/chromium", description="The Chromium binary Playwright drives.")


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def invariants(cell: CellResult) -> list[str]:
    """What is wrong with a cell's outcome (empty when every TODO was done exactly once and the counts add up)."""
    problems: list[str] = []
    if cell.done != cell.todos:
        problems.append(f"{cell.done}/{cell.todos} TODOs done")
    twice = {k: n for k, n in cell.completions.items() if n != 1}
    if twice or len(cell.completions) != cell.todos:
        problems.append(f"completions: {len(cell.completions)} TODOs logged, {len(twice)} not exactly once")
    if sum(cell.committed_by.values()) != cell.todos:
        problems.append(f"done_by counts add up to {sum(cell.committed_by.values())}, not {cell.todos}")
    if len(cell.propagation_ms) != cell.todos:
        problems.append(f"{len(cell.propagation_ms)} propagation samples for {cell.todos} commits")
    if cell.wins < cell.todos or len(cell.claim_ms) != cell.wins:
        problems.append(f"{cell.wins} wins and {len(cell.claim_ms)} claim latencies for {cell.todos} TODOs")
    if not cell.texts_ok:
        problems.append("a file lacks a committed payload")
    return problems


HEADER = (
    "| TODOs | agents | claim p50 ms | claim p99 ms | propagation p50 ms | propagation p99 ms | double claims | lost claims "
    "| TODOs/s | wall s | doc KiB | load before→after | ok |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def row(cell: CellResult) -> str:
    problems = invariants(cell)
    return (
        f"| {cell.todos} | {cell.agents} | {pct(cell.claim_ms, 0.5):.1f} | {pct(cell.claim_ms, 0.99):.1f} "
        f"| {pct(cell.propagation_ms, 0.5):.1f} | {pct(cell.propagation_ms, 0.99):.1f} | {cell.double_claims} | {cell.losses} "
        f"| {cell.throughput:.1f} | {cell.wall_s:.1f} | {cell.doc_bytes / 1024:.0f} | {cell.load_before:.1f}→{cell.load_after:.1f} "
        f"| {'yes' if not problems else '; '.join(problems)} |"
    )


VIEW_HEADER = "| TODOs | files | load p50 ms | loads ms | re-render p50 ms | re-render p99 ms | cards drawn |\n|---|---|---|---|---|---|---|"


def view_row(view: ViewResult) -> str:
    return (
        f"| {view.todos} | {view.files} | {view.load_p50:.0f} | {', '.join(f'{x:.0f}' for x in view.load_ms)} "
        f"| {view.render_p50:.1f} | {pct(view.render_ms, 0.99):.1f} | {view.cards} |"
    )


async def run(config: ScaleConfig, json_path: Path | None = None) -> tuple[list[CellResult], list[ViewResult]]:
    """Every cell, then the viewer sizes; prints the tables as rows arrive."""
    print(f"machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
          f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min) at start\n")
    print(f"## Claim board through the relay: {config.files} files, real claimers, fixed payloads (no model)\n")
    print(HEADER, flush=True)
    cells: list[CellResult] = []
    for todos in config.todos:
        for agents in config.agents:
            cell = await run_cell(todos, config.files, agents, timeout_s=config.timeout_s)
            cells.append(cell)
            print(row(cell), flush=True)
    views: list[ViewResult] = []
    if config.view_todos:
        if not Path(config.chromium).exists():
            raise BenchError(f"no Chromium at {config.chromium} (apt-get install chromium, or pass --no-view)")
        print(f"\n## Viewer in headless Chromium: initial load and one re-render ({config.repeats} fresh pages per size)\n")
        print(VIEW_HEADER, flush=True)
        for todos in config.view_todos:
            view = await measure_view(todos, config.files, config.chromium, repeats=config.repeats)
            views.append(view)
            print(view_row(view), flush=True)
    print(f"\nload {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min) at the end")
    if json_path is not None:
        json_path.write_text(json.dumps({"cells": [c.model_dump(mode="json") for c in cells],
                                         "views": [v.model_dump(mode="json") for v in views]}, indent=1))
    return cells, views


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--todos", type=int, nargs="+", default=ScaleConfig().todos)
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--agents", type=int, nargs="+", default=ScaleConfig().agents)
    parser.add_argument("--view-todos", type=int, nargs="*", default=ScaleConfig().view_todos)
    parser.add_argument("--no-view", action="store_true", help="Skip the Chromium part.")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="Also write every sample here.")
    args = parser.parse_args()
    config = ScaleConfig(
        todos=args.todos, files=args.files, agents=args.agents, view_todos=[] if args.no_view else args.view_todos,
        repeats=args.repeats, chromium=os.environ.get("CRDT_CHROMIUM", "/usr/bin/chromium"),
    )
    try:
        cells, _ = anyio.run(run, config, args.json)
    except BenchError as exc:
        raise SystemExit(f"projects_scale: {exc}") from exc
    if any(invariants(c) for c in cells):
        raise SystemExit("projects_scale: a cell broke its invariants (see the ok column)")


if __name__ == "__main__":
    main()
