"""What a trial measured, as one flat record, and the critical-path bound it is compared with.

The bound is what the model calls alone would take with perfect
coordination and foresight: without dependencies to wait on (``parallel``),
the optimal makespan of the measured per-TODO model time on the agents
(computed exactly for up to 12 TODOs); otherwise the longest chain of model
time through the dependencies the mode waits on, or the total over the
agents if larger.  Agents do not know call durations in advance, so even a
coordinator with zero cost could not always reach it.  ``overhead`` is how far the
measured time to the last commit is above it: claims, syncs, context
building, merging and judging all land there.
"""

from __future__ import annotations

import statistics
from typing import Any, Literal

from pydantic import BaseModel, Field

from agents.judge import Score
from agents.roles import CallRecord, ImplementerStats, JudgeSummary, TaskSpec
from agents.scheduler import Plan, topological_order
from crdt_ws import Event, TodoEntry, TodoStatus

__all__ = ["TrialResult", "error_row", "summarize", "critical_path_bound", "optimal_makespan", "repair_window"]


class TrialResult(BaseModel):
    """One trial, everything needed to recompute its figures (one JSONL row of ``crdt-bench run``)."""

    run_id: str = Field(default="", description="Fingerprint of the run's configuration: rows with the same id are one experiment (and resume it).")
    suite: str = Field(default="", description="Suite the task came from.")
    run: int = Field(default=0, description="Repetition index; every mode of one (task, run) shares its seed, so rows pair by (task, seed).")
    order: int = Field(default=0, description="Position of this trial in the run's randomized order.")
    task: str = Field(description="Task id.")
    requested: str = Field(description="Mode asked for (auto included).")
    mode: str = Field(description="Mode run: parallel, serial or waves.")
    agents: int = Field(description="Implementers that ran.")
    transport: str = Field(description="memory or websocket.")
    seed: int = Field(description="Trial seed.")
    provider: str = Field(description="The model's label (says offline for scripted/replay).")
    coupling_score: float | None = Field(description="Classifier's coupling score.")
    edges: int = Field(description="Dependency edges in the plan.")
    waves: int = Field(description="Dependency waves in the plan.")
    stubs: int = Field(description="TODOs.")
    wall_s: float = Field(description="Agents started (outline published, replicas connected) -> judge finished.")
    implement_s: float = Field(description="Agents started -> last commit (wall clock of the committing replica).")
    bound_s: float = Field(description="Critical-path bound of model time (see module docstring).")
    overhead: float = Field(description="implement_s / bound_s - 1: coordination plus not knowing call durations ahead.")
    schedule_bound_s: float = Field(
        description="The schedule that ran, at zero coordination cost: the busiest agent's model time "
        "(parallel) or the bound above, whichever is larger."
    )
    coordination_overhead: float = Field(description="implement_s / schedule_bound_s - 1: what claims, syncs, merges cost.")
    first_all_pass_s: float | None = Field(description="When every TODO first had a passing visible verdict (judge clock).")
    repair_tail_s: float = Field(
        default=0.0,
        description="Seconds from the moment every TODO had been committed once to the last commit: the repairs the checks asked "
        "for after the drafts were in (each a check, a claim, a model call and a verdict in a row; the bound counts only the calls).",
    )
    check_runs: int = Field(default=0, description="Runs of the check tests during the run (multi-file tasks; the final check's reuse included).")
    check_s: float = Field(default=0.0, description="Seconds those runs took, summed (they overlap the agents' work).")
    passed: bool = Field(description="Every hidden test class passed.")
    verdict: str | None = Field(default=None, description="passed, failed or tampered (the code tried to forge its verdict: failed, named).")
    tampered: list[str] = Field(default_factory=list, description="What the code under test attempted against the judge.")
    collection_error: str | None = Field(default=None, description="Multi-file tasks: why the hidden tests collected nothing (pass rate 0), if so.")
    isolation: list[str] = Field(default_factory=list, description="Containment the judge's sandbox applied; without 'fsview' the code could read the host's files.")
    test_verdicts: dict[str, bool] = Field(default_factory=dict, description="Hidden test class -> passed.")
    test_classes: int = Field(description="Hidden test classes.")
    test_classes_passed: int = Field(description="Hidden test classes that passed.")
    pass_rate: float | None = Field(default=None, description="Multi-file tasks: hidden tests passed / collected, as the benchmark counts it (test_classes are then single tests).")
    tests_run: int = Field(description="Hidden tests run.")
    tests_failed: int = Field(description="Hidden tests failed or errored.")
    examples_ignored: list[str] = Field(default_factory=list, description="Symbols whose doctest examples were not checks (the reference fails them).")
    visible_pass: int = Field(description="TODOs whose final visible verdict is pass.")
    visible_fail: int = Field(description="TODOs whose final visible verdict is fail, or that failed.")
    reopened: int = Field(description="Repairs the judge asked for.")
    max_repairs: int | None = Field(default=None, description="The judge's cap on repairs per TODO in this trial (None: rows written before it was recorded).")
    calls: int = Field(description="Model calls.")
    blind_calls: int = Field(description="Calls whose prompt lacked some dependency's code.")
    blind_drafts: int = Field(default=0, description="TODOs with a committed draft that used a stub whose code its prompt had not shown (observed with libcst).")
    redrafts: int = Field(default=0, description="Speculative re-drafts the judge asked for (modes speculate and revise).")
    redraft_calls: int = Field(default=0, description="Model calls spent on re-drafts.")
    spare_calls: int = Field(default=0, description="Calls drawn beside a repair to be kept as spares (SchedulerConfig.repair_samples); not in the bound.")
    spares_used: int = Field(default=0, description="Repairs committed from a kept spare, without a model call.")
    edit_calls: int = Field(default=0, description="Repair calls that asked for SEARCH/REPLACE edits (ImplementerConfig.repair_edits).")
    edit_failures: int = Field(default=0, description="Of those, replies whose edits did not apply to the code shown (asked again whole).")
    cut_replies: int = Field(default=0, description="Replies that stopped at max_tokens (each asked again once with a larger cap).")
    redraft_output_tokens: int = Field(default=0, description="Output tokens of those calls.")
    redraft_tail_s: float = Field(
        default=0.0, description="Seconds re-drafts added to the critical path: end of the last call minus end of the last first-draft or repair call."
    )
    output_tokens: int = Field(description="Output tokens over all calls.")
    input_tokens: int = Field(description="Prompt tokens over all calls (cache writes and reads included).")
    cache_read_tokens: int = Field(default=0, description="Of input_tokens, those the provider read from its prompt cache.")
    cache_write_tokens: int = Field(default=0, description="Of input_tokens, those written to the provider's prompt cache.")
    cost_usd: float | None = Field(description="Cost at list prices (None: unpriced model).")
    claims: int = Field(description="Claims written.")
    claim_losses: int = Field(description="Claims lost at verify.")
    reclaims: int = Field(description="Stale claims taken over.")
    double_claims: int = Field(description="Completions that lost to another agent's.")
    claim_p50_ms: float | None = Field(description="Median choose -> verified latency.")
    verify_wait_p50_ms: float | None = Field(default=None, description="Median adaptive verify wait (what claims paid for propagation).")
    sync_rtt_bound_ms: dict[str, float] = Field(
        default_factory=dict, description="Each agent's last published sync round-trip bound (srtt + 2 rttvar), from meta."
    )
    conflicts_found: int = Field(description="Semantic conflicts pyright reported.")
    conflicts_reconciled: int = Field(description="Duplicate definitions removed.")
    regions_restored: int = Field(default=0, description="Done TODOs whose region the judge put back to the recorded result at the end.")
    files_restored: int = Field(default=0, description="Buffers that did not parse at the end and were rewritten to the committed package.")
    decorators_restored: int = Field(default=0, description="Done definitions the buffer held without the skeleton's decorators at the end.")
    crashed: list[str] = Field(default_factory=list, description="Implementers killed by fault injection.")
    phase: str = Field(description="How the run ended: finished, or out_of_budget.")
    speculated: int = Field(default=0, description="Claims that asked for k drafts at once.")
    speculation_passed: int = Field(default=0, description="Of those, claims where some draft passed the visible checks.")
    faults: int = Field(description="Offline replies that carried an injected fault (scripted only).")
    status: Literal["ok", "error"] = Field(
        default="ok",
        description="error: the trial measured nothing (every model call failed, or it raised); such rows are "
        "kept as a record, run again on resume and left out of the figures.",
    )
    model_failures: int = Field(default=0, description="Model calls that failed (after the provider's retries).")
    error: str | None = Field(default=None, description="Why the trial is an error row (the last model or trial error).")
    versions: dict[str, str] = Field(default_factory=dict, description="Python, the project and its key dependencies.")


def optimal_makespan(durations: list[float], agents: int, *, exact_up_to: int = 12) -> float:
    """The shortest time ``agents`` can finish independent jobs of these durations in.

    Exact (depth-first over assignments, longest job first, skipping agents
    with equal loads) up to ``exact_up_to`` jobs; beyond that the classic lower
    bound max(total / agents, longest, the two jobs that must share an agent).
    """
    jobs = sorted((d for d in durations if d > 0), reverse=True)
    if not jobs:
        return 0.0
    lower = max(sum(jobs) / agents, jobs[0], jobs[agents - 1] + jobs[agents] if len(jobs) > agents else 0.0)
    if len(jobs) > exact_up_to or len(jobs) <= agents:
        return lower
    greedy = [0.0] * agents
    for job in jobs:  # longest-processing-time first: a good schedule to beat
        greedy[greedy.index(min(greedy))] += job
    best = [max(greedy)]
    loads = [0.0] * agents

    def place(i: int, worst: float) -> None:
        if worst >= best[0] - 1e-12:
            return
        if i == len(jobs):
            best[0] = worst
            return
        tried: set[float] = set()
        for a in range(agents):
            if loads[a] in tried:
                continue
            tried.add(loads[a])
            loads[a] += jobs[i]
            place(i + 1, max(worst, loads[a]))
            loads[a] -= jobs[i]
            if best[0] <= lower + 1e-12:
                return

    place(0, 0.0)
    return best[0]


def critical_path_bound(model_time: dict[str, float], deps: dict[str, list[str]], agents: int) -> float:
    """What the model calls alone need with perfect coordination (a lower bound on any schedule).

    Without dependencies: the optimal makespan of the calls on ``agents``.  With
    them: the longest chain of model time, or the total over the agents if larger.
    """
    if not any(deps.get(todo) for todo in model_time):
        return optimal_makespan(list(model_time.values()), agents)
    ids = list(model_time)
    finish: dict[str, float] = {}
    for wave in topological_order(ids, {i: [d for d in deps.get(i, []) if d in model_time] for i in ids}):
        for todo in wave:
            start = max((finish.get(d, 0.0) for d in deps.get(todo, []) if d in model_time), default=0.0)
            finish[todo] = start + model_time[todo]
    longest = max(finish.values(), default=0.0)
    return max(longest, sum(model_time.values()) / max(1, agents))


def summarize(
    *,
    spec: TaskSpec,
    plan: Plan,
    requested: str,
    agents: int,
    config: Any,
    provider: str,
    wall_s: float,
    started: float,
    source: str,
    todos: list[TodoEntry],
    events: list[Event],
    stats: list[ImplementerStats],
    judge: JudgeSummary,
    score: Score,
    crashed: list[str],
    phase: str,
    rtt_bounds: dict[str, float] | None = None,
) -> TrialResult:
    del source  # kept in the signature for callers that store it next to the record
    calls = [c for s in stats for c in s.calls]
    model_time: dict[str, float] = {t.id: 0.0 for t in todos}
    # A spare ran beside the repair it was drawn with: counting it would raise the bound without any work
    # waiting on it (a used spare commits with no call at all).
    timed = [c for c in calls if not c.spare]
    for call in timed:
        model_time[call.todo] = model_time.get(call.todo, 0.0) + call.seconds
    gated = plan.deps if plan.mode in ("serial", "waves") else {}
    bound = critical_path_bound(model_time, gated, agents)
    busy: dict[str, float] = {}
    for call in timed:
        busy[call.agent] = busy.get(call.agent, 0.0) + call.seconds
    schedule = max(bound, max(busy.values(), default=0.0))
    completes = [e.time for e in events if e.type == "complete"]
    implement = max(completes) - started if completes else wall_s
    claims = [c for s in stats for c in s.claims]
    latencies = [x for c in claims for x in c.latencies]
    waits = [x for c in claims for x in c.waits]
    costs = [c.cost_usd for c in calls if c.cost_usd is not None]
    failures = sum(s.model_failures for s in stats)
    last_error = next((s.last_model_error for s in stats if s.last_model_error), None)
    classes = score.test_classes
    return TrialResult(
        task=spec.id,
        requested=requested,
        mode=plan.mode,
        agents=agents,
        transport=config.transport,
        seed=config.seed,
        provider=provider,
        coupling_score=plan.coupling_score,
        edges=sum(len(v) for v in plan.deps.values()),
        waves=len(plan.waves),
        stubs=len(todos),
        wall_s=wall_s,
        implement_s=implement,
        bound_s=bound,
        overhead=(implement / bound - 1) if bound > 0 else 0.0,
        schedule_bound_s=schedule,
        coordination_overhead=(implement / schedule - 1) if schedule > 0 else 0.0,
        first_all_pass_s=judge.first_all_pass_s,
        repair_tail_s=_repair_tail(events),
        check_runs=judge.check_runs,
        check_s=judge.check_seconds,
        passed=score.passed,
        verdict=score.verdict,
        tampered=list(score.tampered),
        collection_error=score.collection_error,
        isolation=list(score.isolation),
        test_verdicts={c.name: c.status == "success" for c in classes},
        test_classes=len(classes),
        test_classes_passed=sum(1 for c in classes if c.status == "success"),
        pass_rate=score.pass_rate,
        tests_run=sum(c.tests_run for c in classes),
        tests_failed=sum(c.tests_failed for c in classes),
        examples_ignored=list(config.judge.ignore_examples),
        max_repairs=config.judge.max_repairs,
        visible_pass=sum(1 for t in todos if t.verdict == "pass"),
        visible_fail=sum(1 for t in todos if t.verdict == "fail" or t.status == TodoStatus.FAILED),
        reopened=judge.reopened,
        calls=len(calls),
        blind_calls=sum(1 for c in calls if c.missing),
        blind_drafts=judge.blind_drafts,
        redrafts=judge.redrafts,
        redraft_calls=sum(1 for c in calls if c.redraft),
        spare_calls=sum(1 for c in calls if c.spare),
        spares_used=sum(s.spares_used for s in stats),
        edit_calls=sum(1 for c in calls if c.edit),
        edit_failures=sum(s.edit_failures for s in stats),
        cut_replies=sum(1 for c in calls if c.cut),
        redraft_output_tokens=sum(c.output_tokens for c in calls if c.redraft),
        redraft_tail_s=_tail(calls),
        output_tokens=sum(c.output_tokens for c in calls),
        input_tokens=sum(c.input_tokens for c in calls),
        cache_read_tokens=sum(c.cache_read_tokens for c in calls),
        cache_write_tokens=sum(c.cache_write_tokens for c in calls),
        cost_usd=sum(costs) if costs else None,
        claims=sum(c.claims for c in claims),
        claim_losses=sum(c.losses for c in claims),
        reclaims=sum(c.reclaims for c in claims),
        double_claims=sum(c.double_claims for c in claims),
        claim_p50_ms=statistics.median(latencies) * 1000 if latencies else None,
        verify_wait_p50_ms=statistics.median(waits) * 1000 if waits else None,
        sync_rtt_bound_ms={agent: round(b * 1000, 3) for agent, b in sorted((rtt_bounds or {}).items())},
        conflicts_found=judge.conflicts_found,
        conflicts_reconciled=judge.conflicts_reconciled,
        regions_restored=judge.regions_restored,
        files_restored=judge.files_restored,
        decorators_restored=judge.decorators_restored,
        crashed=crashed,
        phase=phase,
        speculated=sum(1 for e in events if e.type == "drafts"),
        speculation_passed=sum(1 for e in events if e.type == "drafts" and e.data.get("passed")),
        faults=sum(1 for c in calls if c.fault),
        # Every call failing (no key, dead server) measured the coordination of nothing: not a FAIL.
        status="error" if failures and not calls else "ok",
        model_failures=failures,
        error=last_error if failures and not calls else None,
    )


def error_row(*, task: str, requested: str, seed: int, provider: str, transport: str, error: str) -> TrialResult:
    """The row of a trial that raised before it could be measured (timeout, model error outside the agents)."""
    zero: dict[str, Any] = dict.fromkeys(
        ("agents", "edges", "waves", "stubs", "test_classes", "test_classes_passed", "tests_run", "tests_failed",
         "visible_pass", "visible_fail", "reopened", "calls", "blind_calls", "output_tokens", "input_tokens",
         "claims", "claim_losses", "reclaims", "double_claims", "conflicts_found", "conflicts_reconciled", "faults"),
        0,
    )  # fmt: skip
    timings = dict.fromkeys(("wall_s", "implement_s", "bound_s", "overhead", "schedule_bound_s", "coordination_overhead"), 0.0)
    return TrialResult(
        task=task, requested=requested, mode=requested, transport=transport, seed=seed, provider=provider,
        coupling_score=None, first_all_pass_s=None, passed=False, cost_usd=None, claim_p50_ms=None,
        phase="error", status="error", error=error, **zero, **timings,
    )  # fmt: skip


def repair_window(events: list[Event]) -> tuple[float, float] | None:
    """When the repair tail starts and ends: the moment every committed TODO had first been committed, and the
    last commit (None without commits)."""
    first: dict[str, float] = {}
    for e in events:
        if e.type == "complete" and e.todo is not None:
            first[e.todo] = min(first.get(e.todo, e.time), e.time)
    if not first:
        return None
    return max(first.values()), max(e.time for e in events if e.type == "complete")


def _repair_tail(events: list[Event]) -> float:
    """Last commit minus the moment every committed TODO had first been committed (0 without commits)."""
    window = repair_window(events)
    return 0.0 if window is None else max(0.0, window[1] - window[0])


def _tail(calls: list[CallRecord]) -> float:
    """How much later the last call ended because of re-drafts (0 when they overlapped other work)."""
    ends = [c.started + c.seconds for c in calls]
    plain = [c.started + c.seconds for c in calls if not c.redraft]
    if not ends or not plain:
        return 0.0
    return max(0.0, max(ends) - max(plain))
