"""``crdt-bench run``: a suite, each task in each mode, side by side.

Trials of one task run back to back, the mode order rotating from run to
run (so no mode always runs first, or right after the slow serial trial),
each on fresh replicas.  One judge sandbox and one warm pyright serve every trial.
Results go to a JSONL file as they finish, one row per trial.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agents.judge import HiddenTests, Judge, PyrightServer
from agents.models import Budget, BudgetConfig, StreamingModel, resolve_model
from agents.roles import TaskSpec
from agents.scheduler import Mode

from ._metrics import TrialResult
from ._trial import TrialConfig, run_trial
from .suites import SuiteReferences, Task, get_suite

__all__ = ["RunConfig", "run_suite", "comparison_table", "task_inputs"]

Progress = Callable[[str], None]


class RunConfig(BaseModel):
    """A benchmark run: which tasks, which modes, which model."""

    suite: str = Field(default="bundled", description="Suite name (bundled) or a directory of tasks.")
    tasks: list[str] | None = Field(default=None, description="Task ids to run (None: all of the suite).")
    modes: list[Mode] = Field(default=["serial", "parallel", "auto"], min_length=1, description="Modes compared per task.")
    runs: int = Field(default=1, ge=1, description="Trials per (task, mode); seeds are seed, seed+1, ...")
    seed: int = Field(default=0, description="Seed of the first run.")
    model: str = Field(default="scripted", description="Model short name; scripted answers from the suite's references.")
    time_scale: float = Field(default=0.1, ge=0, description="Offline latency scale: 1 = real model speed, 0.1 = ten times faster.")
    profile: str = Field(default="sonnet", description="Offline latency profile (haiku, sonnet, opus, instant).")
    fault_rate: float | None = Field(default=None, ge=0, le=1, description="scripted: fault probability (None: its default).")
    blind_fault_rate: float | None = Field(default=None, ge=0, le=1, description="scripted: extra fault rate per unseen dependency.")
    pyright: bool = Field(default=True, description="Run the judge's semantic-conflict check (warm pyright).")
    trial: TrialConfig = Field(default_factory=TrialConfig, description="Per-trial options (agents, transport, claims...).")
    results: Path | None = Field(default=None, description="Append one JSON line per trial here.")


def task_inputs(task: Task, *, outline: bool = True) -> tuple[TaskSpec, HiddenTests]:
    """What the agents are given and what scores them.

    The suite's skeleton is handed to the outliner (``outline=False`` makes it
    ask the model for one instead, which offline models may answer with faults).
    """
    spec = TaskSpec(id=task.id, spec=task.spec, file=task.file, outline=task.skeleton() if outline else None)
    hidden = HiddenTests(style="unittest", test_source=task.tests, test_classes=list(task.test_classes), module_name=task.module_name)
    return spec, hidden


def _model(config: RunConfig, references: SuiteReferences, budget: Budget | None) -> StreamingModel:
    options: dict[str, Any] = {"latency": {"profile": config.profile, "time_scale": config.time_scale}}
    if config.model.split(":")[0] == "scripted":
        options["references"] = references
        for key in ("fault_rate", "blind_fault_rate"):
            if getattr(config, key) is not None:
                options[key] = getattr(config, key)
    elif config.model.split(":")[0] == "replay":
        options = {"latency": options["latency"]}
    else:
        options = {}
    return resolve_model(config.model, budget=budget, **options)


def _budget(config: RunConfig) -> Budget | None:
    scheduler = config.trial.scheduler
    if scheduler.token_budget is None and scheduler.cost_budget_usd is None:
        return None
    return Budget(BudgetConfig(max_tokens=scheduler.token_budget, max_cost_usd=scheduler.cost_budget_usd))


async def run_suite(config: RunConfig, progress: Progress | None = None) -> list[TrialResult]:
    """Run every (task, mode, seed) trial; returns the results in the order run."""
    say = progress or (lambda _line: None)
    suite = get_suite(config.suite)
    tasks = [suite.task(t) for t in config.tasks] if config.tasks else list(suite.tasks)
    results: list[TrialResult] = []
    total = len(tasks) * len(config.modes) * config.runs
    references = SuiteReferences(suite)
    async with AsyncExitStack() as stack:
        pyright = await stack.enter_async_context(PyrightServer()) if config.pyright else None
        judge = Judge(pyright=pyright)
        label = _model(config, references, None).info.label
        say(f"model: {label}; {len(tasks)} tasks x {len(config.modes)} modes x {config.runs} runs = {total} trials")
        for task in tasks:
            spec, hidden = task_inputs(task)
            for run in range(config.runs):
                # Each mode takes each place in the order equally often over the runs (a Latin
                # square): the first trial of a task warms caches, and no mode should always pay.
                shift = run % len(config.modes)
                modes = config.modes[shift:] + config.modes[:shift]
                for mode in modes:
                    trial = config.trial.model_copy(update={"seed": config.seed + run})
                    # A fresh client per trial: each trial has its own budget.
                    async with _model(config, references, _budget(config)) as model:
                        result = await run_trial(spec, hidden, mode, model, trial, judge=judge, pyright=pyright)
                    results.append(result)
                    say(_line(len(results), total, result))
                    if config.results is not None:
                        _append(config.results, result)
    return results


def _line(done: int, total: int, r: TrialResult) -> str:
    verdict = "pass" if r.passed else f"FAIL {r.test_classes_passed}/{r.test_classes}"
    mode = r.mode if r.requested == r.mode else f"{r.requested}->{r.mode}"
    return (
        f"[{done}/{total}] {r.task:<20} {mode:<16} agents={r.agents} wall={r.wall_s:6.2f}s "
        f"calls={r.calls:<3} repairs={r.reopened:<2} hidden={verdict}"
    )


def _append(path: Path, result: TrialResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(result.model_dump(mode="json")) + "\n")


def comparison_table(results: list[TrialResult]) -> str:
    """Per task: median wall time per mode, auto's decision and its ratio to the better of serial and parallel."""
    modes = list(dict.fromkeys(r.requested for r in results))
    rows = ["| task | " + " | ".join(f"{m} s" for m in modes) + " | auto ran | auto / best | hidden pass |", "|---" * (len(modes) + 4) + "|"]
    by_task: dict[str, list[TrialResult]] = {}
    for r in results:
        by_task.setdefault(r.task, []).append(r)
    for task, rs in by_task.items():
        wall = {m: statistics.median([r.wall_s for r in rs if r.requested == m]) for m in modes}
        auto = [r for r in rs if r.requested == "auto"]
        ran = auto[0].mode if auto else "-"
        best = min((wall[m] for m in ("serial", "parallel") if m in wall), default=None)
        ratio = f"{wall['auto'] / best:.2f}" if auto and best else "-"
        passes = " ".join(f"{m}:{sum(r.passed for r in rs if r.requested == m)}/{sum(1 for r in rs if r.requested == m)}" for m in modes)
        rows.append(f"| {task} | " + " | ".join(f"{wall[m]:.2f}" for m in modes) + f" | {ran} | {ratio} | {passes} |")
    provider = results[0].provider if results else "-"
    summary = _auto_summary(by_task, modes)
    return "\n".join(rows) + (f"\n\n{summary}" if summary else "") + f"\nmodel: {provider}"


def _auto_summary(by_task: dict[str, list[TrialResult]], modes: list[str]) -> str:
    if not {"auto", "serial", "parallel"} <= set(modes):
        return ""
    ratios: dict[str, float] = {}
    for task, rs in by_task.items():
        wall = {m: statistics.median([r.wall_s for r in rs if r.requested == m]) for m in ("auto", "serial", "parallel")}
        ratios[task] = wall["auto"] / min(wall["serial"], wall["parallel"])
    worst = max(ratios, key=lambda t: ratios[t])
    within = sum(1 for r in ratios.values() if r <= 1.05)
    total = {m: sum(statistics.median([r.wall_s for r in rs if r.requested == m]) for rs in by_task.values()) for m in modes}
    return (
        f"auto within 5% of the better of serial and parallel on {within}/{len(ratios)} tasks "
        f"(worst: {worst}, {ratios[worst]:.2f}x); suite time: "
        + ", ".join(f"{m} {total[m]:.1f}s" for m in modes)
    )
