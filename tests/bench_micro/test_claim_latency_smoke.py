"""The claim benchmark's simulated part on a small grid: adaptive wait vs the fixed 50 ms wait."""

from __future__ import annotations

from bench.micro.claim_latency import simulated


def test_fixed_wait_duplicates_work_where_the_adaptive_wait_does_not() -> None:
    adaptive = simulated(agents=4, delay=0.05, fixed_wait=None, seeds=1)
    fixed = simulated(agents=4, delay=0.05, fixed_wait=0.05, seeds=1)
    assert adaptive["duplicate_rate"] == 0.0
    assert fixed["duplicate_rate"] > 0.0
    assert adaptive["p50_ms"] > fixed["p50_ms"]  # safety costs waiting longer on a slow network
    fast = simulated(agents=4, delay=0.0005, fixed_wait=None, seeds=1)
    assert fast["p50_ms"] < 20 and fast["duplicate_rate"] == 0.0  # and little on a fast one
