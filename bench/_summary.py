"""The lines a finished run ends with: the headline, model failures, and the estimate's error.

The headline compares every mode with serial on the paired trials (same task
and seed): the median of serial/mode wall-time ratios with a 95% bootstrap
interval clustered by task (``bench.report.bootstrap_ci``), then the class
pass rate per mode, then which model answered (offline ones say so).  Error
rows are left out of every figure and counted on their own line.
"""

from __future__ import annotations

import statistics

from ._metrics import TrialResult
from ._trial import NOT_SCORED
from .report import bootstrap_ci

__all__ = ["failure_lines", "headline"]


def headline(rows: list[TrialResult]) -> list[str]:
    """``parallel 1.9x faster than serial (CI 1.7-2.1), ...`` and ``class pass ...``; each line under 100 columns."""
    ok = [r for r in rows if r.status == "ok"]
    if not ok:
        return ["no trial finished without error: nothing to compare"]
    canonical = ("serial", "parallel", "waves", "auto")
    modes = sorted({r.requested for r in ok}, key=lambda m: canonical.index(m) if m in canonical else len(canonical))
    by_pair = {(r.task, r.seed, r.requested): r.wall_s for r in ok}
    clauses: list[str] = []
    for mode in modes:
        if mode == "serial":
            continue
        pairs = [(task, by_pair[(task, seed, "serial")] / wall) for (task, seed, m), wall in by_pair.items()
                 if m == mode and (task, seed, "serial") in by_pair and wall > 0]  # fmt: skip
        if not pairs:
            continue
        ratios = [ratio for _, ratio in pairs]
        median = statistics.median(ratios)
        word = "faster" if median >= 1 else "slower"
        shown = median if median >= 1 else 1 / median
        if len({task for task, _ in pairs}) >= 2:
            ci = bootstrap_ci(ratios, statistic="median", seed=0, clusters=[task for task, _ in pairs])
            span = f"(CI {ci.low:.2f}-{ci.high:.2f}, n={len(ratios)})" if median >= 1 else f"(n={len(ratios)})"
        else:
            span = f"(n={len(ratios)}, one task: no CI)"
        clauses.append(f"{mode} {shown:.2f}x {word} than serial {span}")
    scored = [r for r in ok if r.verdict != NOT_SCORED]  # rows whose hidden tests did not run count neither way
    passing = ", ".join(
        f"{m} {100 * sum(r.passed for r in scored if r.requested == m) / max(1, sum(1 for r in scored if r.requested == m)):.0f}%"
        for m in modes
    ) if scored else "hidden tests not scored"
    provider = ok[0].provider
    lines = [*clauses, f"class pass: {passing}; {_origin(provider)}"]
    return [line if len(line) <= 100 else line[:99] + "…" for line in lines]


def failure_lines(rows: list[TrialResult]) -> list[str]:
    """Model failures and error rows of these trials (nothing when there were none)."""
    failed = sum(r.model_failures for r in rows)
    errors = [r for r in rows if r.status == "error"]
    if not failed and not errors:
        return []
    lines = [f"model failures: {failed} calls failed in {sum(1 for r in rows if r.model_failures)} trials; "
             f"{len(errors)} error trials (left out of the figures, run again on resume)"]  # fmt: skip
    if errors and errors[-1].error:
        lines.append(f"last error: {errors[-1].error}"[:100])
    return lines


def _origin(provider: str) -> str:
    if "offline" not in provider:
        return f"model {provider}"
    short = provider.split(" (")[0]
    return f"offline {short} (not a live model)"
