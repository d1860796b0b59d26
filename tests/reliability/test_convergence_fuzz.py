"""The convergence fuzz, CI-sized: seeded trials over a reordering, duplicating, partitioning network."""

from __future__ import annotations

import io

from bench.micro._fuzz import describe, replay, run_trial, shrink
from bench.micro.convergence_fuzz import run

TRIALS = 300


def test_seeded_trials_never_diverge() -> None:
    out = io.StringIO()
    total, diverged = run(seed=20261123, trials=TRIALS, out=out)
    assert diverged == [], out.getvalue()
    assert total.divergences == 0
    assert total.trials == TRIALS
    # The network really was hostile, and the replicas really worked.
    assert total.operations > 15 * TRIALS
    assert total.duplicated > 500 and total.reordered > 1000
    assert total.partitions > 100 and total.dropped > 300 and total.syncs > total.partitions


def test_trials_are_reproducible_from_their_seed() -> None:
    first, again = run_trial(7, 11), run_trial(7, 11)
    assert first.actions == again.actions
    assert first.counts == again.counts
    assert replay(first.actions).counts.operations == first.counts.operations


def test_the_checker_catches_a_divergence_and_shrinks_it() -> None:
    # Straight into Doc.apply_update, out-of-order updates can be lost for good
    # (the pycrdt 0.14.13 pitfall crdt_ws.UpdateInbox exists for): the fuzz must see it.
    outcome = next(o for o in (run_trial(0, t, "raw") for t in (277, 270, 2, 6)) if o.diverged)
    assert any("differ" in d for d in outcome.differences)
    small = shrink(outcome)
    assert small.diverged and len(small.actions) <= 12 < len(outcome.actions)
    assert "deliver" in describe(small)
    # The same trace through the inbox converges.
    setup, *body = small.actions
    assert not replay([(setup[0], setup[1], "inbox"), *body]).diverged
