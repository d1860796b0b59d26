"""What the trials of one run share inside one process, and how one planned trial becomes a row.

A :class:`TrialRunner` holds the judge and its warm pyright, the suite's
references, the examples each task's own reference fails, and one
``ProviderLimiter`` for every model client it creates: trials running at once
each get their own model client and budget, but their calls to one provider
pass through one limiter.  The local executor uses one runner for all its
concurrent trials; Ray workers each hold a runner and share one limiter actor.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import BaseModel, Field

from agents.judge import HiddenTests, Judge, PyrightServer, VisibleChecks, outline_doctests
from agents.models import (
    Budget,
    BudgetConfig,
    LimiterConfig,
    ModelError,
    ProviderLimiter,
    RecordingModel,
    StreamingModel,
    resolve_model,
)
from agents.roles import AgentError, TaskSpec
from agents.scheduler import Mode
from crdt_ws import Workspace

from ._metrics import TrialResult, error_row
from ._project_judging import ProjectJudging
from ._results import versions
from ._trial import HiddenProject, run_trial, trial_room
from .suites import Suite, SuiteReferences, Task, get_suite

if TYPE_CHECKING:
    from ._run import RunConfig
    from ._watch import RunWatch

__all__ = [
    "Job", "Observe", "TrialRunner", "examples_the_reference_fails", "make_model", "model_options", "project_spec", "task_inputs",
]  # fmt: skip


class Job(BaseModel):
    """One planned trial: its place in the randomized order and what it runs."""

    order: int = Field(description="Position in the run's randomized block order.")
    task: str = Field(description="Task id.")
    mode: Mode = Field(description="Requested mode.")
    run: int = Field(description="Repetition index (seed = run's seed + this).")


Observe = Callable[[Job, "Workspace | None"], None]
"""Told ``None`` when a trial starts, then its outliner replica once its plan is published (live progress reads it)."""


def project_spec(task: Task) -> TaskSpec:
    """What the agents are given for a multi-file task (``Task.modules``): every module's skeleton in ``files``
    (the given files are not agents' work) and the benchmark's own TODO list; its scorer is ``ProjectJudging.hidden``."""
    files = {module.path: module.outline for module in task.modules}
    stubs = {module.path: list(module.stubs) for module in task.modules}  # the benchmark's TODOs, not every placeholder
    return TaskSpec(id=task.id, spec=task.spec, files=files, stubs=stubs)


def task_inputs(task: Task, *, outline: bool = True) -> tuple[TaskSpec, HiddenTests]:
    """What the agents are given and what scores them (single-file tasks; :func:`project_spec` for packages).

    The suite's skeleton is handed to the outliner (``outline=False`` makes it
    ask the model for one instead, which offline models may answer with faults).
    """
    spec = TaskSpec(id=task.id, spec=task.spec, file=task.file, outline=task.skeleton() if outline else None)
    hidden = HiddenTests(style="unittest", test_source=task.tests, test_classes=list(task.test_classes), module_name=task.module_name)
    return spec, hidden


def model_options(
    model: str,
    *,
    references: SuiteReferences | None,
    profile: str,
    time_scale: float,
    fault_rate: float | None = None,
    blind_fault_rate: float | None = None,
    limiter: ProviderLimiter | None = None,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """``resolve_model`` options for ``model`` from the CLI's model flags (each provider takes only its own)."""
    provider = model.split(":")[0]
    if provider == "scripted":
        if references is None:
            raise ValueError("scripted answers from a suite's references: none given")
        faults = {"fault_rate": fault_rate, "blind_fault_rate": blind_fault_rate}
        return {"latency": {"profile": profile, "time_scale": time_scale}, "references": references} | {
            key: value for key, value in faults.items() if value is not None
        }
    if provider == "replay":
        return {"latency": {"profile": profile, "time_scale": time_scale}} | ({"data_dir": data_dir} if data_dir is not None else {})
    if provider == "recorded":
        return {"time_scale": time_scale}
    if provider in ("anthropic", "openai") and limiter is not None:
        return {"limiter": limiter}
    return {}


def make_model(
    config: RunConfig, references: SuiteReferences, budget: Budget | None, limiter: ProviderLimiter | None = None
) -> StreamingModel:
    """The run's model for one trial (own budget; shared limiter; recording when ``config.record``)."""
    options = model_options(
        config.model, references=references, profile=config.profile, time_scale=config.time_scale,
        fault_rate=config.fault_rate, blind_fault_rate=config.blind_fault_rate, limiter=limiter,
        data_dir=config.data_dir,
    )  # fmt: skip
    model = resolve_model(config.model, budget=budget, **options)
    return RecordingModel(model, config.record) if config.record is not None else model


def _budget(config: RunConfig) -> Budget | None:
    """Each trial's own budget (a run-wide one would starve the trials that happen to run last)."""
    scheduler = config.trial.scheduler
    if scheduler.token_budget is None and scheduler.cost_budget_usd is None:
        return None
    return Budget(BudgetConfig(max_tokens=scheduler.token_budget, max_cost_usd=scheduler.cost_budget_usd))


async def examples_the_reference_fails(judge: Judge, task: Task) -> list[str]:
    """Symbols whose outline examples the task's own reference fails: as visible checks they would send correct code to repair."""
    examples = outline_doctests(task.skeleton())
    if not examples:
        return []
    feedback = await judge.feedback(task.reference, VisibleChecks(doctests=examples, pyright=False, file_name=task.file))
    if feedback.import_error:
        return sorted(examples)
    return sorted(d.symbol for d in feedback.doctests if d.failed)


class TrialRunner:
    """``async with TrialRunner(config) as runner: row = await runner.run(job)`` (safe for concurrent ``run``)."""

    def __init__(
        self,
        config: RunConfig,
        *,
        observe: Observe | None = None,
        say: Callable[[str], None] | None = None,
        watch: RunWatch | None = None,
        limiter: ProviderLimiter | None = None,
        suite: Suite | None = None,
    ) -> None:
        self.config = config
        self.observe = observe
        self.watch = watch
        self.say = say or (lambda _line: None)
        # The caller's copy when it loaded the suite already (the projects suite takes seconds to load).
        self.suite = suite or get_suite(config.suite, data_dir=config.data_dir)
        self.references = SuiteReferences(self.suite)
        # A Ray worker is given the cluster-wide one; otherwise this process's trials share this one.
        self.limiter = limiter or ProviderLimiter(LimiterConfig(max_concurrent=config.max_calls, tokens_per_minute=config.tokens_per_minute))
        self.run_id = config.run_id()
        self.stamp = versions()
        self.pyright: PyrightServer | None = None
        self.judge = Judge()
        self.projects = ProjectJudging(self.judge, config.env_cache_dir, say=self.say)
        self._stack = AsyncExitStack()
        self._ignored: dict[str, list[str]] = {}
        self._ignored_lock = anyio.Lock()
        self._inputs: dict[str, tuple[TaskSpec, HiddenTests | HiddenProject]] = {}

    def model(self, budget: Budget | None = None) -> StreamingModel:
        return make_model(self.config, self.references, budget, self.limiter)

    async def __aenter__(self) -> TrialRunner:
        if self.config.pyright:
            self.pyright = await self._stack.enter_async_context(PyrightServer())
        self.judge = Judge(pyright=self.pyright)
        if self.config.warm_judge:  # a server starts at a project's first test run, never for other suites
            await self._stack.enter_async_context(self.judge.warm_runs())
        self.projects.judge = self.judge
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    async def _examples_ignored(self, task: Task) -> list[str]:
        if task.is_multi_file:
            return []  # the judge agent runs no doctest examples for a package (agents.roles._judge_agent)
        async with self._ignored_lock:  # once per task, even when its trials start at once
            if task.id not in self._ignored:
                self._ignored[task.id] = await examples_the_reference_fails(self.judge, task)
                if self._ignored[task.id]:
                    self.say(f"{task.id}: not checking the examples its own reference fails: {', '.join(self._ignored[task.id])}")
            return self._ignored[task.id]

    async def run(self, job: Job) -> TrialResult:
        """The row of one planned trial; a trial that raised is an ``error`` row (never an exception)."""
        task = self.suite.task(job.task)
        if task.id not in self._inputs:
            self._inputs[task.id] = (project_spec(task), self.projects.hidden(task)) if task.is_multi_file else task_inputs(task)
        spec, hidden = self._inputs[task.id]
        ignored = await self._examples_ignored(task)
        judge_config = self.config.trial.judge.model_copy(update={"ignore_examples": ignored})
        watch = self.watch
        link = watch.link() if watch is not None else {}
        trial = self.config.trial.model_copy(update={"seed": self.config.seed + job.run, "judge": judge_config, **link})
        room = watch.room_for(job.order) if watch is not None else None
        if room is None and trial.relay_url is not None:
            room = trial_room(job.task, job.mode, trial.seed, shared=True)
        if room is not None:
            self.say(f"trial {job.task} {job.mode} seed {trial.seed}: room {room}")  # where other agents and viewers join
        if watch is not None and room is not None:
            watch.running(room)
        observe = self.observe
        seen: Callable[[Workspace], None] | None = None
        if observe is not None:
            observe(job, None)
            seen = lambda ws: observe(job, ws)  # noqa: E731
        label = self.config.model
        try:
            async with AsyncExitStack() as stack:
                model = await stack.enter_async_context(self.model(_budget(self.config)))  # a fresh client per trial: its own budget
                label = model.info.label
                pyright = self.pyright
                if pyright is not None and task.is_multi_file and self.config.concurrency > 1:
                    # A package is checked at its own paths (imports between its modules must resolve): two trials
                    # of one project sharing a pyright workspace would overwrite each other's files.
                    pyright = await stack.enter_async_context(PyrightServer())
                result = await run_trial(
                    spec, hidden, job.mode, model, trial, judge=self.judge, pyright=pyright, observe=seen, room=room,
                    final_check=self.projects.final_check(task, test_timeout_s=trial.judge.check_test_timeout_s) if task.is_multi_file else None,
                )  # fmt: skip
        except (AgentError, ModelError) as exc:
            result = error_row(
                task=job.task, requested=job.mode, seed=trial.seed, provider=label,
                transport=trial.transport, error=f"{type(exc).__name__}: {exc}",
            )  # fmt: skip
        except Exception as exc:
            if watch is not None and room is not None:
                watch.failed(room, str(exc))
            raise
        if watch is not None and room is not None:
            if result.status == "error":
                watch.failed(room, result.error or "error")
            else:
                watch.finished(room, result)
        update = {"run_id": self.run_id, "suite": self.suite.name, "run": job.run, "order": job.order, "versions": self.stamp}
        return result.model_copy(update=update)
