"""``crdt-bench run --dry-run``: what a run would send, cost and take, with nothing called.

Per (task, mode) the estimate builds the plan the outliner would publish (the
same classifier, decision rule and objective, so ``auto`` resolves as it
will), then the prompt of every TODO's first call as an implementer would
build it: in the plan's order, the k-th call sees the reference code of the
calls that would have finished before it (all earlier ones in serial, all but
the last ``agents`` otherwise).  Output is what the prompt asks for: the
outline's signature and docstring plus the reference implementation's body,
in a fence.  Tokens count first attempts only (the error against a finished
run's real counts is printed after every run).

Wall time (:class:`TimeModel`, constants fitted on one ClassEval subset and
checked on another, docs/real-models.md):

* a call takes the latency profile's TTFT + output / tokens-per-second (times
  ``time_scale`` for offline models);
* a trial's model time is its critical path along the plan's schedule:
  serial sums its calls, waves runs them on ``agents`` agents each waiting for
  its dependencies, parallel on ``agents`` agents without waiting;
* expected repairs (``repair_rate`` per TODO per allowed round, up to
  ``--max-repairs``) add calls of the trial's average length, divided among
  the agents in parallel schedules;
* the judge adds CPU time per verdict (one per TODO and per repair) and per
  trial (setup, hidden tests), on the critical path in the proportions fitted
  per schedule;
* the run takes the larger of the trials' time over ``concurrency`` and
  their judge time over the processes running trials: the local executor's
  trials share one event loop, so concurrency divides model waits but not
  judging (on a 2-core machine dividing it by the cores underestimated the
  calibration runs at --concurrency 2 and 8 by 59-60%, by one process 31-39%).
"""

from __future__ import annotations

import ast
import textwrap
from typing import Any

from pydantic import BaseModel, Field

from agents.coupling import CouplingReport, classify_package, get_classifier
from agents.models import CachePolicy, Pricing, StreamingModel, count_tokens, get_profile
from agents.roles import OutlinerConfig, build_context, find_stubs, plan_from
from agents.roles._package import committed_text, package_index
from agents.scheduler import DecisionConfig, Mode, Objective
from crdt_ws import TodoEntry, TodoStatus, find_def_line, todo_key

from ._cache_replay import CacheCall, cache_usage, request_prefixes
from .suites import SuiteReferences, Task
from .suites._skeleton import function_source
from crdt_ws import parse_python

__all__ = ["Estimate", "TimeModel", "TrialEstimate", "estimate_trials", "estimate_error", "time_error"]

_FENCE_TOKENS = 12  # "```python\n" ... "```" and a line of prose around the code


class TimeModel(BaseModel):
    """The calibrated constants of the wall-time estimate (fitted on ClassEval replay, see docs/real-models.md)."""

    repair_rate: float = Field(
        default=0.13, ge=0, description="Expected repairs per TODO per allowed repair round (--max-repairs caps the rounds)."
    )
    verdict_s: dict[str, float] = Field(
        default={"serial": 0.1, "parallel": 0.45},
        description="Time per verdict (one per TODO and per repair) a trial's critical path grows by, per schedule family "
        "(waves and speculative modes count as parallel): a serial agent's next call streams while its last one "
        "is judged; parallel agents also wait on claims, merges and each other's verdicts.",
    )
    trial_s: float = Field(default=0.8, ge=0, description="Per trial beyond its agents: replicas, outline, hidden tests.")
    project_tests_s: float = Field(
        default=11.0, ge=0, description="Multi-file tasks: a project's unit and check tests in the sandbox, on top of trial_s "
        "(mean over the 18 projects' references here: 199 s, `python -m bench.micro.projects_reference`)."
    )  # fmt: skip


class TrialEstimate(BaseModel):
    """One (task, mode): its calls and tokens (first attempts) and its expected time."""

    task: str = Field(description="Task id.")
    requested: str = Field(description="Mode asked for.")
    mode: str = Field(description="Mode the plan runs (auto resolved by the planner, as the outliner will).")
    calls: int = Field(description="First-attempt model calls (one per TODO).")
    repairs: float = Field(default=0.0, description="Expected repairs (each one more call and verdict).")
    input_tokens: int = Field(description="Prompt tokens over the first attempts (cache writes and reads included).")
    output_tokens: int = Field(description="Output tokens over the first attempts.")
    cache_write_tokens: int = Field(default=0, description="Of input_tokens, those the provider's prompt cache would write.")
    cache_read_tokens: int = Field(default=0, description="Of input_tokens, those it would read from its cache.")
    cost_usd: float | None = Field(default=None, description="First attempts at list prices, priced call by call with the cache.")
    uncached_cost_usd: float | None = Field(default=None, description="The same calls priced as if nothing were cached.")
    model_s: float = Field(description="Model time on the trial's critical path (first attempts and expected repairs), seconds.")
    judge_s: float = Field(default=0.0, description="Judge and setup time on the trial's critical path, seconds.")

    @property
    def wall_s(self) -> float:
        return self.model_s + self.judge_s


class Estimate(BaseModel):
    """A whole run's estimate."""

    model: str = Field(description="Model label.")
    trials: int = Field(description="Trials to run.")
    input_tokens: int = Field(description="Prompt tokens over all trials (cache writes and reads included).")
    output_tokens: int = Field(description="Output tokens over all trials.")
    cache_write_tokens: int = Field(default=0, description="Of input_tokens, written to the provider's prompt cache.")
    cache_read_tokens: int = Field(default=0, description="Of input_tokens, read from it.")
    cost_usd: float | None = Field(description="At list prices with the provider's prompt cache; None for an unpriced model.")
    uncached_cost_usd: float | None = Field(default=None, description="At list prices if nothing were cached.")
    cache_note: str | None = Field(default=None, description="How the provider's prompt cache was assumed to work; None: no caching.")
    wall_s: float = Field(description="Estimated wall time at the chosen concurrency and cores.")
    model_s: float = Field(default=0.0, description="Of the trials' summed time, model calls (not CPU).")
    judge_s: float = Field(default=0.0, description="Of the trials' summed time, judging and setup.")
    repairs: float = Field(default=0.0, description="Expected repairs over all trials.")
    concurrency: int = Field(description="Trials at once.")
    cores: int = Field(default=1, description="Processes the judge time is divided among (1: one event loop runs every trial).")
    per_trial: dict[str, TrialEstimate] = Field(description="'task/mode' -> its estimate.")

    def lines(self) -> list[str]:
        cost = f"${self.cost_usd:,.2f}" if self.cost_usd is not None else "unknown (no price for this model)"
        lines = [
            f"dry run: {self.trials} trials, model {self.model}",
            f"  tokens: ~{self.input_tokens:,} in, ~{self.output_tokens:,} out (first attempts; repairs add more)",
        ]
        if self.cache_note is None:
            lines += [f"  cost:   ~{cost} at list prices", "  cache:  none assumed (no prompt cache known for this provider)"]
        else:
            lines.append(f"          of the input ~{self.cache_write_tokens:,} cache writes, ~{self.cache_read_tokens:,} cache reads")
            if self.cost_usd is not None and self.uncached_cost_usd is not None:
                cost += f" with prompt caching (~${self.uncached_cost_usd:,.2f} if nothing were cached)"
            lines.append(f"  cost:   ~{cost} at list prices")
            assumed = (
                f"{self.cache_note}. Assumed: each trial writes its shared prefixes (the spec; a package file's "
                "index) on its first calls; a call that starts before that write is usable (parallel agents) or "
                "after the prefix expired writes again; the others read; no reuse across trials is counted."
            )
            lines += textwrap.wrap(assumed, 98, initial_indent="  cache:  ", subsequent_indent="          ")
        return [
            *lines,
            f"  time:   ~{_duration(self.wall_s)} at --concurrency {self.concurrency}, judging on {self.cores} core(s)",
            f"          (trials: {_duration(self.model_s)} model calls with ~{self.repairs:.0f} expected repairs, "
            f"{_duration(self.judge_s)} judging and setup)",
            "nothing was called; run again without --dry-run to start",
        ]


def estimate_trials(
    tasks: list[Task],
    modes: list[Mode],
    *,
    agents: int,
    references: SuiteReferences,
    profile: str,
    time_scale: float,
    max_tokens: int = 2048,
    max_repairs: int = 2,
    objective: Objective = "time",
    decision: DecisionConfig | None = None,
    timing: TimeModel | None = None,
    pricing: Pricing | None = None,
    cache: CachePolicy | None = None,
    prompts: dict[str, list[tuple[int, int]]] | None = None,
) -> dict[str, TrialEstimate]:
    """The estimate of each (task, mode), keyed ``task/mode``.

    ``objective`` and ``decision`` are what the outliner is given, so ``auto``
    resolves here as it will in the trial.  ``pricing`` prices each call (a
    long-prompt band applies per request); ``cache``: the provider's prompt
    cache, replayed over the calls' start times (:func:`bench._cache_replay.cache_usage`).  ``prompts``, if given, collects each
    call's (prompt tokens, shared prefix tokens) under ``task/mode``, in plan order.
    """
    speed = get_profile(profile)
    timing = timing or TimeModel()
    out: dict[str, TrialEstimate] = {}
    classifier = get_classifier(OutlinerConfig().classifier)
    for task in tasks:
        todos, outlines, report = _todos_of(task, classifier)
        stubs = list(todos)
        indexes = {f: package_index(outlines, skip=f) for f in outlines} if task.is_multi_file else {}
        for mode in modes:
            plan = plan_from(stubs, report, mode, agents=agents, objective=objective, decision=decision)
            width = 1 if plan.mode == "serial" else agents
            entries = {s: todos[s].model_copy(update={"deps": plan.deps.get(s, [])}) for s in stubs}
            code = {s: ref.code if (ref := references.get(task.id, s)) else "" for s in stubs}
            # a result as the buffer holds it: at its definition's indent (references are dedented)
            placed = {s: _indented(outlines[todos[s].file], todos[s].symbol, c) for s, c in code.items()}
            inputs = outputs = 0
            durations: dict[str, float] = {}
            calls: dict[str, CacheCall] = {}
            for k, symbol in enumerate(plan.order):
                done = set(plan.order[: max(0, k - width + 1)])  # what a call this far into the schedule has seen
                seen = {
                    s: e.model_copy(update={"status": TodoStatus.DONE, "result": placed[s]}) if s in done else e
                    for s, e in entries.items()
                    if s in done or e.file == entries[symbol].file or s in entries[symbol].deps
                }
                entry = entries[symbol]
                outline = outlines[entry.file]
                module = committed_text(outline, [e for e in seen.values() if e.file == entry.file]) if task.is_multi_file else None
                context = build_context(
                    entry, task_id=task.id, spec=task.spec, outline=outline, todos=seen, max_tokens=max_tokens,
                    module=module, index=indexes.get(entry.file, ""),
                )  # fmt: skip
                prompt = context.request.prompt_tokens()
                reply = _reply_tokens(outline, entry.symbol, code[symbol])
                inputs += prompt
                outputs += reply
                rate = speed.tokens_per_s
                durations[symbol] = (speed.ttft_s + (reply / rate if rate else 0.0)) * time_scale
                calls[symbol] = CacheCall(prompt, reply, request_prefixes(context.request), speed.ttft_s * time_scale)
                if prompts is not None:
                    prompts.setdefault(f"{task.id}/{mode}", []).append((prompt, max((t for _, t in calls[symbol].prefixes), default=0)))
            family = "serial" if plan.mode == "serial" else "parallel"
            waits = plan.mode in ("serial", "waves")
            times = _schedule(plan.order, durations, plan.deps if waits else {}, width)
            first = max((end for _, end in times.values()), default=0.0)
            for symbol, (start, _) in times.items():
                calls[symbol].start = start
            billed = cache_usage([calls[s] for s in plan.order], cache)
            writes, reads = sum(w for w, _ in billed), sum(r for _, r in billed)
            cost = uncached = None
            if pricing is not None:
                cost = sum(pricing.cost(input_tokens=c.prompt - w - r, output_tokens=c.reply, cache_write_tokens=w, cache_read_tokens=r)
                           for c, (w, r) in zip((calls[s] for s in plan.order), billed))  # fmt: skip
                uncached = sum(pricing.cost(input_tokens=c.prompt, output_tokens=c.reply) for c in calls.values())
            repairs = len(stubs) * timing.repair_rate * max_repairs
            mean_call = sum(durations.values()) / len(durations) if durations else 0.0
            lanes = min(width, max(1, len(stubs)))  # repairs of different TODOs run on different agents
            verdicts = len(stubs) + repairs
            out[f"{task.id}/{mode}"] = TrialEstimate(
                task=task.id, requested=mode, mode=plan.mode, calls=len(stubs), repairs=repairs, input_tokens=inputs,
                output_tokens=outputs, cache_write_tokens=writes, cache_read_tokens=reads, cost_usd=cost,
                uncached_cost_usd=uncached, model_s=first + repairs * mean_call / lanes,
                judge_s=timing.trial_s + verdicts * timing.verdict_s[family] + (timing.project_tests_s if task.is_multi_file else 0.0),
            )  # fmt: skip
    return out


def summarize_estimate(
    per_trial: dict[str, TrialEstimate],
    plan: list[tuple[str, str, int]],
    model: StreamingModel,
    concurrency: int,
    *,
    cores: int = 1,
) -> Estimate:
    """Totals over the planned trials (a (task, mode) repeated once per run) at ``concurrency`` on ``cores``."""
    chosen = [per_trial[f"{task}/{mode}"] for task, mode, _ in plan]
    inputs = sum(t.input_tokens for t in chosen)
    outputs = sum(t.output_tokens for t in chosen)
    priced = model.pricing is not None and all(t.cost_usd is not None and t.uncached_cost_usd is not None for t in chosen)
    cost = sum(t.cost_usd or 0.0 for t in chosen) if priced else None
    uncached = sum(t.uncached_cost_usd or 0.0 for t in chosen) if priced else None
    policy = model.prompt_cache
    return Estimate(
        model=model.info.label, trials=len(plan), input_tokens=inputs, output_tokens=outputs, cost_usd=cost,
        cache_write_tokens=sum(t.cache_write_tokens for t in chosen), cache_read_tokens=sum(t.cache_read_tokens for t in chosen),
        uncached_cost_usd=uncached, cache_note=policy.note if policy is not None else None,
        wall_s=run_wall(chosen, concurrency, cores), model_s=sum(t.model_s for t in chosen),
        judge_s=sum(t.judge_s for t in chosen), repairs=sum(t.repairs for t in chosen), concurrency=concurrency, cores=cores, per_trial=per_trial,
    )  # fmt: skip


def run_wall(trials: list[TrialEstimate], concurrency: int, cores: int) -> float:
    """Trials side by side: their time over ``concurrency``, but never less than their judge time over ``cores``.

    Judge and setup time is the trial's own work (claims, merges, parsing,
    waiting on its sandboxes and pyright): the local executor runs every trial
    on one event loop, so pass 1; Ray workers are processes, one per slot.
    """
    slots = max(1, concurrency)
    total = sum(t.wall_s for t in trials)
    judging = sum(t.judge_s for t in trials)
    return max(total / slots, judging / max(1, min(slots, cores)))


def time_error(estimated_s: float, measured_s: float) -> str:
    """The wall-time estimate against the measured wall time of the same trials."""
    err = f"{(estimated_s - measured_s) / measured_s:+.0%}" if measured_s > 0 else "n/a"
    return f"estimate check: wall time {_precise(estimated_s)} estimated / {_precise(measured_s)} taken ({err})"


def estimate_error(estimated: tuple[int, int, int], measured: tuple[int, int, int]) -> str:
    """Estimated vs measured (calls, input, output tokens) and the relative error of each token count.

    Measured calls include repairs, which the estimate does not predict; per call the two are also compared.
    """

    def err(e: float, m: float) -> str:
        return f"{(e - m) / m:+.0%}" if m else "n/a"

    (ec, ei, eo), (mc, mi, mo) = estimated, measured
    line = (
        f"estimate check: calls {ec:,} estimated / {mc:,} made; tokens in {ei:,} / {mi:,} ({err(ei, mi)}), "
        f"out {eo:,} / {mo:,} ({err(eo, mo)})"
    )
    if ec and mc:
        line += f"; per call: in {err(ei / ec, mi / mc)}, out {err(eo / ec, mo / mc)}"
    return line


def _todos_of(task: Task, classifier: Any) -> tuple[dict[str, TodoEntry], dict[str, str], CouplingReport]:
    """A task's TODO entries by id (deps not set), each file's outline, and the classifier's report, as the outliner makes them."""
    if task.is_multi_file:
        outlines = {m.path: m.outline for m in task.modules}
        stubs = {m.path: list(m.stubs) for m in task.modules}
        todos = {todo_key(f, s): TodoEntry(id=todo_key(f, s), file=f, symbol=s) for f, names in stubs.items() for s in names}
        return todos, outlines, classify_package(outlines, stubs)
    outline = task.skeleton()
    names = find_stubs(outline)
    todos = {s: TodoEntry(id=s, file=task.file, symbol=s) for s in names}
    return todos, {task.file: outline}, classifier.classify(outline, names)


def _indented(outline: str, symbol: str, code: str) -> str:
    found = find_def_line(outline, symbol.split("#")[0])
    return textwrap.indent(code, " " * found[1]) if found is not None and found[1] else code


def _reply_tokens(outline: str, symbol: str, reference: str) -> int:
    """What the prompt asks for: the outline's signature and docstring, the body, the fence.

    The body is the reference's (its own docstring, if any, not counted twice).
    """
    stub = function_source(outline, symbol) or ""
    body = reference
    try:
        tree = parse_python(reference)
        func = tree.body[0] if tree.body else None
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            statements = func.body
            if statements and isinstance(statements[0], ast.Expr) and isinstance(getattr(statements[0], "value", None), ast.Constant):
                statements = statements[1:]
            lines = reference.splitlines()
            body = "\n".join(lines[statements[0].lineno - 1 :]) if statements else ""
            stub = "\n".join(line for line in stub.splitlines() if line.strip() not in ("pass", "..."))
    except SyntaxError:
        pass
    return count_tokens(stub) + count_tokens(body) + _FENCE_TOKENS


def _critical_path(order: list[str], durations: dict[str, float], deps: dict[str, list[str]], agents: int) -> float:
    """When the last call of the list schedule (:func:`_schedule`) ends."""
    return max((end for _, end in _schedule(order, durations, deps, agents).values()), default=0.0)


def _schedule(order: list[str], durations: dict[str, float], deps: dict[str, list[str]], agents: int) -> dict[str, tuple[float, float]]:
    """List schedule in plan order: each call to the agent that frees first, starting once its ``deps`` are done."""
    free = [0.0] * max(1, agents)
    times: dict[str, tuple[float, float]] = {}
    for symbol in order:
        lane = free.index(min(free))
        start = max([free[lane], *(times[d][1] for d in deps.get(symbol, []) if d in times)])
        free[lane] = start + durations[symbol]
        times[symbol] = (start, free[lane])
    return times


def _duration(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _precise(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.2f} h"
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.0f} s"
