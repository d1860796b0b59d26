"""The judge's options and what it reports over a run (kept apart from the agent so the
package half of the judge can name them without importing the agent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["JudgeConfig", "JudgeSummary", "summary_dict"]


class JudgeConfig(BaseModel):
    """Options of the judge agent."""

    max_repairs: int = Field(default=2, ge=0, description="Times one TODO is reopened after failing its visible checks.")
    pyright: bool = Field(default=True, description="Look for semantic conflicts with pyright before finishing.")
    conflict_rounds: int = Field(default=1, ge=0, description="Times TODOs are reopened for pyright conflicts in one run.")
    feedback_chars: int = Field(default=1500, gt=0, description="Longest feedback written into a reopened TODO.")
    max_redrafts: int = Field(
        default=1, ge=0, description="Speculative re-drafts of one TODO (plan modes speculate and revise; see agents.roles._observed)."
    )
    final_check_rounds: int = Field(default=1, ge=0, description="Times TODOs are reopened for failing the final check (FinalCheck) in one run.")
    import_rounds: int = Field(
        default=2,
        ge=0,
        description="Extra final-check rounds, after the regular ones, for a package whose check tests could not be collected (it "
        "does not import: every test scores 0). Each runs the check on the repaired package and acts on a collection error "
        "only, reopening the TODO whose import-time code raised even when it is out of repairs (so does a regular round). "
        "They stop at the first clean import, at a collection error that blames no TODO, or at this cap; a check that cannot "
        "report collection errors (returns a plain dict, not agents.roles._package_checks.CheckFailures) gets none.",
    )
    check_during_run: Literal["off", "drafted", "always"] = Field(
        default="drafted",
        description="Also run the FinalCheck beside the run whenever the package has new commits (one run at a time), reopening "
        "the committed TODOs it blames while repairs go on: 'always' from the first commit, 'drafted' once every TODO has been "
        "committed once (the check tests compete with pyright and the agents for the CPU; see docs/projects.md) and, before "
        "that, once each time the package's import-time code (Plan.imports) is all committed anew; 'off' never. "
        "The final check stays the last word.",
    )
    early_blames: bool = Field(
        default=True,
        description="A check run beside the run (check_during_run) reopens a TODO as soon as one of its tests fails in that "
        "TODO's code, not when the whole run ends: a repair chain's next fault is usually in the test that failed last time. "
        "Only for checks that report tests as they finish (agents.roles.pytest_check).",
    )
    check_test_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Limit for one check test (a multi-file task's visible tests, beside the run and at the end): past it the "
        "test is an error that blames no TODO and the rest run on. The projects' check tests take at most 0.23 s each on their "
        "references here; a draft that loops forever would otherwise hold the one check run in flight, and every repair the "
        "checks would ask for, for the hidden tests' 60 s (bplustree: 58 s of a 77 s run).",
    )
    ignore_examples: list[str] = Field(
        default_factory=list,
        description="Symbols whose doctest examples are not checks (a benchmark whose own reference fails them: "
        "ClassEval has many). Their TODOs get no visible verdict from examples.",
    )


@dataclass
class JudgeSummary:
    """What the judge found over a run."""

    checks: int = 0
    passed: int = 0
    failed: int = 0
    reopened: int = 0
    conflicts_found: int = 0
    conflicts_reconciled: int = 0
    conflicts_reopened: int = 0
    first_all_pass_s: float | None = None
    check_runs: int = 0
    check_seconds: float = 0.0
    check_reopened: int = 0
    check_unchanged: int = 0  # check failures left as they were by the TODO's last repair: closed, not reopened
    import_reopened: int = 0
    regions_restored: int = 0
    files_restored: int = 0
    decorators_restored: int = 0
    blind_drafts: int = 0
    redrafts: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def summary_dict(summary: JudgeSummary) -> dict[str, object]:
    """The summary as the JSON the finished phase records in ``meta.judge``."""
    return {
        "checks": summary.checks,
        "passed": summary.passed,
        "failed": summary.failed,
        "reopened": summary.reopened,
        "conflicts_found": summary.conflicts_found,
        "conflicts_reconciled": summary.conflicts_reconciled,
        "conflicts_reopened": summary.conflicts_reopened,
        "regions_restored": summary.regions_restored,
        "files_restored": summary.files_restored,
        "decorators_restored": summary.decorators_restored,
        "blind_drafts": summary.blind_drafts,
        "redrafts": summary.redrafts,
        "check_runs": summary.check_runs,
        "check_seconds": round(summary.check_seconds, 3),
        "check_reopened": summary.check_reopened,
        "check_unchanged": summary.check_unchanged,
        "import_reopened": summary.import_reopened,
    }
