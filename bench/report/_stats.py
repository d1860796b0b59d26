"""Paired statistics, on ``scipy.stats`` (a runtime dependency of the report).

* :func:`wilcoxon` — two-sided Wilcoxon signed-rank test on paired
  differences: ``scipy.stats.wilcoxon(d)`` with its defaults
  (``zero_method="wilcox"``, ``correction=False``, ``method="auto"``), plus
  what the report prints about it: the non-zero count, zeros, ties, and which
  null distribution scipy used (``auto`` as of scipy 1.15-1.17: with at most 50
  differences and no ties or zeros the exact distribution of the rank sum;
  with ties or zeros and at most 13 differences the exact sign-flip
  permutation; otherwise the normal approximation with tie correction and no
  continuity correction).
* :func:`effect_size_dz` — mean over standard deviation of the differences.
* :func:`bootstrap_ci` — seeded percentile bootstrap of a median or mean
  (``scipy.stats.bootstrap``), optionally two-stage: resample clusters (tasks),
  then values within each drawn cluster (scipy has no cluster bootstrap; the
  percentile is scipy's on those resamples).
* :func:`pass_at_k` — the unbiased pass@k estimator in product form.
* :func:`spearman` — ``scipy.stats.spearmanr`` (average ranks for ties).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field
from scipy import stats as sps

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
    """Ranks 1..n with ties given their average rank (``scipy.stats.rankdata``), and the size of every tie group."""
    arr = np.asarray(values, dtype=float)
    _, counts = np.unique(arr, return_counts=True)
    return sps.rankdata(arr, method="average"), [int(c) for c in counts]


def wilcoxon(differences: Sequence[float] | np.ndarray, *, method: WilcoxonMethod = "auto") -> WilcoxonResult:
    """Two-sided signed-rank test that the differences are symmetric about zero (see module docstring)."""
    d = _as_sample(differences, "wilcoxon")
    nonzero = d[d != 0]
    n, zeros = int(nonzero.size), int(d.size - nonzero.size)
    if n == 0:
        return WilcoxonResult(statistic=0.0, p_value=None, n=0, zeros=zeros, ties=False, method="none")
    ties = any(g > 1 for g in average_ranks(np.abs(nonzero))[1])
    chosen = method
    if method == "auto":
        # scipy decides on the full length (zeros included); named here for the report.
        if d.size > 50:
            chosen = "asymptotic"
        elif not ties and zeros == 0:
            chosen = "exact"
        elif d.size <= 13:
            chosen = "permutation"
        else:
            chosen = "asymptotic"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that exact p-values with ties/zeros are approximate: we say which we used
        result = sps.wilcoxon(d, zero_method="wilcox", correction=False, method=method)
    z = None
    if chosen == "asymptotic":
        # |z| from scipy's normal-approximation p-value; its sign is that of R+ minus its mean under the null.
        r_plus = float(average_ranks(np.abs(nonzero))[0][nonzero > 0].sum())
        size = float(sps.norm.isf(float(result.pvalue) / 2.0))  # type: ignore[attr-defined]
        z = size if r_plus >= n * (n + 1) / 4.0 else -size
    return WilcoxonResult(
        statistic=float(result.statistic),  # type: ignore[attr-defined]
        p_value=min(1.0, float(result.pvalue)),  # type: ignore[attr-defined]
        n=n,
        zeros=zeros,
        ties=ties,
        method=chosen,
        z=z,
    )


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
    reduce = np.median if statistic == "median" else np.mean
    if clusters is None:
        if np.all(values == values[0]):
            low = high = float(values[0])  # scipy refuses a degenerate sample; every resample is that value
        else:
            result = sps.bootstrap(
                (values,), reduce, n_resamples=resamples, confidence_level=confidence, method="percentile", rng=rng, vectorized=True
            )
            low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        return ConfidenceInterval(low=low, high=high, confidence=confidence, resamples=resamples)
    if len(clusters) != values.size:
        raise StatsError(f"bootstrap: {len(clusters)} cluster labels for {values.size} values")
    labels = np.asarray(clusters, dtype=object)
    members = [np.flatnonzero(labels == label) for label in sorted(set(clusters))]
    draws = np.empty(resamples)
    for r in range(resamples):
        picked = rng.integers(0, len(members), size=len(members))
        index = np.concatenate([members[c][rng.integers(0, members[c].size, size=members[c].size)] for c in picked])
        draws[r] = reduce(values[index])
    alpha = 1.0 - confidence
    low, high = (float(v) for v in np.atleast_1d(sps.scoreatpercentile(draws, [100 * alpha / 2.0, 100 * (1.0 - alpha / 2.0)])))
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
    if np.all(a == a[0]) or np.all(b == b[0]):
        raise UndefinedStatisticError("rank correlation undefined: one variable is constant")
    return float(sps.spearmanr(a, b).statistic)  # type: ignore[attr-defined]
