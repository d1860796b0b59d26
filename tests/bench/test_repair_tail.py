"""``repair_tail_s``: from the moment every TODO had been committed once to the last commit."""

from __future__ import annotations

from bench._metrics import _repair_tail
from crdt_ws import Event


def _ev(kind: str, todo: str | None, at: float) -> Event:
    return Event(agent="a", type=kind, todo=todo, time=at, data={})


def test_the_tail_starts_when_the_last_first_draft_lands() -> None:
    events = [
        _ev("complete", "x", 1.0), _ev("complete", "y", 3.0), _ev("verdict", "x", 3.5),
        _ev("complete", "x", 5.0),  # x repaired after y's draft: 2 s of tail
        _ev("complete", "y", 7.5),  # then y: the tail runs to the last commit
        _ev("finished", None, 9.0),  # the judge's own end is not a commit
    ]  # fmt: skip
    assert _repair_tail(events) == 4.5


def test_no_repair_no_tail_and_no_commit_no_tail() -> None:
    assert _repair_tail([_ev("complete", "x", 1.0), _ev("complete", "y", 2.0)]) == 0.0
    # A repair that lands before another TODO's first draft is inside the drafting, not after it.
    assert _repair_tail([_ev("complete", "x", 1.0), _ev("complete", "x", 2.0), _ev("complete", "y", 3.0)]) == 0.0
    assert _repair_tail([_ev("claim", "x", 1.0)]) == 0.0
