"""What a run's scheduler decides from: mode, parallelism, priority, drafts, budget, backpressure."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ._decide import DecisionConfig

__all__ = ["Mode", "Objective", "Priority", "SchedulerConfig"]

Mode = Literal["parallel", "serial", "waves", "seeded", "speculate", "revise", "auto"]
Priority = Literal["unblocking", "fifo"]
Objective = Literal["time", "tokens"]


class SchedulerConfig(BaseModel):
    """How implementers take work. Every choice is local to each agent and read off the document."""

    mode: Mode = Field(
        default="auto",
        description="serial: one implementer in dependency order; parallel: every agent claims any pending TODO; "
        "waves: parallel, but a TODO is claimable only once its dependencies are done; speculate: parallel, and a "
        "TODO whose committed code calls a stub it was drafted without seeing is re-drafted once that stub lands, "
        "unless its checks vouch for it; seeded: one TODO (the one most others wait for) is written alone first so every "
        "later draft sees a sibling's code, then as speculate; revise: speculate, and a TODO drafted with no sibling's code in view is "
        "also revised once one is committed (draft then revise); auto: picks one of these per task from the "
        "classifier's graph (time to the first all-pass).",
    )
    objective: Objective = Field(
        default="time",
        description="What auto minimises: time (expected time to the first all-pass) or tokens (expected calls to it).",
    )
    decision: DecisionConfig = Field(default_factory=DecisionConfig, description="The measured risks auto weighs.")
    agents: int = Field(default=4, ge=1, le=64, description="Parallelism cap P: implementers in parallel modes (serial uses one).")
    priority: Priority = Field(
        default="unblocking",
        description="unblocking: TODOs with the most transitive dependents first (they free others' work); "
        "fifo: outline order.",
    )
    drafts: int = Field(
        default=1,
        ge=1,
        le=8,
        description="k-way speculation: each claim asks for k drafts at once and commits the first that passes "
        "the symbol's visible checks; the rest are cancelled.",
    )
    repair_samples: int = Field(
        default=1,
        ge=1,
        le=4,
        description="Replies asked for each repair once every TODO has been drafted (the repair tail, where agents sit "
        "idle): the first is committed, the others are kept on the TODO as spares, and when the judge reopens it "
        "again an implementer commits a spare instead of calling the model. Spare calls count in calls and "
        "tokens, never in the critical-path bound.",
    )
    max_unjudged: int | None = Field(
        default=None,
        ge=1,
        description="Backpressure: stop claiming while this many done TODOs await a verdict (None: never wait).",
    )
    token_budget: int | None = Field(
        default=None,
        ge=1,
        description="Token cap (prompt + output) of one run, shared by every agent; a call that would pass it is "
        "refused before it starts and the run ends as out_of_budget (None: no cap).",
    )
    cost_budget_usd: float | None = Field(default=None, gt=0, description="Cost cap in USD of one run, likewise.")
