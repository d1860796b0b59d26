"""``crdt-bench run``: a suite, each task in each mode, side by side.

The design is a randomized complete block: a block is one (task, run), its
trials are that task once in every mode with one shared seed, so rows pair
by (task, seed).  Blocks run in a seeded random order and the modes in a
seeded random order inside each block, so neither slow drift of the machine
nor warm caches favour a mode, while the paired trials still run close in
time.  Every trial gets fresh replicas; one judge sandbox and one warm
pyright serve them all.  Up to ``concurrency`` trials run at once, started in
that order as slots free (``bench._executor``: in this process or on Ray).
Rows are appended to the results file as trials finish, and the same command
resumes an interrupted run (``bench._results``), under either executor.
"""

from __future__ import annotations

from bench._errors import BenchError

import random
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from agents.judge import Sandbox
from agents.models import preflight
from agents.scheduler import Mode

from ._executor import get_executor
from ._metrics import TrialResult
from ._progress import Progress
from ._results import append_result, completed_trials, ensure_writable, fingerprint
from ._runner import Job, make_model, task_inputs
from ._trial import NOT_SCORED, TrialConfig
from ._watch import RunWatch
from .suites import SuiteReferences, get_suite

__all__ = ["RunAborted", "RunConfig", "run_suite", "comparison_table", "task_inputs"]

# Options that change how a run is carried out, not what a trial measures: not in the run id,
# so a run resumes under another executor, concurrency or error policy.
_PLACEMENT = {
    "tasks", "modes", "runs", "results", "concurrency", "executor", "ray_address", "record",
    "max_consecutive_errors", "max_calls", "tokens_per_minute", "preflight_timeout_s", "allow_unisolated",
}  # fmt: skip


class RunAborted(BenchError):
    """The run stopped early (too many trials in a row were errors); the message says why, ``rows`` what ran."""

    def __init__(self, message: str, rows: list[TrialResult]) -> None:
        super().__init__(message)
        self.rows = rows


class UnisolatedJudge(BenchError):
    """The judge's sandbox cannot hide the host's files here and --allow-unisolated was not given."""


_ANSWER_SUITES = ("humaneval", "classeval")


def require_isolation(suite: str, isolation: list[str], allow_unisolated: bool) -> str | None:
    """None when the judge hides the host's files; a warning when it cannot but may go on; UnisolatedJudge otherwise."""
    if "fsview" in isolation:
        return None
    if suite in _ANSWER_SUITES and not allow_unisolated:
        raise UnisolatedJudge(
            f"the judge's sandbox cannot build its filesystem view here (isolation: {', '.join(isolation)}; needs bubblewrap "
            f"and namespaces), so code under test could read {suite}'s answers; pass --allow-unisolated to score anyway"
        )
    return f"warning: judging without a filesystem view (isolation: {', '.join(isolation)}): every row says so"


class RunConfig(BaseModel):
    """A benchmark run: which tasks, which modes, which model, and how the trials are carried out."""

    suite: str = Field(default="bundled", description="Suite name (bundled) or a directory of tasks.")
    tasks: list[str] | None = Field(default=None, description="Task ids to run (None: all of the suite).")
    data_dir: Path | None = Field(
        default=None,
        description="Data directory of a third-party suite (classeval, projects) and of the replay provider; "
        "travels with the config to every worker (the CLI fills it from --data-dir or the environment).",
    )
    env_cache_dir: Path | None = Field(
        default=None, description="projects: where each project's test environment is cached (None: ~/.cache/crdt-agents/judge-envs)."
    )
    modes: list[Mode] = Field(default=["serial", "parallel", "auto"], min_length=1, description="Modes compared per task.")
    runs: int = Field(default=1, ge=1, description="Trials per (task, mode); seeds are seed, seed+1, ...")
    seed: int = Field(default=0, description="Seed of the first run.")
    model: str = Field(default="scripted", description="Model short name; scripted answers from the suite's references.")
    time_scale: float = Field(default=0.1, ge=0, description="Offline latency scale: 1 = real model speed, 0.1 = ten times faster.")
    profile: str = Field(default="sonnet", description="Offline latency profile (haiku, sonnet, opus, instant).")
    fault_rate: float | None = Field(default=None, ge=0, le=1, description="scripted: fault probability (None: its default).")
    blind_fault_rate: float | None = Field(default=None, ge=0, le=1, description="scripted: extra fault rate per unseen dependency.")
    pyright: bool = Field(default=True, description="Run the judge's semantic-conflict check (warm pyright).")
    warm_judge: bool = Field(
        default=True,
        description="Fork the projects' pytest runs from a warm sandboxed server per environment (agents.judge.Judge.warm_runs) "
        "instead of starting each cold; where that cannot be as isolated (no bubblewrap view, not root) runs stay cold.",
    )
    trial: TrialConfig = Field(default_factory=TrialConfig, description="Per-trial options (agents, transport, claims...).")
    results: Path | None = Field(
        default=None, description="Append one JSON line per trial here; trials of this configuration already there are skipped (resume)."
    )
    allow_unisolated: bool = Field(
        default=False, description="Score humaneval/classeval even where the judge's sandbox cannot hide the host's files (rows say so)."
    )
    concurrency: int = Field(default=1, ge=1, description="Trials at once (each with its own replicas, relay, model client).")
    executor: Literal["local", "ray"] = Field(default="local", description="local: in this process; ray: as Ray actors on a cluster.")
    ray_address: str | None = Field(default=None, description="ray: the cluster to join (None: start a local one).")
    record: Path | None = Field(default=None, description="Store every model reply here, replayable offline as recorded:DIR.")
    max_consecutive_errors: int = Field(default=3, ge=1, description="Stop the run after this many error trials in a row.")
    max_calls: int | None = Field(default=None, gt=0, description="Model calls in flight at once over all trials (per process).")
    tokens_per_minute: int | None = Field(default=None, gt=0, description="Token rate cap over all trials (per process).")
    preflight_timeout_s: float = Field(default=8.0, gt=0, description="Bound on the provider check before the first trial.")

    def run_id(self) -> str:
        """Fingerprint of what changes a trial's measurement (not which tasks, how many runs, or where they run)."""
        return fingerprint(self, exclude=_PLACEMENT)


Say = Callable[[str], None]


async def run_suite(config: RunConfig, progress: Progress | Say | None = None, watch: RunWatch | None = None) -> list[TrialResult]:
    """Run every (task, mode, run) trial not yet in the results file.

    Before the first trial: the results file is checked writable, the executor
    available and the provider's key and endpoint working (``PreflightFailed``).
    Returns the whole experiment in the run's order: rows of this configuration
    already in the results file for the selected trials, and the trials run now.
    Raises ``RunAborted`` after ``max_consecutive_errors`` error rows in a row.
    ``watch`` (``--watch``): trials run on its relay and are listed in its index room.
    """
    show = progress if isinstance(progress, Progress) else Progress(progress or (lambda _line: None), live=False)
    suite = get_suite(config.suite, data_dir=config.data_dir)
    tasks = [suite.task(t) for t in config.tasks] if config.tasks else list(suite.tasks)
    run_id = config.run_id()
    if config.results is not None:
        ensure_writable(config.results)  # before anything is paid for
    done, warnings = completed_trials(config.results, run_id)
    for warning in warnings:
        show.line(f"warning: {warning}")
    plan = trial_order(config, [t.id for t in tasks])
    jobs = [Job(order=i, task=t, mode=m, run=r) for i, (t, m, r) in enumerate(plan) if (t, m, r) not in done]
    executor = get_executor(config, suite)
    probe = make_model(config.model_copy(update={"record": None}), SuiteReferences(suite), None)
    show.line(f"model: {probe.info.label}")
    show.line(f"suite {suite.name}: {len(tasks)} tasks x {len(config.modes)} modes x {config.runs} runs = {len(plan)} trials (run {run_id})")
    warning = require_isolation(suite.name, await Sandbox().probe(), config.allow_unisolated) if jobs else None
    if warning:
        show.line(warning)
    if not probe.info.offline and jobs:
        async with probe:
            show.line(f"preflight: {await preflight(probe, timeout_s=config.preflight_timeout_s)}")
    if len(jobs) < len(plan):
        show.line(f"resuming: {len(plan) - len(jobs)} of {len(plan)} trials already in {config.results}")
    if watch is not None:
        watch.plan([(job.order, job.task, job.mode, config.seed + job.run) for job in jobs], probe.info.label, run_id)
    results: list[TrialResult] = [done[key] for key in plan if key in done]
    streak: list[TrialResult] = []
    show.start(len(plan), len(plan) - len(jobs))

    async def on_row(row: TrialResult) -> None:
        results.append(row)
        if config.results is not None:
            append_result(config.results, row)
        show.finished(row)
        streak[:] = [*streak, row] if row.status == "error" else []
        if len(streak) >= config.max_consecutive_errors:
            raise RunAborted(
                f"stopped after {len(streak)} error trials in a row (--max-consecutive-errors "
                f"{config.max_consecutive_errors}); last: {row.error}",
                sorted(results, key=lambda r: r.order),
            )

    try:
        await executor.run(config, jobs, on_row, observe=show.observe, say=show.line, watch=watch)
    except BaseExceptionGroup as group:
        raise first_error(group) from None
    return sorted(results, key=lambda r: r.order)


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error that stopped concurrent trials (the others are the cancellations it caused)."""
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    return next((e for e in leaves if isinstance(e, Exception)), leaves[0])


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
        scored = [r for r in rs if r.verdict != NOT_SCORED]
        passes = " ".join(f"{m}:{sum(r.passed for r in scored if r.requested == m)}/{sum(1 for r in scored if r.requested == m)}" for m in modes)
        passes = passes if scored else "not scored"
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
        f"(worst: {worst}, {ratios[worst]:.2f}x)\nsuite time: " + ", ".join(f"{m} {total[m]:.1f}s" for m in modes)
    )


def _medians(rows: list[TrialResult], modes: list[str]) -> dict[str, float]:
    """Median wall time per mode, for the modes with trials."""
    out: dict[str, float] = {}
    for mode in modes:
        times = [r.wall_s for r in rows if r.requested == mode]
        if times:
            out[mode] = statistics.median(times)
    return out
