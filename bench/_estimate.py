"""``crdt-bench run --dry-run``: what a run would send, cost and take, with nothing called.

Per (task, mode) the estimate builds the plan the outliner would publish (the
same classifier, so ``auto`` resolves as it will), then the prompt of every
TODO's first call as an implementer would build it: in the plan's order, the
k-th call sees the reference code of the calls that would have finished
before it (all earlier ones in serial, all but the last ``agents`` in
parallel).  Output is the reference implementation's size plus the fence.
Repairs are not predicted: a run with many repairs costs more (the error
against a finished run's real counts is printed after every run).

Call time is the latency profile's TTFT + output / tokens-per-second (times
``time_scale`` for offline models); a trial's model time is a list schedule
of its calls on its agents; the run's wall time is the trials' sum over the
chosen concurrency.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from agents.coupling import get_classifier
from agents.models import StreamingModel, count_tokens, get_profile
from agents.roles import OutlinerConfig, build_context, find_stubs, plan_from
from agents.scheduler import Mode
from crdt_ws import TodoEntry, TodoStatus

from .suites import SuiteReferences, Task

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
                reply = count_tokens(code[symbol]) + _FENCE_TOKENS
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


def estimate_error(estimated: tuple[int, int], measured: tuple[int, int]) -> str:
    """One line: estimated vs measured input and output tokens, and the relative error of each."""

    def err(e: int, m: int) -> str:
        return f"{(e - m) / m:+.0%}" if m else "n/a"

    (ei, eo), (mi, mo) = estimated, measured
    return (
        f"tokens: estimated {ei:,} in / {eo:,} out, measured {mi:,} / {mo:,} "
        f"(estimate error {err(ei, mi)} in, {err(eo, mo)} out)"
    )


def _makespan(durations: list[float], agents: int) -> float:
    loads = [0.0] * max(1, agents)
    for d in durations:  # in plan order, each call to the agent that frees first
        loads[loads.index(min(loads))] += d
    return max(loads)


def _duration(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"
