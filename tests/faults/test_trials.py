"""Whole fault trials: a relay process, implementer processes, the outliner and judge here, one fault.

One kind runs by default (``commit``: the pause point, the kill, the reclaim
and every check end to end, ~15 s); the others are ``slow``.  The benchmark
``python -m bench.micro.fault_injection`` runs many of each.
"""

from __future__ import annotations

import pytest

from agents.judge import Judge
from bench.faults import FaultKind, FaultTrialConfig, run_fault_trial

pytestmark = pytest.mark.anyio

_SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(FaultKind.COMMIT, id="commit"),
        pytest.param(FaultKind.CLAIM, id="claim", marks=_SLOW),
        pytest.param(FaultKind.STREAM, id="stream", marks=_SLOW),
        pytest.param(FaultKind.RELAY, id="relay"),  # the kind that found the most bugs: always run
        pytest.param(FaultKind.DROP, id="drop", marks=_SLOW),
    ],
)
async def test_the_run_survives_the_fault_and_loses_nothing(kind: FaultKind, judge: Judge) -> None:
    result = await run_fault_trial(FaultTrialConfig(kind=kind, seed=1, implementers=2, timeout_s=90), judge=judge)
    assert result.error is None, result
    assert result.kills >= 1, result.notes
    assert result.lost == [] and result.persisted_final
    assert result.duplicates == {} and result.missing == []
    assert result.not_done == {}
    assert result.hidden_passed
    assert result.survivor_exit and all(code == 0 for code in result.survivor_exit), result.notes
    # Every done region holds exactly what the judge passed (after a relay restart, the judge's
    # end-of-run restore is what guarantees it).
    assert result.diverged == []
    assert result.ok
    if kind in (FaultKind.CLAIM, FaultKind.STREAM, FaultKind.COMMIT):
        assert result.kills == 1 and result.at_fault_point, result
        assert result.reclaims >= 1 and len(result.recover_s) == 1, result.notes
        assert result.survivor_exit == [0]
    elif kind == FaultKind.RELAY:
        assert result.reconnects >= 4 and len(result.recover_s) == 1 and len(result.downtime_s) == 1
    else:
        assert result.reconnects >= result.kills
