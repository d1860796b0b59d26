"""The report's statistics (scipy.stats underneath) on known inputs, against brute force and textbook formulas.

The references here are written independently of the code under test: exact
p-values by enumerating every sign flip, the normal approximation from its
formula, and a few figures written down as fractions.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from bench.report import StatsError, UndefinedStatisticError, bootstrap_ci, effect_size_dz, pass_at_k, spearman, wilcoxon

_rng = np.random.default_rng(20261123)
CASES = {
    "small-exact": ([1.5, -0.3, 2.2, 0.7, -1.1, 3.3, 0.9], "exact"),
    "ties-permutation": ([1, 2, 2, -3, 3, 4, -1, 5, 5], "permutation"),
    "zeros-permutation": ([0, 1, -2, 3, 0, 4, 5.5, -0.5], "permutation"),
    "ties-asymptotic": ([1, 1, 2, 2, 3, -3, 4, 4, 5, 6, -6, 7, 8, 8, 9, 0], "asymptotic"),
    "n50-exact": (list(_rng.normal(0.3, 1.0, 50)), "exact"),
    "n60-asymptotic": (list(_rng.normal(0.3, 1.0, 60)), "asymptotic"),
    "n60-ties-zeros": (list(np.round(_rng.normal(0.2, 1.0, 60), 1)), "asymptotic"),
    "one-sided-data": ([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0], "exact"),
}


def _ranks(values: list[float]) -> list[float]:
    """Average ranks by counting (quadratic, obviously right)."""
    return [1 + sum(v < x for v in values) + (sum(v == x for v in values) - 1) / 2 for x in values]


def _signed_ranks(data: list[float]) -> tuple[list[float], float]:
    nonzero = [x for x in data if x != 0]
    ranks = _ranks([abs(x) for x in nonzero])
    return ranks, sum(r for r, x in zip(ranks, nonzero) if x > 0)


def _enumerated_p(data: list[float]) -> float:
    """Two-sided p of R+ over all 2**n sign flips of the ranks (the exact null, ties and all)."""
    ranks, observed = _signed_ranks(data)
    sums = [sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product((0, 1), repeat=len(ranks))]
    below = sum(t <= observed + 1e-9 for t in sums) / len(sums)
    above = sum(t >= observed - 1e-9 for t in sums) / len(sums)
    return min(1.0, 2 * min(below, above))


def _normal_p(data: list[float]) -> tuple[float, float]:
    ranks, r_plus = _signed_ranks(data)
    n = len(ranks)
    ties = sum(c**3 - c for c in (ranks.count(r) for r in set(ranks)))
    z = (r_plus - n * (n + 1) / 4) / math.sqrt((n * (n + 1) * (2 * n + 1) - ties / 2) / 24)
    return math.erfc(abs(z) / math.sqrt(2)), z


@pytest.mark.parametrize("name", sorted(CASES))
def test_wilcoxon_default_branch_and_p_value(name: str) -> None:
    data, branch = CASES[name]
    ours = wilcoxon(data)
    ranks, r_plus = _signed_ranks(data)
    assert ours.method == branch
    assert ours.statistic == pytest.approx(min(r_plus, sum(ranks) - r_plus))
    if len(ranks) <= 16:
        if branch == "asymptotic":
            p, z = _normal_p(data)
            assert ours.p_value == pytest.approx(p, rel=1e-9)
            assert ours.z == pytest.approx(z, rel=1e-9)
        else:
            assert ours.p_value == pytest.approx(_enumerated_p(data), rel=1e-9)
    elif branch == "asymptotic":
        p, z = _normal_p(data)
        assert ours.p_value == pytest.approx(p, rel=1e-9)
        assert ours.z == pytest.approx(z, rel=1e-9)


def test_wilcoxon_known_figures() -> None:
    # Written down before the statistics moved onto scipy: they must not change beyond rounding.
    assert wilcoxon(CASES["small-exact"][0]).p_value == pytest.approx(float(Fraction(5, 32)), abs=1e-15)
    assert wilcoxon(CASES["ties-permutation"][0]).p_value == pytest.approx(float(Fraction(5, 64)), abs=1e-15)
    assert wilcoxon(CASES["one-sided-data"][0]).p_value == pytest.approx(float(Fraction(2, 256)), abs=1e-15)
    assert wilcoxon(CASES["ties-asymptotic"][0]).p_value == pytest.approx(0.012347279174629229, rel=1e-12)
    assert wilcoxon(CASES["n50-exact"][0]).p_value == pytest.approx(wilcoxon(CASES["n50-exact"][0], method="exact").p_value)
    assert wilcoxon(CASES["n60-asymptotic"][0], method="exact").p_value == pytest.approx(0.0026173322081462173, rel=1e-12)


@pytest.mark.parametrize("name", ["small-exact", "zeros-permutation", "one-sided-data"])
def test_wilcoxon_forced_asymptotic_is_the_normal_approximation(name: str) -> None:
    data, _ = CASES[name]
    p, z = _normal_p(data)
    ours = wilcoxon(data, method="asymptotic")
    assert (ours.method, ours.p_value, ours.z) == ("asymptotic", pytest.approx(p, rel=1e-9), pytest.approx(z, rel=1e-9))


def test_wilcoxon_drops_zeros_and_reports_them() -> None:
    result = wilcoxon([0.0, 0.0, 1.0, 2.0, -0.5])
    assert (result.n, result.zeros) == (3, 2)
    assert wilcoxon([0.0, 0.0]).p_value is None
    with pytest.raises(StatsError, match="empty"):
        wilcoxon([])
    with pytest.raises(StatsError, match="NaN"):
        wilcoxon([1.0, float("nan")])


def test_effect_size_dz() -> None:
    d = [0.3, 0.5, 0.1, 0.9, 0.4]
    assert effect_size_dz(d) == pytest.approx(np.mean(d) / np.std(d, ddof=1))
    with pytest.raises(UndefinedStatisticError, match="sd = 0"):
        effect_size_dz([0.7, 0.7, 0.7])
    with pytest.raises(UndefinedStatisticError, match="at least 2"):
        effect_size_dz([1.0])


def test_bootstrap_is_seeded_and_sane() -> None:
    sample = np.random.default_rng(1).normal(10.0, 2.0, 400)
    a = bootstrap_ci(sample, statistic="mean", seed=3, resamples=4000)
    assert a == bootstrap_ci(sample, statistic="mean", seed=3, resamples=4000)
    assert a != bootstrap_ci(sample, statistic="mean", seed=4, resamples=4000)
    # The percentile interval of a mean approaches mean +- 1.96 standard errors.
    se = float(np.std(sample, ddof=1)) / math.sqrt(sample.size)
    assert a.low == pytest.approx(sample.mean() - 1.96 * se, abs=0.25 * se)
    assert a.high == pytest.approx(sample.mean() + 1.96 * se, abs=0.25 * se)
    median = bootstrap_ci(sample, statistic="median", seed=3)
    assert median.low < float(np.median(sample)) < median.high
    # The figures of the hand-written numpy bootstrap this replaced, same seed: unchanged.
    assert (a.low, a.high) == pytest.approx((9.652020122761586, 10.01730107943226), rel=1e-12)
    b = bootstrap_ci(sample, statistic="median", seed=3, resamples=4000)
    assert (b.low, b.high) == pytest.approx((9.662317959951785, 10.06692828642116), rel=1e-12)
    clustered = bootstrap_ci([1.5 + 0.1 * i for i in range(20)], statistic="median", clusters=[f"t{i % 6}" for i in range(20)], seed=0)
    assert (clustered.low, clustered.high) == pytest.approx((2.0, 2.9), rel=1e-12)
    assert bootstrap_ci([2.5] * 5, seed=0).low == 2.5  # a constant sample has a point interval


def test_cluster_bootstrap_covers_the_variation_between_tasks() -> None:
    # One pair per task: resampling only within tasks would give a zero-width interval.
    values = [1.5 + 0.1 * i for i in range(20)]
    tasks = [f"t{i}" for i in range(20)]
    clustered = bootstrap_ci(values, statistic="median", clusters=tasks, seed=0)
    assert clustered.low < 2.45 < clustered.high and clustered.high - clustered.low > 0.3
    # Two tasks whose pairs agree within the task but not between them: the interval spans both.
    values = [0.0] * 10 + [100.0] * 10
    split = bootstrap_ci(values, statistic="mean", clusters=["a"] * 10 + ["b"] * 10, seed=0)
    assert split.low == 0.0 and split.high == 100.0
    assert bootstrap_ci(values, statistic="mean", clusters=["a"] * 10 + ["b"] * 10, seed=0) == split  # seeded
    with pytest.raises(StatsError, match="cluster"):
        bootstrap_ci(values, clusters=["a"] * 19)


def _pass_at_k_by_enumeration(n: int, c: int, k: int) -> Fraction:
    trials = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return Fraction(sum(any(trials[i] for i in s) for s in subsets), len(subsets))


def test_pass_at_k_matches_enumeration() -> None:
    checked = 0
    for n in range(1, 9):
        for c in range(n + 1):
            for k in range(1, n + 1):
                assert pass_at_k(n, c, k) == pytest.approx(float(_pass_at_k_by_enumeration(n, c, k)), abs=1e-12)
                checked += 1
    assert checked == sum(n * (n + 1) for n in range(1, 9))


def test_pass_at_k_is_stable_for_large_n() -> None:
    exact = 1 - Fraction(math.comb(197, 100), math.comb(200, 100))
    assert pass_at_k(200, 3, 100) == pytest.approx(float(exact), rel=1e-12)
    assert pass_at_k(1000, 1, 1) == pytest.approx(0.001, rel=1e-12)
    with pytest.raises(StatsError):
        pass_at_k(3, 1, 4)
    with pytest.raises(StatsError):
        pass_at_k(3, 4, 1)


def test_spearman_with_ties_is_pearson_on_average_ranks() -> None:
    x = [0.1, 0.4, 0.4, 0.2, 0.9, 0.0, 0.4]
    y = [2.0, 1.1, 1.3, 1.9, 1.0, 2.2, 1.3]
    assert spearman(x, y) == pytest.approx(float(np.corrcoef(_ranks(x), _ranks(y))[0, 1]), abs=1e-12)
    assert spearman(x, y) == pytest.approx(-0.9723448696087954, abs=1e-12)  # the figure before scipy
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    with pytest.raises(UndefinedStatisticError):
        spearman([1, 2], [3, 4])
    with pytest.raises(UndefinedStatisticError, match="constant"):
        spearman([1, 1, 1], [1, 2, 3])
