"""What ``auto`` runs: the schedule expected to reach a correct result soonest.

Each candidate schedule is simulated in rounds of ``agents`` calls over the
classifier's dependency graph (one call = one round slot; replies of one
task are of similar length).  The simulation counts, for the final draft of
each TODO, whether it was written *blind* (some predicted dependency not yet
committed) or *without context* (no other TODO committed yet), and the
re-drafts ``speculate`` / ``seeded`` / ``revise`` would spend.  ``seeded``
writes one TODO alone first (the seed: see ``seed_of``)
so that every later draft has a sibling's code in view, then runs like
``speculate``.  A blind final draft is
wrong with probability ``blind_risk``, a context-less one with
``context_risk`` (measured, see :class:`DecisionConfig`).  The expected time
to the first all-pass is then

    rounds + verdict waits + (1 - P(all right)) * recovery

where ``recovery`` is what a wrong result costs to put right: a repair round
(``repair_rounds``) when the judge repairs, and when it does not (``max_repairs
0``, as for replayed recordings) redoing the task with everything in view,
one TODO at a time (``n`` rounds).  ``auto`` minimises it (objective
``time``; ``tokens`` minimises the calls likewise) among the schedules whose
P(all right) is at most ``max_quality_loss`` below serial's when nothing is
repaired (then P(all right) is the quality the run ends with): serial's
quality at the best speed the task allows.  Without that floor the soonest *expected*
all-pass can be a fast schedule that is more often wrong: on ClassEval's
replay, parallel lost 4 of 32 three- and four-method classes that serial and
seeded passed, while its expected time still won.  Ties go to the schedule
with the fewest agents and the least work thrown away (serial, parallel,
waves, seeded, speculate, revise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from ._graph import seed_of

__all__ = ["Decision", "DecisionConfig", "Estimate", "estimate", "decide_schedule"]

Decision = Literal["parallel", "serial", "waves", "seeded", "speculate", "revise"]
# Ties go to the schedule with the fewest agents and the least work thrown away; parallel before waves: with
# equal estimates, waiting for predicted dependencies only adds idle time (on ClassEval, waves planned by the
# classifier ran at 1.37x serial's speed against parallel's 2.04x, measured on main before this rule).
_SIMPLER: tuple[Decision, ...] = ("serial", "parallel", "waves", "seeded", "speculate", "revise")


class DecisionConfig(BaseModel):
    """The measured costs ``auto`` weighs."""

    blind_risk: float = Field(
        default=0.12,
        ge=0.0,
        lt=1.0,
        description="P(a draft written without a dependency's code is wrong where the informed one is right): 5 of 43 "
        "methods with ground-truth dependencies on ClassEval's even (tuning) ids, GPT-4-Turbo compositional vs incremental "
        "recordings (python -m bench.micro.classeval_risks; GPT-3.5-Turbo: 0.16). The reverse happens too (6 of 43).",
    )
    context_risk: float = Field(
        default=0.05,
        ge=0.0,
        lt=1.0,
        description="The same for a draft with no other method's code in view, over methods without dependencies: "
        "7 of 146 on the even ids, GPT-4-Turbo (GPT-3.5-Turbo: 0.055; the reverse: 11 of 146).",
    )
    repair_rounds: float | None = Field(
        default=1.0,
        ge=0.0,
        description="Rounds a repair takes to put a wrong draft right (its call; the judge's check overlaps other work). "
        "None: the judge does not repair (max_repairs 0), so a wrong result costs a redo with everything in view: one "
        "round per TODO.",
    )
    max_quality_loss: float | None = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="When nothing is repaired (repair_rounds None), only schedules whose P(every final draft right) is at "
        "most this far below serial's are candidates (0: never expected to end worse than serial; None: no floor, the "
        "soonest expected all-pass wins). With repairs a wrong draft is put right within the run, priced in time.",
    )
    verdict_rounds: float = Field(
        default=0.2,
        ge=0.0,
        description="Rounds a re-draft waits for the verdict that could vouch for the draft it replaces (sandboxed "
        "doctests, 0.4-1 s measured, against 3-6 s for a model call at real speed): added once per round that holds "
        "re-drafts.",
    )
    candidates: list[Decision] = Field(
        default_factory=lambda: list(_SIMPLER), min_length=1, description="Schedules auto may choose from."
    )


class Estimate(BaseModel):
    """One schedule, simulated."""

    mode: Decision
    rounds: int = Field(description="Rounds of `agents` calls until every final draft is committed.")
    calls: int = Field(description="Model calls: first drafts plus re-drafts.")
    blind: int = Field(description="Final drafts written without some predicted dependency's code.")
    contextless: int = Field(description="Final drafts written with no other TODO committed.")
    p_right: float = Field(description="P(every final draft is right) under the configured risks.")
    expected_rounds: float = Field(
        description="rounds + verdict waits + (1 - p_right) * recovery: expected time to the first all-pass."
    )
    expected_calls: float = Field(description="calls + (1 - p_right) * recovery calls: expected calls to the first all-pass.")


def estimate(mode: Decision, ids: Sequence[str], deps: Mapping[str, Sequence[str]], agents: int, config: DecisionConfig) -> Estimate:
    """Simulate ``mode`` over the graph in rounds (see the module docstring)."""
    width = 1 if mode == "serial" else max(1, agents)
    gated = mode in ("serial", "waves")
    order = list(ids)
    need = {i: [d for d in deps.get(i, ()) if d != i and d in set(order)] for i in order}
    done: set[str] = set()
    drafted: set[str] = set()
    blind: dict[str, bool] = {}
    bare: dict[str, bool] = {}
    revisions: list[str] = []
    revised: set[str] = set()
    rounds = calls = waits = 0
    seed = seed_of(order, need) if mode == "seeded" else None
    while len(drafted) < len(order) or revisions:
        ready = [i for i in order if i not in drafted and all(d in done for d in need[i])]
        if seed is not None and seed not in done:
            ready = [seed]  # everyone else waits for the seed's code
        unready = [] if gated or (seed is not None and seed not in done) else [i for i in order if i not in drafted and i not in ready]
        if gated and not ready and len(drafted) < len(order):
            ready = [next(i for i in order if i not in drafted)]  # a cycle: cut it, as the scheduler does
        jobs = (ready + revisions + unready)[:width]
        if not jobs:
            break
        rounds += 1
        calls += len(jobs)
        waits += any(job in revisions for job in jobs)
        snapshot = set(done)
        for job in jobs:
            if job in revisions:
                revisions.remove(job)
                revised.add(job)
            drafted.add(job)
            blind[job] = not all(d in snapshot for d in need[job])
            bare[job] = not (snapshot - {job})
        done |= set(jobs)
        if mode in ("speculate", "seeded", "revise"):
            for i in order:
                if i in revised or i in revisions or i not in done:
                    continue
                if (blind[i] and all(d in done for d in need[i])) or (mode == "revise" and bare[i] and done - {i}):
                    revisions.append(i)
    n_blind = sum(1 for i in order if blind.get(i))
    n_bare = sum(1 for i in order if bare.get(i) and not blind.get(i))
    p_right = (1 - config.blind_risk) ** n_blind * (1 - config.context_risk) ** n_bare
    recovery = float(len(order)) if config.repair_rounds is None else config.repair_rounds
    recovery_calls = float(len(order)) if config.repair_rounds is None else 1.0
    return Estimate(
        mode=mode,
        rounds=rounds,
        calls=calls,
        blind=n_blind,
        contextless=n_bare,
        p_right=p_right,
        expected_rounds=rounds + waits * config.verdict_rounds + (1 - p_right) * recovery,
        expected_calls=calls + (1 - p_right) * recovery_calls,
    )


def decide_schedule(
    ids: Sequence[str],
    deps: Mapping[str, Sequence[str]],
    agents: int,
    objective: Literal["time", "tokens"] = "time",
    config: DecisionConfig | None = None,
) -> tuple[Decision, list[str], list[Estimate]]:
    """The schedule ``auto`` runs, why, and every candidate's estimate."""
    config = config or DecisionConfig()
    estimates = [estimate(m, ids, deps, agents, config) for m in config.candidates]

    def cost(e: Estimate) -> tuple[float, float, int]:
        main = e.expected_rounds if objective == "time" else e.expected_calls
        return (round(main, 6), e.calls if objective == "time" else e.rounds, _SIMPLER.index(e.mode))

    serial = next((e for e in estimates if e.mode == "serial"), None) or estimate("serial", ids, deps, agents, config)
    # With repairs a wrong draft is put right within the run and the expected time already prices it; without them
    # (max_repairs 0) P(all right) is the quality the run ends with, so it is held at serial's.
    floor = None if config.max_quality_loss is None or config.repair_rounds is not None else serial.p_right - config.max_quality_loss
    eligible = [e for e in estimates if floor is None or e.p_right >= floor - 1e-9] or estimates
    best = min(eligible, key=cost)
    edges = sum(len(v) for v in deps.values())
    what = "expected rounds to the first all-pass" if objective == "time" else "expected calls to the first all-pass"
    reasons = [
        f"{len(ids)} TODOs, {edges} predicted dependencies, {agents} agents; {best.mode} has the fewest {what} "
        f"({best.expected_rounds if objective == 'time' else best.expected_calls:.2f})",
        "estimates (rounds, calls, blind, context-less, P(all right), expected rounds): "
        + "; ".join(f"{e.mode} {e.rounds}, {e.calls}, {e.blind}, {e.contextless}, {e.p_right:.2f}, {e.expected_rounds:.2f}" for e in estimates),
        (
            "no quality floor" + (" (wrong drafts are repaired)" if config.repair_rounds is not None else "")
            if floor is None
            else f"quality floor: P(all right) at least {floor:.2f} (serial's {serial.p_right:.2f} - {config.max_quality_loss:g})"
            + (f"; below it: {', '.join(e.mode for e in estimates if e not in eligible)}" if len(eligible) < len(estimates) else "")
        ),
        f"risks: blind draft {config.blind_risk:.2f}, context-less draft {config.context_risk:.2f}; a wrong result costs "
        + ("a redo, one round per TODO (no repairs)" if config.repair_rounds is None else f"{config.repair_rounds:g} repair round(s)"),
    ]
    return best.mode, reasons, estimates
