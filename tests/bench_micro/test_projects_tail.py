"""The repair-tail split of bench.micro.projects_tail: what part of the tail had a model call in flight."""

from __future__ import annotations

from crdt_ws import Event

from bench.micro.projects_tail import drafts_bound, tail_split


def _event(kind: str, todo: str | None, at: float, **data: float) -> Event:
    return Event(agent="a", type=kind, todo=todo, time=at, data=dict(data))


def test_the_tail_starts_when_every_todo_was_committed_once_and_counts_overlapping_calls_once() -> None:
    events = [
        _event("model_call", "x", 1.0, seconds=1.0),
        _event("complete", "x", 1.1),
        _event("model_call", "y", 2.0, seconds=2.0),
        _event("complete", "y", 2.1),  # every TODO committed: the tail starts
        _event("model_call", "x", 4.1, seconds=1.5),  # 2.6-4.1
        _event("model_call", "y", 4.6, seconds=1.0),  # 3.6-4.6, overlaps the call before
        _event("complete", "x", 4.2),
        _event("model_call", "x", 7.1, seconds=1.0),  # 6.1-7.1, after a gap of checks and claims
        _event("complete", "x", 7.2),
    ]
    tail, busy = tail_split(events)
    assert abs(tail - 5.1) < 1e-9
    assert abs(busy - (2.0 + 1.0)) < 1e-9


def test_a_call_begun_before_the_tail_counts_from_its_start_and_no_tail_means_zeros() -> None:
    events = [
        _event("complete", "x", 1.0),
        _event("complete", "y", 2.0),
        _event("model_call", "x", 3.0, seconds=2.5),  # began at 0.5, in the tail from 2.0
        _event("complete", "x", 3.5),
    ]
    assert tail_split(events) == (1.5, 1.0)
    assert tail_split(events[:1]) == (0.0, 0.0)  # one commit: no tail yet
    assert tail_split([_event("complete", "x", 1.0)]) == (0.0, 0.0)  # committed once, nothing after


def test_the_drafts_bound_takes_each_todo_s_first_call_only() -> None:
    events = [
        _event("model_call", "x", 2.0, seconds=2.0),
        _event("model_call", "y", 1.0, seconds=1.0),
        _event("model_call", "z", 1.0, seconds=1.0),
        _event("model_call", "x", 9.0, seconds=5.0),  # a repair: not a draft
    ]
    assert drafts_bound(events, 2) == 2.0
    assert drafts_bound(events, 1) == 4.0
    assert drafts_bound([], 4) == 0.0
