"""Paired statistics, written here so scipy stays a test-only dependency.

* :func:`wilcoxon` — two-sided Wilcoxon signed-rank test on paired
  differences, matching ``scipy.stats.wilcoxon(d)`` with its defaults
  (``zero_method="wilcox"``, ``correction=False``, ``method="auto"``) as of
  scipy 1.15-1.17: zeros are dropped; with at most 50 differences and no ties
  or zeros the p-value is exact (the null distribution of the rank sum);
  with ties or zeros and at most 13 differences it is the exact sign-flip
  permutation p-value (which scipy computes by enumerating all 2**n flips);
  otherwise the normal approximation with tie correction and no continuity
  correction.  ``method="exact"`` and ``method="asymptotic"`` force a branch,
  as scipy's do.
* :func:`effect_size_dz` — mean over standard deviation of the differences.
* :func:`bootstrap_ci` — seeded percentile bootstrap of a median or mean,
  optionally two-stage: resample clusters (tasks), then values within each drawn cluster.
* :func:`pass_at_k` — the unbiased pass@k estimator in product form.
* :func:`spearman` — rank correlation with average ranks for ties.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from ._errors import StatsError, UndefinedStatisticError

__all__ = [
    "WilcoxonResult",
    "ConfidenceInterval",
    "wilcoxon",
    "effect_size_dz",
    "bootstrap_ci",
    "pass_at_k",
    "spearman",
    "average_ranks",
]

WilcoxonMethod = Literal["auto", "exact", "asymptotic"]


class WilcoxonResult(BaseModel):
    """Outcome of a two-sided signed-rank test."""

    statistic: float = Field(description="min(R+, R-): the smaller signed rank sum (scipy's two-sided statistic).")
    p_value: float | None = Field(description="Two-sided p-value; None when every difference is zero (nothing to rank).")
    n: int = Field(description="Non-zero differences ranked.")
    zeros: int = Field(description="Zero differences dropped (zero_method='wilcox').")
    ties: bool = Field(description="Some absolute differences were tied (average ranks used).")
    method: str = Field(description="exact, permutation (exact sign-flip enumeration), asymptotic, or none.")
    z: float | None = Field(default=None, description="Normal-approximation z of R+ (asymptotic only).")


class ConfidenceInterval(BaseModel):
    """A percentile bootstrap interval, reproducible from its seed."""

    low: float = Field(description="Lower percentile of the bootstrap distribution.")
    high: float = Field(description="Upper percentile of the bootstrap distribution.")
    confidence: float = Field(description="Nominal coverage, e.g. 0.95.")
    resamples: int = Field(description="Bootstrap resamples drawn.")


def _as_sample(values: Sequence[float] | np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        raise StatsError(f"{what}: empty sample")
    if not np.all(np.isfinite(arr)):
        raise StatsError(f"{what}: sample contains NaN or infinity")
    return arr


def average_ranks(values: Sequence[float] | np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Ranks 1..n with ties given their average rank, and the size of every tie group."""
    arr = np.asarray(values, dtype=float)
    order = np.argsort(arr, kind="mergesort")
    ranks = np.empty(arr.size, dtype=float)
    groups: list[int] = []
    i = 0
    while i < arr.size:
        j = i
        while j + 1 < arr.size and arr[order[j + 1]] == arr[order[i]]:
            j += 1
        ranks[order[i : j + 1]] = (i + j + 2) / 2.0
        groups.append(j - i + 1)
        i = j + 1
    return ranks, groups


def _subset_sum_counts(weights: Sequence[int]) -> list[int]:
    """counts[s] = number of subsets of ``weights`` summing to s (the sign-flip null distribution)."""
    counts = [0] * (sum(weights) + 1)
    counts[0] = 1
    top = 0
    for w in weights:
        top += w
        for s in range(top, w - 1, -1):
            counts[s] += counts[s - w]
    return counts


def _two_sided_from_counts(counts: list[int], low: int, high: int) -> float:
    """2 * min(P(T <= low), P(T >= high)), clipped to 1, under the given null counts."""
    total = sum(counts)
    below = sum(counts[: low + 1]) / total
    above = sum(counts[high:]) / total
    return min(1.0, 2.0 * min(below, above))


def wilcoxon(differences: Sequence[float] | np.ndarray, *, method: WilcoxonMethod = "auto") -> WilcoxonResult:
    """Two-sided signed-rank test that the differences are symmetric about zero (see module docstring)."""
    d = _as_sample(differences, "wilcoxon")
    nonzero = d[d != 0]
    n, zeros = int(nonzero.size), int(d.size - nonzero.size)
    if n == 0:
        return WilcoxonResult(statistic=0.0, p_value=None, n=0, zeros=zeros, ties=False, method="none")
    ranks, groups = average_ranks(np.abs(nonzero))
    r_plus = float(ranks[nonzero > 0].sum())
    r_minus = float(ranks[nonzero < 0].sum())
    ties = any(g > 1 for g in groups)
    chosen = method
    if method == "auto":
        # scipy decides on the full length (zeros included), as reproduced here.
        if d.size > 50:
            chosen = "asymptotic"
        elif not ties and zeros == 0:
            chosen = "exact"
        elif d.size <= 13:
            chosen = "permutation"
        else:
            chosen = "asymptotic"
    statistic = min(r_plus, r_minus)
    if chosen == "exact":
        counts = _subset_sum_counts(list(range(1, n + 1)))
        # With ties R+ may be a half-integer; rounding outward is conservative (scipy gh-19872).
        p = _two_sided_from_counts(counts, math.ceil(r_plus), math.floor(r_plus))
        return WilcoxonResult(statistic=statistic, p_value=p, n=n, zeros=zeros, ties=ties, method="exact")
    if chosen == "permutation":
        # Average ranks are multiples of 1/2: doubling makes the enumeration exact in integers.
        doubled = [int(round(2 * r)) for r in ranks]
        counts = _subset_sum_counts(doubled)
        observed = int(round(2 * r_plus))
        p = _two_sided_from_counts(counts, observed, observed)
        return WilcoxonResult(statistic=statistic, p_value=p, n=n, zeros=zeros, ties=ties, method="permutation")
    mean = n * (n + 1) / 4.0
    tie_term = sum(g**3 - g for g in groups) / 2.0
    se = math.sqrt((n * (n + 1) * (2 * n + 1) - tie_term) / 24.0)
    z = (r_plus - mean) / se
    p = min(1.0, math.erfc(abs(z) / math.sqrt(2.0)))
    return WilcoxonResult(statistic=statistic, p_value=p, n=n, zeros=zeros, ties=ties, method="asymptotic", z=z)


def effect_size_dz(differences: Sequence[float] | np.ndarray) -> float:
    """Cohen's d_z: mean(d) / sd(d, ddof=1).

    Raises :class:`UndefinedStatisticError` with fewer than two differences or
    when they are all equal (sd = 0: the ratio is 0/0 or infinite, neither a size).
    """
    d = _as_sample(differences, "effect size")
    if d.size < 2:
        raise UndefinedStatisticError("d_z needs at least 2 paired differences")
    # Test equality, not sd == 0: the sd of equal floats can come out as 1e-17.
    if np.all(d == d[0]):
        raise UndefinedStatisticError(f"d_z undefined: every paired difference equals {float(d[0]):.6g} (sd = 0)")
    return float(np.mean(d)) / float(np.std(d, ddof=1))


def bootstrap_ci(
    sample: Sequence[float] | np.ndarray,
    *,
    statistic: Literal["median", "mean"] = "median",
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int | Sequence[int] = 0,
    clusters: Sequence[str] | None = None,
) -> ConfidenceInterval:
    """Percentile bootstrap interval of the sample's median or mean.

    The same ``seed`` gives the same interval.  With ``clusters`` (one label
    per value, e.g. its task) each resample draws as many clusters as there
    are, with replacement, then each drawn cluster's values with replacement:
    the interval then covers the variation between tasks, which is what a
    claim about "tasks like these" needs (resampling only within tasks would
    call one pair per task a certainty).
    """
    values = _as_sample(sample, "bootstrap")
    if resamples < 1:
        raise StatsError(f"bootstrap: resamples must be >= 1, got {resamples}")
    if not 0.0 < confidence < 1.0:
        raise StatsError(f"bootstrap: confidence must be in (0, 1), got {confidence}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    if clusters is None:
        draws = values[rng.integers(0, values.size, size=(resamples, values.size))]
        stats = np.median(draws, axis=1) if statistic == "median" else np.mean(draws, axis=1)
    else:
        if len(clusters) != values.size:
            raise StatsError(f"bootstrap: {len(clusters)} cluster labels for {values.size} values")
        labels = np.asarray(clusters, dtype=object)
        members = [np.flatnonzero(labels == label) for label in sorted(set(clusters))]
        reduce = np.median if statistic == "median" else np.mean
        stats = np.empty(resamples)
        for r in range(resamples):
            picked = rng.integers(0, len(members), size=len(members))
            index = np.concatenate([members[c][rng.integers(0, members[c].size, size=members[c].size)] for c in picked])
            stats[r] = reduce(values[index])
    alpha = 1.0 - confidence
    low, high = np.quantile(stats, [alpha / 2.0, 1.0 - alpha / 2.0])
    return ConfidenceInterval(low=float(low), high=float(high), confidence=confidence, resamples=resamples)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n trials with c passes: 1 - C(n-c, k) / C(n, k).

    Computed as 1 - prod_{i=n-c+1..n} (1 - k/i), which never forms the huge binomials.
    """
    if n < 1 or not 0 <= c <= n:
        raise StatsError(f"pass@k: need n >= 1 and 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise StatsError(f"pass@k: need 1 <= k <= n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1, dtype=float)))


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (Pearson on average ranks).

    Raises :class:`UndefinedStatisticError` for fewer than 3 points or a constant variable.
    """
    if len(x) != len(y):
        raise StatsError(f"spearman: {len(x)} x values but {len(y)} y values")
    if len(x) < 3:
        raise UndefinedStatisticError(f"rank correlation needs at least 3 points, got {len(x)}")
    a, b = _as_sample(x, "spearman x"), _as_sample(y, "spearman y")
    ra, rb = average_ranks(a)[0], average_ranks(b)[0]
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = math.sqrt(float(np.sum(ra * ra)) * float(np.sum(rb * rb)))
    if denom == 0.0:
        raise UndefinedStatisticError("rank correlation undefined: one variable is constant")
    return float(np.sum(ra * rb)) / denom
