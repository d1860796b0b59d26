"""One ``crdt-bench run`` from a built config to its exit code: dry run, results path, progress, summary.

Kept apart from the typer command so the command only parses options.  Exit
codes: 0 every trial measured; 1 some trials were errors, or the run stopped
after too many in a row; 2 nothing ran (bad input, failed preflight, results
not writable, executor unavailable); 130 interrupted.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable

import anyio

from agents.models import ModelError, StreamingModel
from agents.roles import AgentError

from ._estimate import TrialEstimate, estimate_error, estimate_trials, run_wall, summarize_estimate, time_error
from ._executor import ExecutorError
from ._metrics import TrialResult
from ._progress import WIDTH, Progress, fit
from ._results import ResumeError, completed_trials, default_results_path
from ._run import RunAborted, RunConfig, UnisolatedJudge, comparison_table, first_error, run_suite, trial_order
from ._runner import make_model
from ._summary import failure_lines, headline
from .suites import SuiteError, SuiteReferences, get_suite

__all__ = ["dry_run_lines", "run_command"]

Echo = Callable[[str], None]


def _estimates(config: RunConfig) -> tuple[dict[str, TrialEstimate], list[tuple[str, str, int]], StreamingModel]:
    suite = get_suite(config.suite, data_dir=config.data_dir)
    tasks = [suite.task(t) for t in config.tasks] if config.tasks else list(suite.tasks)
    references = SuiteReferences(suite)
    model = make_model(config.model_copy(update={"record": None}), references, None)
    scheduler, repairs = config.trial.scheduler, config.trial.judge.max_repairs
    per_trial = estimate_trials(
        tasks, list(config.modes), agents=scheduler.agents, references=references,
        profile=config.profile, time_scale=config.time_scale if _offline(config) else 1.0,
        max_tokens=config.trial.implementer.max_tokens, max_repairs=repairs, objective=scheduler.objective,
        # as the trial gives its outliner (bench._trial.run_trial): without repairs auto weighs a wrong result staying wrong
        decision=scheduler.decision if repairs > 0 else scheduler.decision.model_copy(update={"repair_rounds": None}),
        pricing=model.pricing, cache=model.prompt_cache,
    )  # fmt: skip
    plan = [(t, str(m), r) for t, m, r in trial_order(config, [t.id for t in tasks])]
    return per_trial, plan, model


def _cores(config: RunConfig) -> int:
    """Processes the trials' judging runs in: one event loop (local), or one worker process per slot on Ray."""
    return max(1, config.concurrency) if config.executor == "ray" else 1


def _offline(config: RunConfig) -> bool:
    return config.model.split(":")[0] in ("scripted", "replay", "recorded")


def dry_run_lines(config: RunConfig) -> list[str]:
    """The plan and its estimate; nothing is called and nothing is written."""
    per_trial, plan, model = _estimates(config)
    estimate = summarize_estimate(per_trial, plan, model, config.concurrency, cores=_cores(config))
    first = ", ".join(f"{t}/{m}#{r}" for t, m, r in plan[:4]) + (", ..." if len(plan) > 4 else "")
    lines = [f"plan: {len(plan)} trials in randomized blocks: {first}"]
    for mode in config.modes:
        rows = [per_trial[f"{t}/{m}"] for t, m, _ in plan if m == mode]
        if rows:
            n = len(rows)
            lines.append(
                f"  {mode:<8} per trial ~{sum(r.input_tokens for r in rows) // n:,} in / "
                f"~{sum(r.output_tokens for r in rows) // n:,} out tokens, "
                f"~{sum(r.model_s for r in rows) / n:.0f} s model time"
            )
    return [*lines, *estimate.lines()]


async def _run_with_display(config: RunConfig, progress: Progress, watch: tuple[str | None, str | None] | None) -> list[TrialResult]:
    outcome: list[TrialResult] = []
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(progress.redraw_forever)
            try:
                if watch is None:
                    outcome = await run_suite(config, progress)
                else:
                    from ._watch import run_watched  # only --watch needs the viewer

                    outcome = await run_watched(config, progress, *watch)
            finally:
                tg.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        raise first_error(group) from None
    return outcome


def run_command(
    config: RunConfig, *, dry_run: bool, echo: Echo, err: Echo, live: bool, watch: tuple[str | None, str | None] | None = None
) -> int:
    """Run (or estimate) ``config``; prints everything; returns the exit code.

    ``watch``: (relay URL or None to start one, token) for ``--watch``.
    """
    if dry_run:
        try:
            for line in dry_run_lines(config):
                echo(fit(line))
        except (SuiteError, ModelError) as exc:
            err(f"error: {exc}")
            return 2
        return 0
    if config.results is None:
        config = config.model_copy(update={"results": default_results_path(config.run_id())})
    results = config.results
    assert results is not None
    echo(f"results: {results}")
    progress = Progress(None if live else echo, live=live)
    try:
        resumed = set(completed_trials(results, config.run_id())[0])
    except ResumeError:
        resumed = set()  # the run reports it
    started = time.monotonic()
    try:
        outcome = anyio.run(_run_with_display, config, progress, watch)
    except (SuiteError, ModelError, AgentError, ResumeError, ExecutorError, UnisolatedJudge) as exc:
        progress.close()
        err(f"error: {exc}")
        return 2
    except RunAborted as exc:
        progress.close()
        _finish(config, exc.rows, echo)
        err(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        progress.close()
        err(f"\ninterrupted: finished trials are in {results}; run the same command to continue")
        return 130
    progress.close()
    ran = (time.monotonic() - started, [r for r in outcome if (r.task, r.requested, r.run) not in resumed])
    if watch is not None and watch[0] is None:
        _finish(config, outcome, echo)  # run_watched printed the table before serving replay
        return 1 if any(r.status == "error" for r in outcome) else 0
    echo("")
    for line in comparison_table([r for r in outcome if r.status == "ok"] or outcome).splitlines():
        for part in [line] if line.startswith("|") else textwrap.wrap(line, WIDTH, subsequent_indent="  ") or [""]:
            echo(part)
    _finish(config, outcome, echo, ran)
    return 1 if any(r.status == "error" for r in outcome) else 0


def _finish(config: RunConfig, rows: list[TrialResult], echo: Echo, ran: tuple[float, list[TrialResult]] | None = None) -> None:
    """Headline, failures, the estimate's error; ``ran``: this invocation's wall time and the rows it produced."""
    for line in [*headline(rows), *failure_lines(rows)]:
        echo(line)
    measured = [r for r in rows if r.status == "ok"]
    if measured:
        try:
            per_trial, _, _ = _estimates(config)
        except (SuiteError, ModelError):
            per_trial = {}
        keys = [f"{r.task}/{r.requested}" for r in measured]
        if per_trial and all(k in per_trial for k in keys):
            chosen = [per_trial[k] for k in keys]
            est = (sum(t.calls for t in chosen), sum(t.input_tokens for t in chosen), sum(t.output_tokens for t in chosen))
            got = (sum(r.calls for r in measured), sum(r.input_tokens for r in measured), sum(r.output_tokens for r in measured))
            for part in textwrap.wrap(estimate_error(est, got), WIDTH, subsequent_indent="    "):
                echo(part)
        if ran is not None and ran[1] and all(r.status == "ok" for r in ran[1]) and all(k in per_trial for k in keys):
            # Only a run without errors: an error row took neither the time nor the calls the estimate assumes.
            wall = run_wall([per_trial[f"{r.task}/{r.requested}"] for r in ran[1]], config.concurrency, _cores(config))
            echo(time_error(wall, ran[0]) + f" at --concurrency {config.concurrency}")
    echo(f"results: {config.results}")
    echo(f"next: crdt-bench report {config.results}")
