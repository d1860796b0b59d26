"""The report's configuration and its result, as plain pydantic models (JSON-serialisable)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ._curves import SolveCurve
from ._stats import ConfidenceInterval, WilcoxonResult

__all__ = [
    "ReportConfig",
    "TimeMetric",
    "Comparison",
    "ModeStats",
    "ModeSummary",
    "TaskReport",
    "Unpaired",
    "CouplingPoint",
    "CouplingCorrelation",
    "GroupReport",
    "SourceFile",
    "Report",
]

TimeMetric = Literal["wall_s", "implement_s", "first_all_pass_s", "bound_s"]


class ReportConfig(BaseModel):
    """What to compare and how."""

    baseline: str = Field(default="serial", description="Mode (as requested) every other mode is compared with.")
    time_metric: TimeMetric = Field(
        default="wall_s",
        description="Time compared between modes: wall_s (start to judged), implement_s (to last commit), "
        "first_all_pass_s (to first all-visible-pass) or bound_s (critical-path bound).",
    )
    paired_scale: Literal["log", "seconds"] = Field(
        default="log",
        description="Paired difference the Wilcoxon test and d_z use: log = ln(baseline / mode), scale-free "
        "so tasks of different length pool; seconds = baseline - mode.",
    )
    resamples: int = Field(default=2000, ge=1, description="Bootstrap resamples per confidence interval.")
    seed: int = Field(default=0, description="Seed of every bootstrap (the same seed gives the same intervals).")
    confidence: float = Field(default=0.95, gt=0, lt=1, description="Coverage of the bootstrap intervals.")
    pass_ks: list[Annotated[int, Field(ge=1)]] = Field(default=[1, 2, 5], min_length=1, description="k of each pass@k reported (k > trials shows as n/a).")
    mixed: Literal["group", "refuse"] = Field(
        default="group",
        description="Rows of different (suite, provider, agent cap): group = report each group separately, "
        "refuse = raise MixedResultsError.",
    )


class Comparison(BaseModel):
    """One mode against the baseline over paired trials (same task and seed)."""

    mode: str = Field(description="Mode compared with the baseline.")
    pairs: int = Field(description="Paired trials used.")
    baseline_median_s: float | None = Field(description="Median baseline time over the pairs.")
    mode_median_s: float | None = Field(description="Median time of this mode over the pairs.")
    speedup: float | None = Field(description="Median over pairs of baseline time / mode time (>1: mode faster).")
    speedup_ci: ConfidenceInterval | None = Field(description="Bootstrap interval of that median.")
    saving_s: float | None = Field(description="Mean over pairs of baseline time - mode time, seconds.")
    saving_ci: ConfidenceInterval | None = Field(description="Bootstrap interval of that mean.")
    wilcoxon: WilcoxonResult | None = Field(description="Signed-rank test of the paired differences (see paired_scale).")
    dz: float | None = Field(description="Effect size d_z of the paired differences; None when undefined.")
    dz_note: str | None = Field(default=None, description="Why d_z is undefined.")


class ModeStats(BaseModel):
    """One mode on one task."""

    mode: str = Field(description="Mode as requested.")
    trials: int = Field(description="Trials n.")
    passes: int = Field(description="Trials whose hidden tests all passed, c.")
    pass_at: dict[int, float | None] = Field(description="pass@k for each configured k (None when k > n).")
    median_s: float | None = Field(description="Median time (configured metric) over trials that have it.")
    quartiles_s: tuple[float, float] | None = Field(default=None, description="25th and 75th percentile of that time (the figure's error bars).")
    test_class_rate: float | None = Field(description="Hidden test classes passed / run, pooled over trials.")
    output_tokens: float = Field(description="Mean output tokens per trial.")
    output_tokens_sd: float | None = Field(default=None, description="Standard deviation of output tokens over trials (None with one trial).")
    input_tokens: float = Field(description="Mean input tokens per trial.")
    cost_usd: float | None = Field(description="Mean cost per trial (None: no priced trial).")
    ran_as: dict[str, int] = Field(description="Modes that actually ran, with counts (auto resolves).")


class ModeSummary(BaseModel):
    """One mode over every task of a group."""

    mode: str = Field(description="Mode as requested.")
    tasks: int = Field(description="Tasks with at least one trial.")
    trials: int = Field(description="Trials.")
    passes: int = Field(description="Passing trials.")
    pass_at: dict[int, float | None] = Field(description="Mean over tasks (with n >= k) of per-task pass@k.")
    pass_at_tasks: dict[int, int] = Field(description="Tasks contributing to each pass@k mean.")
    suite_s: float | None = Field(description="Sum over tasks of the per-task median time (None if a task lacks one).")
    test_class_rate: float | None = Field(description="Hidden test classes passed / run, pooled.")
    output_tokens: float = Field(description="Mean output tokens per trial.")
    input_tokens: float = Field(description="Mean input tokens per trial.")
    cost_usd: float | None = Field(description="Total cost (None: nothing priced).")


class TaskReport(BaseModel):
    """Everything about one task."""

    task: str = Field(description="Task id.")
    coupling_score: float | None = Field(description="Classifier's coupling score (median over the task's rows).")
    modes: list[ModeStats] = Field(description="Per mode, baseline first.")
    comparisons: list[Comparison] = Field(description="Each non-baseline mode against the baseline.")


class Unpaired(BaseModel):
    """A trial left out of the paired comparisons, and why."""

    task: str = Field(description="Task id.")
    seed: int = Field(description="Seed.")
    mode: str = Field(description="Mode as requested.")
    run_id: str = Field(description="Run (configuration fingerprint) of the trial.")
    origin: str = Field(description="file:line of the row (file name only).")
    reason: str = Field(description="Why it has no partner.")


class CouplingPoint(BaseModel):
    """A task's coupling score next to each mode's speedup on it."""

    task: str = Field(description="Task id.")
    coupling_score: float | None = Field(description="Classifier's coupling score.")
    speedup: dict[str, float | None] = Field(description="Mode -> median paired speedup on this task.")


class CouplingCorrelation(BaseModel):
    """Spearman rank correlation of coupling score and speedup over tasks."""

    mode: str = Field(description="Mode whose speedup is correlated.")
    tasks: int = Field(description="Tasks with both a coupling score and a speedup.")
    rho: float | None = Field(description="Spearman's rho (None when undefined).")
    note: str | None = Field(default=None, description="Why rho is undefined.")


class GroupReport(BaseModel):
    """Figures for rows sharing suite, provider and agent cap."""

    suite: str = Field(description="Suite name.")
    provider: str = Field(description="Model label.")
    agents: int = Field(description="Agent cap P: the most implementers any trial of the same run_id used.")
    run_ids: list[str] = Field(description="Invocations whose rows are in this group.")
    offline: bool = Field(description="The provider is an offline model.")
    quality_note: str = Field(description="What the pass rates measure.")
    baseline: str = Field(description="Baseline mode.")
    modes: list[str] = Field(description="Modes present, baseline first.")
    rows: int = Field(description="Trials in the group.")
    tasks: list[TaskReport] = Field(description="Per task, sorted by id.")
    overall: list[Comparison] = Field(description="Each mode against the baseline, pooling every task's pairs (bootstrap over tasks, then pairs within them).")
    summaries: list[ModeSummary] = Field(description="Per mode over all tasks.")
    curves: list[SolveCurve] = Field(description="Cumulative solves against wall time, per mode.")
    coupling: list[CouplingPoint] = Field(description="Per task: coupling score and speedups.")
    correlations: list[CouplingCorrelation] = Field(description="Per non-baseline mode: rank correlation of coupling and speedup.")
    unpaired: list[Unpaired] = Field(description="Trials not in any pair, with the reason.")
    notes: list[str] = Field(default_factory=list, description="Anything the reader should know (duplicates, missing baseline...).")


class SourceFile(BaseModel):
    """A results file the report was built from."""

    name: str = Field(description="File name (no directory, so reports do not depend on where files live).")
    rows: int = Field(description="Rows read from it.")


class Report(BaseModel):
    """The whole report: one section per group of comparable rows."""

    config: ReportConfig = Field(description="Configuration used.")
    sources: list[SourceFile] = Field(description="Results files read.")
    providers: list[str] = Field(description="Distinct model labels.")
    offline_only: bool = Field(description="Every provider is an offline model.")
    quality_note: str = Field(description="What the quality figures measure, over all groups.")
    groups: list[GroupReport] = Field(description="Comparable rows, grouped by (suite, provider, agent cap).")
    notes: list[str] = Field(default_factory=list, description="Report-wide remarks (grouping, ...).")
