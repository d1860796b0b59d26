"""Cumulative solves against time: how fast each mode turns tasks into passing code.

A trial counts as solved at its ``wall_s`` (when the hidden verdict exists)
if it passed.  For a task with several trials of a mode, the task's solved
fraction at time t is the share of its trials solved by t; the curve is the
mean of that over the group's tasks.  With one trial per task and run this
is the solved fraction averaged over runs.  A task the mode never ran counts
as unsolved (the report notes such gaps among its unpaired trials).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

__all__ = ["SolveCurve", "solve_curve"]


class SolveCurve(BaseModel):
    """A right-continuous step function from 0 to ``horizon``."""

    mode: str = Field(description="Mode (as requested) the curve belongs to.")
    times: list[float] = Field(description="Step positions in seconds, ascending, starting at 0.")
    solved: list[float] = Field(description="Fraction of tasks solved from times[i] on (same length as times).")
    horizon: float = Field(description="End of the time axis: the longest trial of the group, any mode.")
    final: float = Field(description="Fraction solved at the horizon.")
    area: float = Field(description="Area under the curve over [0, horizon] divided by horizon (1 = everything solved at once).")


def solve_curve(mode: str, trials: Mapping[str, Sequence[tuple[float, bool]]], tasks: Sequence[str], horizon: float) -> SolveCurve:
    """The curve of one mode from each task's (wall_s, passed) trials."""
    events: dict[float, float] = {}
    for task in tasks:
        runs = trials.get(task, ())
        for wall, passed in runs:
            if passed:
                events[wall] = events.get(wall, 0.0) + 1.0 / (len(tasks) * len(runs))
    times, solved = [0.0], [0.0]
    level = 0.0
    for t in sorted(events):
        level = round(level + events[t], 12)  # 0.333..+0.333..+0.333.. should read 1
        if t <= 0.0:
            solved[0] = level
            continue
        times.append(t)
        solved.append(level)
    area = 0.0
    if horizon > 0:
        edges = [*times, max(horizon, times[-1])]
        for i, height in enumerate(solved):
            start, end = min(edges[i], horizon), min(edges[i + 1], horizon)
            area += height * (end - start)
        area /= horizon
    return SolveCurve(mode=mode, times=times, solved=solved, horizon=horizon, final=level, area=area)
