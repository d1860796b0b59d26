"""``crdt-bench run``: a suite, each task in each mode, side by side.

The design is a randomized complete block: a block is one (task, run), its
trials are that task once in every mode with one shared seed, so rows pair
by (task, seed).  Blocks run in a seeded random order and the modes in a
seeded random order inside each block, so neither slow drift of the machine
nor warm caches favour a mode, while the paired trials still run close in
time.  Every trial gets fresh replicas; one judge sandbox and one warm
pyright serve them all.  Rows are appended to the results file as trials
finish, and the same command resumes an interrupted run (``bench._results``).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agents.judge import HiddenTests, Judge, PyrightServer, VisibleChecks, outline_doctests
from agents.models import Budget, BudgetConfig, StreamingModel, resolve_model
from agents.roles import TaskSpec
from agents.scheduler import Mode

from ._metrics import TrialResult
from ._results import append_result, completed_trials, fingerprint, versions
from ._trial import TrialConfig, run_trial, trial_room
from ._watch import RunWatch
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
    results: Path | None = Field(
        default=None, description="Append one JSON line per trial here; trials of this configuration already there are skipped (resume)."
    )

    def run_id(self) -> str:
        """Fingerprint of what changes a trial's measurement (not which tasks, modes or how many runs)."""
        return fingerprint(self, exclude={"tasks", "modes", "runs", "results"})


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
    """Each trial's own budget (a run-wide one would starve the trials that happen to run last)."""
    scheduler = config.trial.scheduler
    if scheduler.token_budget is None and scheduler.cost_budget_usd is None:
        return None
    return Budget(BudgetConfig(max_tokens=scheduler.token_budget, max_cost_usd=scheduler.cost_budget_usd))


async def run_suite(config: RunConfig, progress: Progress | None = None, watch: RunWatch | None = None) -> list[TrialResult]:
    """Run every (task, mode, run) trial not yet in the results file.

    Returns the whole experiment: the rows of this configuration found in the
    results file for the selected trials, then the trials run now, in order.
    ``watch`` (``--watch``): trials run on its relay and are listed in its index room.
    """
    say = progress or (lambda _line: None)
    suite = get_suite(config.suite)
    tasks = [suite.task(t) for t in config.tasks] if config.tasks else list(suite.tasks)
    run_id = config.run_id()
    done, warnings = completed_trials(config.results, run_id)
    for warning in warnings:
        say(f"warning: {warning}")
    plan = trial_order(config, [t.id for t in tasks])
    todo = [(order, key) for order, key in enumerate(plan) if key not in done]
    references = SuiteReferences(suite)
    stamp = versions()
    results: list[TrialResult] = [done[key] for key in plan if key in done]
    async with AsyncExitStack() as stack:
        pyright = await stack.enter_async_context(PyrightServer()) if config.pyright else None
        judge = Judge(pyright=pyright)
        label = _model(config, references, None).info.label
        say(
            f"model: {label}; suite {suite.name}: {len(tasks)} tasks x {len(config.modes)} modes x {config.runs} runs "
            f"= {len(plan)} trials (run {run_id})"
        )
        if len(todo) < len(plan):
            say(f"resuming: {len(plan) - len(todo)} of {len(plan)} trials already in {config.results}")
        if watch is not None:
            watch.plan([(order, t, m, config.seed + r) for order, (t, m, r) in todo], label, run_id)
        inputs = {t.id: task_inputs(t) for t in tasks}
        ignored: dict[str, list[str]] = {}
        began = time.perf_counter()
        for n, (order, (task_id, mode, run)) in enumerate(todo, start=1):
            spec, hidden = inputs[task_id]
            if task_id not in ignored:
                ignored[task_id] = await examples_the_reference_fails(judge, suite.task(task_id))
                if ignored[task_id]:
                    say(f"{task_id}: not checking the examples its own reference fails: {', '.join(ignored[task_id])}")
            judge_config = config.trial.judge.model_copy(update={"ignore_examples": ignored[task_id]})
            trial = config.trial.model_copy(update={"seed": config.seed + run, "judge": judge_config, **(watch.link() if watch else {})})
            room = watch.room_for(order) if watch is not None else None
            if room is None and trial.relay_url is not None:
                room = trial_room(task_id, mode, trial.seed, shared=True)
            if room is not None:
                say(f"trial {task_id} {mode} seed {trial.seed}: room {room}")  # where other agents and viewers join
            if watch is not None and room is not None:
                watch.running(room)
            # A fresh client per trial: each trial has its own budget.
            try:
                async with _model(config, references, _budget(config)) as model:
                    result = await run_trial(spec, hidden, mode, model, trial, judge=judge, pyright=pyright, room=room)
            except Exception as exc:
                if watch is not None and room is not None:
                    watch.failed(room, str(exc))
                raise
            if watch is not None and room is not None:
                watch.finished(room, result)
            result = result.model_copy(update={"run_id": run_id, "suite": suite.name, "run": run, "order": order, "versions": stamp})
            results.append(result)
            if config.results is not None:
                append_result(config.results, result)
            elapsed = time.perf_counter() - began
            say(_line(len(results), len(plan), result) + f" eta={_eta(elapsed, n, len(todo))}")
    return results


async def examples_the_reference_fails(judge: Judge, task: Task) -> list[str]:
    """Symbols whose outline examples the task's own reference fails: as visible checks they would send correct code to repair."""
    examples = outline_doctests(task.skeleton())
    if not examples:
        return []
    feedback = await judge.feedback(task.reference, VisibleChecks(doctests=examples, pyright=False, file_name=task.file))
    if feedback.import_error:
        return sorted(examples)
    return sorted(d.symbol for d in feedback.doctests if d.failed)


def trial_order(config: RunConfig, task_ids: list[str]) -> list[tuple[str, Mode, int]]:
    """Every (task, mode, run) in the run's randomized block order (stable for a given config)."""
    rng = random.Random(f"{config.seed}:{config.run_id()}")
    blocks = [(task, run) for run in range(config.runs) for task in task_ids]
    rng.shuffle(blocks)
    order: list[tuple[str, Mode, int]] = []
    for task, run in blocks:
        modes = list(config.modes)
        rng.shuffle(modes)
        order.extend((task, mode, run) for mode in modes)
    return order


def _eta(elapsed: float, done: int, total: int) -> str:
    left = elapsed / done * (total - done)
    return f"{left / 60:.0f}m" if left >= 90 else f"{left:.0f}s"


def _line(done: int, total: int, r: TrialResult) -> str:
    verdict = "pass" if r.passed else f"FAIL {r.test_classes_passed}/{r.test_classes}"
    mode = r.mode if r.requested == r.mode else f"{r.requested}->{r.mode}"
    return (
        f"[{done}/{total}] {r.task:<20} {mode:<16} agents={r.agents} wall={r.wall_s:6.2f}s "
        f"calls={r.calls:<3} repairs={r.reopened:<2} hidden={verdict}"
    )


def comparison_table(results: list[TrialResult]) -> str:
    """Per task: median wall time per mode, auto's decision and its ratio to the better of serial and parallel."""
    canonical = ["serial", "parallel", "waves", "auto"]
    modes = sorted(dict.fromkeys(r.requested for r in results), key=lambda m: canonical.index(m) if m in canonical else len(canonical))
    rows = ["| task | " + " | ".join(f"{m} s" for m in modes) + " | auto ran | auto / best | hidden pass |", "|---" * (len(modes) + 4) + "|"]
    by_task: dict[str, list[TrialResult]] = {}
    for r in results:
        by_task.setdefault(r.task, []).append(r)
    for task, rs in by_task.items():
        wall = _medians(rs, modes)
        auto = [r for r in rs if r.requested == "auto"]
        ran = auto[0].mode if auto else "-"
        best = min((wall[m] for m in ("serial", "parallel") if m in wall), default=None)
        ratio = f"{wall['auto'] / best:.2f}" if "auto" in wall and best else "-"
        passes = " ".join(f"{m}:{sum(r.passed for r in rs if r.requested == m)}/{sum(1 for r in rs if r.requested == m)}" for m in modes)
        rows.append(f"| {task} | " + " | ".join(f"{wall[m]:.2f}" if m in wall else "-" for m in modes) + f" | {ran} | {ratio} | {passes} |")
    provider = results[0].provider if results else "-"
    summary = _auto_summary(by_task, modes)
    return "\n".join(rows) + (f"\n\n{summary}" if summary else "") + f"\nmodel: {provider}"


def _auto_summary(by_task: dict[str, list[TrialResult]], modes: list[str]) -> str:
    if not {"auto", "serial", "parallel"} <= set(modes):
        return ""
    ratios: dict[str, float] = {}
    complete = {task: _medians(rs, modes) for task, rs in by_task.items()}
    complete = {task: wall for task, wall in complete.items() if len(wall) == len(modes)}
    for task, wall in complete.items():
        ratios[task] = wall["auto"] / min(wall["serial"], wall["parallel"])
    if not ratios:
        return ""
    worst = max(ratios, key=lambda t: ratios[t])
    within = sum(1 for r in ratios.values() if r <= 1.05)
    total = {m: sum(wall[m] for wall in complete.values()) for m in modes}
    return (
        f"auto within 5% of the better of serial and parallel on {within}/{len(ratios)} tasks "
        f"(worst: {worst}, {ratios[worst]:.2f}x); suite time: "
        + ", ".join(f"{m} {total[m]:.1f}s" for m in modes)
    )


def _medians(rows: list[TrialResult], modes: list[str]) -> dict[str, float]:
    """Median wall time per mode, for the modes with trials."""
    out: dict[str, float] = {}
    for mode in modes:
        times = [r.wall_s for r in rows if r.requested == mode]
        if times:
            out[mode] = statistics.median(times)
    return out
