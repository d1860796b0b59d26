"""``crdt-bench run --dry-run``: what a run would send, cost and take, with nothing called.

Per (task, mode) the estimate builds the plan the outliner would publish (the
same classifier, so ``auto`` resolves as it will), then the prompt of every
TODO's first call as an implementer would build it: in the plan's order, the
k-th call sees the reference code of the calls that would have finished
before it (all earlier ones in serial, all but the last ``agents`` in
parallel).  Output is what the prompt asks for: the outline's signature and
docstring plus the reference implementation's body, in a fence.
Repairs are not predicted: a run with many repairs costs more (the error
against a finished run's real counts is printed after every run).

Call time is the latency profile's TTFT + output / tokens-per-second (times
``time_scale`` for offline models); a trial's model time is a list schedule
of its calls on its agents; the run's wall time is the trials' sum over the
chosen concurrency.
"""

from __future__ import annotations

import ast

from pydantic import BaseModel, Field

from agents.coupling import get_classifier
from agents.models import StreamingModel, count_tokens, get_profile
from agents.roles import OutlinerConfig, build_context, find_stubs, plan_from
from agents.scheduler import Mode
from crdt_ws import TodoEntry, TodoStatus

from .suites import SuiteReferences, Task
from .suites._skeleton import function_source
from crdt_ws import parse_python

__all__ = ["Estimate", "TrialEstimate", "estimate_trials", "estimate_error"]

_FENCE_TOKENS = 12  # "```python\n" ... "```" and a line of prose around the code


class TrialEstimate(BaseModel):
    """One (task, mode)'s first-attempt calls."""

    task: str = Field(description="Task id.")
    requested: str = Field(description="Mode asked for.")
    mode: str = Field(description="Mode the plan runs (auto resolved by the classifier).")
    calls: int = Field(description="Model calls (one per TODO; repairs not predicted).")
    input_tokens: int = Field(description="Prompt tokens over the calls.")
    output_tokens: int = Field(description="Output tokens over the calls.")
    model_s: float = Field(description="Model time of the trial's schedule, seconds.")


class Estimate(BaseModel):
    """A whole run's estimate."""

    model: str = Field(description="Model label.")
    trials: int = Field(description="Trials to run.")
    input_tokens: int = Field(description="Prompt tokens over all trials.")
    output_tokens: int = Field(description="Output tokens over all trials.")
    cost_usd: float | None = Field(description="At list prices; None for an unpriced model.")
    wall_s: float = Field(description="Estimated wall time at the chosen concurrency.")
    concurrency: int = Field(description="Trials at once.")
    per_trial: dict[str, TrialEstimate] = Field(description="'task/mode' -> its estimate.")

    def lines(self) -> list[str]:
        cost = f"${self.cost_usd:,.2f}" if self.cost_usd is not None else "unknown (no price for this model)"
        return [
            f"dry run: {self.trials} trials, model {self.model}",
            f"  tokens: ~{self.input_tokens:,} in, ~{self.output_tokens:,} out (first attempts; repairs add more)",
            f"  cost:   ~{cost} at list prices",
            f"  time:   ~{_duration(self.wall_s)} at --concurrency {self.concurrency} (model time only)",
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
) -> dict[str, TrialEstimate]:
    """The estimate of each (task, mode), keyed ``task/mode``."""
    speed = get_profile(profile)
    out: dict[str, TrialEstimate] = {}
    classifier = get_classifier(OutlinerConfig().classifier)
    for task in tasks:
        outline = task.skeleton()
        stubs = find_stubs(outline)
        report = classifier.classify(outline, stubs)
        for mode in modes:
            plan = plan_from(stubs, report, mode, agents=agents)
            width = 1 if plan.mode == "serial" else agents
            entries = {s: TodoEntry(id=s, file=task.file, symbol=s, deps=plan.deps.get(s, [])) for s in stubs}
            code = {s: ref.code if (ref := references.get(task.id, s)) else "" for s in stubs}
            inputs = outputs = 0
            durations: list[float] = []
            for k, symbol in enumerate(plan.order):
                seen = {
                    s: e.model_copy(update={"status": TodoStatus.DONE, "result": code[s]}) if i < k - width + 1 else e
                    for i, (s, e) in enumerate((s, entries[s]) for s in plan.order)
                }
                context = build_context(
                    entries[symbol], task_id=task.id, spec=task.spec, outline=outline, todos=seen, max_tokens=max_tokens
                )
                prompt = count_tokens(context.request.system) + sum(count_tokens(m.content) for m in context.request.messages)
                reply = _reply_tokens(outline, symbol, code[symbol])
                inputs += prompt
                outputs += reply
                rate = speed.tokens_per_s
                durations.append((speed.ttft_s + (reply / rate if rate else 0.0)) * time_scale)
            out[f"{task.id}/{mode}"] = TrialEstimate(
                task=task.id, requested=mode, mode=plan.mode, calls=len(stubs), input_tokens=inputs,
                output_tokens=outputs, model_s=_makespan(durations, width),
            )  # fmt: skip
    return out


def summarize_estimate(
    per_trial: dict[str, TrialEstimate], plan: list[tuple[str, str, int]], model: StreamingModel, concurrency: int
) -> Estimate:
    """Totals over the planned trials (a (task, mode) repeated once per run)."""
    chosen = [per_trial[f"{task}/{mode}"] for task, mode, _ in plan]
    inputs = sum(t.input_tokens for t in chosen)
    outputs = sum(t.output_tokens for t in chosen)
    pricing = model.pricing
    cost = pricing.cost(input_tokens=inputs, output_tokens=outputs) if pricing is not None else None
    return Estimate(
        model=model.info.label, trials=len(plan), input_tokens=inputs, output_tokens=outputs, cost_usd=cost,
        wall_s=sum(t.model_s for t in chosen) / max(1, concurrency), concurrency=concurrency, per_trial=per_trial,
    )  # fmt: skip


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


def _makespan(durations: list[float], agents: int) -> float:
    loads = [0.0] * max(1, agents)
    for d in durations:  # in plan order, each call to the agent that frees first
        loads[loads.index(min(loads))] += d
    return max(loads)


def _duration(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"
