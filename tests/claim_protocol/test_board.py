"""The sans-IO board and loop on real pycrdt replicas, with explicit clocks."""

from __future__ import annotations

import pytest
from pycrdt import Doc

from claim_protocol import (
    ClaimBoard,
    ClaimConfig,
    CancelWork,
    Claim,
    ClaimLoop,
    Finished,
    NotClaimable,
    NotHolder,
    Sleep,
    StartWork,
    Sync,
    SyncEstimator,
)
from crdt_ws import TodoStatus, Workspace

from ._live import code_for, seed_todos


def pair() -> tuple[Workspace, Workspace]:
    """Two replicas; ``sync()`` exchanges everything both ways (a perfect network on demand)."""
    return Workspace("a", Doc(client_id=1)), Workspace("b", Doc(client_id=2))


def sync(*replicas: Workspace) -> None:
    for x in replicas:
        for y in replicas:
            if x is not y:
                y.doc.apply_update(x.doc.get_update(y.doc.get_state()))


def test_concurrent_claims_converge_to_one_winner() -> None:
    a, b = pair()
    seed_todos(a, 1)
    sync(a, b)
    board_a, board_b = ClaimBoard(a), ClaimBoard(b)
    claim_a, claim_b = board_a.claim("t0", 0.0), board_b.claim("t0", 0.0)  # neither saw the other
    sync(a, b)
    outcomes = [board_a.verify(claim_a, 1.0), board_b.verify(claim_b, 1.0)]
    assert sorted(outcomes) == [False, True]
    loser = board_a if not outcomes[0] else board_b
    assert loser.pause_until > 1.0  # the loser backs off before its next claim
    types = [e.type for e in a.read_events()] + [e.type for e in b.read_events()]
    assert "loss" in types and "verify" in types


def test_a_silent_claim_turns_stale_on_the_observers_clock_and_is_reclaimed() -> None:
    a, b = pair()
    seed_todos(a, 1)
    sync(a, b)
    config = ClaimConfig(heartbeat_interval=0.1, lease=1.0, min_wait=0.01, max_wait=0.01)
    holder, observer = ClaimBoard(a, config), ClaimBoard(b, config)
    claim = holder.claim("t0", 100.0)  # the holder's clock is unrelated to the observer's
    sync(a, b)
    observer.observe(5.0)
    assert observer.candidates(5.5) == []
    holder.heartbeat(claim, 100.5)
    sync(a, b)
    observer.observe(5.9)  # a heartbeat moved: the lease restarts on the observer's clock
    assert observer.candidates(6.8) == []
    assert [e.id for e in observer.candidates(6.9)] == ["t0"]
    reclaim = observer.claim("t0", 6.9)
    sync(a, b)
    assert observer.verify(reclaim, 7.0)
    assert b.todo("t0").attempt == 2
    kinds = [e.type for e in b.read_events()]
    assert kinds[-3:] == ["expire", "reclaim", "verify"]
    assert not holder.heartbeat(claim, 101.0)  # the old holder learns it lost the lease
    assert a.read_events()[-1].type == "preempted"


def test_completion_is_idempotent_and_a_lost_claim_commits_nothing() -> None:
    a, b = pair()
    seed_todos(a, 2)
    sync(a, b)
    board = ClaimBoard(a)
    claim = board.claim("t0", 0.0)
    assert board.verify(claim, 1.0)
    code = code_for("Jobs.job0", "a")
    board.complete(claim, code, 2.0)
    board.commit(a, a.todo("t0"), code)  # committing the same code again
    assert a.read("jobs.py").count("return 'a'") == 1 and a.todo("t0").status == TodoStatus.DONE
    other = ClaimBoard(b)
    lost = other.claim("t1", 0.0)
    assert other.verify(lost, 0.1)
    sync(a, b)
    assert not board.stale(a.todo("t1"), 50.0)  # never observed silent: not stale
    a.update_todo("t1", assignee="a", attempt=2)  # someone else's write wins meanwhile
    sync(a, b)
    with pytest.raises(NotHolder):
        other.complete(lost, code_for("Jobs.job1", "b"), 1.0)
    assert "return 'b'" not in b.read("jobs.py")


def test_ready_todos_come_first_and_spread_over_agents() -> None:
    ws = Workspace("solo")
    seed_todos(ws, 6, deps={0: [5], 1: [5], 2: [5]})
    board = ClaimBoard(ws)
    ranked = [e.id for e in board.candidates(0.0)]
    assert set(ranked[:3]) == {"t3", "t4", "t5"}
    orders = {tuple(e.id for e in ClaimBoard(Workspace(f"agent-{i}", ws.doc)).candidates(0.0)) for i in range(6)}
    assert len(orders) > 1, "every agent ranks identically: they would all collide on one TODO"


def test_a_reopened_todo_comes_before_every_fresh_one_for_every_agent() -> None:
    # t0 is reopened by the judge (pending again with a fail verdict) and has an unfinished dependency:
    # it still ranks first, ahead of the ready fresh TODOs, on every agent's board; without the
    # preference it would not for most agents (the hash spreads them).
    ws = Workspace("solo")
    seed_todos(ws, 8, deps={0: [7]})
    ws.update_todo("t0", verdict="fail", repairs=1)
    for i in range(8):
        board = ClaimBoard(Workspace(f"agent-{i}", ws.doc))
        assert board.candidates(0.0)[0].id == "t0"
    plain = [ClaimBoard(Workspace(f"agent-{i}", ws.doc), ClaimConfig(prefer_repairs=False)).candidates(0.0)[0].id for i in range(8)]
    assert plain.count("t0") == 0, "unready, without the preference it ranks after every ready TODO"
    ws.update_todo("t0", status=TodoStatus.CLAIMED)
    assert "t0" not in [e.id for e in ClaimBoard(ws).candidates(0.0)], "a claimed repair is nobody's candidate"


def test_unknown_and_finished_todos_are_not_claimable() -> None:
    ws = Workspace("solo")
    seed_todos(ws, 1)
    board = ClaimBoard(ws)
    with pytest.raises(NotClaimable, match="nope"):
        board.claim("nope", 0.0)
    claim = board.claim("t0", 0.0)
    assert board.verify(claim, 0.1)
    with pytest.raises(NotClaimable, match="claimed"):
        board.claim("t0", 0.2)


def test_out_of_attempts_marks_the_todo_failed() -> None:
    ws = Workspace("solo")
    seed_todos(ws, 1)
    board = ClaimBoard(ws, ClaimConfig(max_attempts=1))
    ws.update_todo("t0", attempt=1)
    with pytest.raises(NotClaimable, match="failed"):
        board.claim("t0", 0.0)
    assert ws.todo("t0").status == TodoStatus.FAILED
    assert isinstance(ClaimLoop(board).poll(1.0), Finished)


def test_the_loop_walks_claim_verify_work_complete() -> None:
    ws = Workspace("solo")
    seed_todos(ws, 1)
    config = ClaimConfig(min_wait=0.05, max_wait=0.05, heartbeat_interval=0.5, lease=2.0)
    loop = ClaimLoop(ClaimBoard(ws, config))
    assert isinstance(loop.poll(0.0), Sync)  # a fresh view first
    loop.synced()
    first = loop.poll(0.0)
    assert isinstance(first, Sleep) and first.until == pytest.approx(0.05)
    start = loop.poll(0.05)
    assert isinstance(start, StartWork) and start.entry.id == "t0"
    beat = loop.poll(0.06)
    assert isinstance(beat, Sleep) and beat.until == pytest.approx(0.55)
    loop.poll(0.55)
    assert ws.todo("t0").heartbeat == 1
    assert loop.finished(start.claim, code_for("Jobs.job0", "solo"), 0.7)
    assert isinstance(loop.poll(0.8), Finished)


def _started(loop: ClaimLoop, now: float, wait: float) -> StartWork:
    """Poll one claim through sync, claim and verify; the StartWork it ends with."""
    assert isinstance(loop.poll(now), Sync)
    loop.synced()
    assert isinstance(loop.poll(now), Sleep)
    start = loop.poll(now + wait)
    assert isinstance(start, StartWork)
    return start


def test_a_detached_claim_stays_held_and_alive_while_the_next_is_worked_on() -> None:
    ws = Workspace("solo")
    seed_todos(ws, 2)
    config = ClaimConfig(min_wait=0.05, max_wait=0.05, heartbeat_interval=0.5, lease=2.0)
    loop = ClaimLoop(ClaimBoard(ws, config))
    first = _started(loop, 0.0, 0.05)
    assert not loop.detach(Claim("t1", 1, 0.0, 0.0, 0.0))  # only the claim being worked on detaches
    assert loop.detach(first.claim)
    second = _started(loop, 0.1, 0.05)
    assert {first.entry.id, second.entry.id} == {"t0", "t1"}
    assert [c.todo for c in loop.held] == [first.entry.id, second.entry.id]
    beat = loop.poll(0.2)  # the detached claim's heartbeat is due first, and is kept
    assert isinstance(beat, Sleep) and beat.until == pytest.approx(0.55)
    loop.poll(0.55)
    assert ws.todo(first.entry.id).heartbeat == 1
    assert loop.finished(first.claim, code_for(f"Jobs.job{first.entry.id[1:]}", "solo"), 0.6)
    assert ws.todo(first.entry.id).status == TodoStatus.DONE
    assert not loop.finished(first.claim, code_for("Jobs.job0", "solo"), 0.6)  # its work ended once
    assert loop.finished(second.claim, code_for(f"Jobs.job{second.entry.id[1:]}", "solo"), 0.7)
    assert isinstance(loop.poll(0.8), Finished)


def test_a_detached_claim_that_is_lost_cancels_its_work_and_commits_nothing() -> None:
    a, b = pair()
    seed_todos(a, 2)
    sync(a, b)
    config = ClaimConfig(min_wait=0.01, max_wait=0.01, heartbeat_interval=0.1, lease=1.0, sync_before_claim=False)
    loop = ClaimLoop(ClaimBoard(a, config), choose=lambda c: next((e for e in c if e.id == "t0"), None))
    assert isinstance(loop.poll(0.0), Sleep)
    start = loop.poll(0.05)  # no round trip measured yet: the initial wait
    assert isinstance(start, StartWork) and start.entry.id == "t0"
    assert loop.detach(start.claim)
    sync(a, b)
    observer = ClaimBoard(b, config)  # sees no heartbeat for a lease (the holder was stalled) and takes t0
    observer.observe(5.0)
    reclaim = observer.claim("t0", 6.1)
    sync(a, b)
    assert observer.verify(reclaim, 6.2)
    sync(a, b)
    cancel = loop.poll(0.2)  # the holder's next heartbeat finds the claim gone
    assert isinstance(cancel, CancelWork) and cancel.claim is start.claim
    assert not loop.finished(start.claim, code_for("Jobs.job0", "a"), 0.3)
    assert a.todo("t0").assignee == "b" and a.todo("t0").status == TodoStatus.CLAIMED


def test_the_wait_follows_measured_round_trips_and_peers() -> None:
    ws = Workspace("a")
    config = ClaimConfig()
    est = SyncEstimator(config)
    assert est.wait(ws) == config.initial_wait
    for _ in range(8):
        est.record(0.002)
    fast = est.wait(ws)
    assert fast < 0.02
    est.publish(ws)
    ws.set_meta(**{"sync_rtt.b": 0.2})  # a slow peer's published bound
    assert est.wait(ws) >= config.safety_factor * 0.2
    for _ in range(8):
        est.record(0.05)
    bound = est.bound()
    assert bound is not None and 0.05 <= bound < 0.15  # never under a recent sample, shrinking as it settles


def test_config_rejects_a_lease_shorter_than_the_heartbeat() -> None:
    with pytest.raises(ValueError, match="lease"):
        ClaimConfig(heartbeat_interval=1.0, lease=0.5)


def test_restore_regions_puts_back_a_done_todos_recorded_result() -> None:
    from crdt_ws import TodoEntry

    from claim_protocol import restore_regions

    ws = Workspace("judge", Doc(client_id=9))
    winner = "    def push(self, x):\n        self.items.append(x)\n"
    loser = "    def push(self, x):\n        self.items.insert(0, x)\n"
    # What a completion landing after every claim loop ended can leave: both implementations in one region.
    ws.create_file("stack.py", "class Stack:\n" + winner + loser + "\n    def pop(self):\n        pass\n")
    ws.add_todo(TodoEntry(id="push", file="stack.py", symbol="Stack.push", status=TodoStatus.DONE, result=winner))
    ws.add_todo(TodoEntry(id="pop", file="stack.py", symbol="Stack.pop"))
    assert restore_regions(ws, only={"pop"}) == []  # limited to other TODOs: untouched
    assert restore_regions(ws) == ["push"]
    source = ws.read("stack.py")
    assert source.count("def push") == 1 and "self.items.append(x)" in source and "insert(0" not in source
    assert "def pop(self):\n        pass" in source  # nothing else touched
    assert [e.type for e in ws.read_events()] == ["region_restored"]
    assert restore_regions(ws) == []  # clean now: nothing to do


def test_restore_regions_drops_a_half_streamed_second_copy() -> None:
    from crdt_ws import TodoEntry

    from claim_protocol import restore_regions

    result = '    def f(self):\n        """Doc.\n\n        >>> 1\n        1\n        """\n        return 1\n'
    broken = '    def f(self):\n        """Doc."""\n        retur(\n'  # a loser's stream, cut off: the module does not parse
    ws = Workspace("judge", Doc(client_id=9))
    ws.create_file("a.py", "class A:\n" + result + broken + "\n    def g(self):\n        pass\n")
    ws.add_todo(TodoEntry(id="f", file="a.py", symbol="A.f", status=TodoStatus.DONE, result=result))
    assert restore_regions(ws) == ["f"]
    assert ws.read("a.py") == "class A:\n" + result + "\n    def g(self):\n        pass\n"


def test_protocol_fields_are_typed_and_two_losers_flags_both_survive() -> None:
    """``doubles``/``repaired`` live under one document key per agent: concurrent flags of two losers both stay.

    (One dict-valued key would keep only one writer's value: concurrent sets of a
    Map key converge to a single winner.)  An entry written in the old layout by
    a plain Map reads back typed.
    """
    from pycrdt import Map

    a, b = pair()
    seed_todos(a, 1)
    sync(a, b)
    a.update_todo("t0", doubles={"a": "w"})
    b.update_todo("t0", doubles={"b": "w"})
    sync(a, b)
    assert a.todo("t0").doubles == b.todo("t0").doubles == {"a": "w", "b": "w"}
    raw = a.todos_raw()["t0"]
    assert raw["double.a"] == raw["double.b"] == "w" and "doubles" not in raw

    with a.transaction():
        a.todos["old"] = Map({"id": "old", "file": "m.py", "symbol": "A.f", "status": "done", "done_by": "x",
                              "lease_s": 1.5, "double.y": "x", "repaired.y": "x", "seen": ["z"]})  # fmt: skip
    old = a.todo("old")
    assert (old.done_by, old.lease_s, old.doubles, old.repaired) == ("x", 1.5, {"y": "x"}, {"y": "x"})
    assert old.model_extra == {"seen": ["z"]}  # other extra keys are kept as before
