"""The board re-parses only the TODO entries that changed: after any mix of local and remote
changes, what it reads equals a full parse of the map, in id order."""

from __future__ import annotations

import random

import pytest
from pycrdt import Doc, Map

from claim_protocol import ClaimBoard, NotClaimable
from crdt_ws import TodoEntry, TodoStatus, Workspace


def full(ws: Workspace) -> list[TodoEntry]:
    return ws.list_todos()


@pytest.mark.parametrize("seed", range(5))
def test_incremental_reads_equal_a_full_parse(seed: int) -> None:
    rng = random.Random(seed)
    mine, other = Workspace("a", Doc(client_id=1)), Workspace("b", Doc(client_id=2))
    board = ClaimBoard(mine)
    for i in range(30):
        mine.add_todo(TodoEntry(id=f"pkg/m{i % 4}.py::C.f{i}", file=f"pkg/m{i % 4}.py", symbol=f"C.f{i}"))
    assert board.entries() == full(mine)
    for step in range(200):
        ws = rng.choice([mine, other])
        ids = sorted(ws.todos.keys())
        action = rng.random()
        if action < 0.5 and ids:
            ws.update_todo(rng.choice(ids), status=rng.choice(list(TodoStatus)), heartbeat=step, assignee=ws.agent_id)
        elif action < 0.65:
            ws.add_todo(TodoEntry(id=f"new/{step}.py::f", file=f"new/{step}.py", symbol="f"))
        elif action < 0.75 and ids:
            del ws.todos[rng.choice(ids)]
        elif action < 0.85 and ids:
            victim = rng.choice(ids)  # the entry replaced wholesale
            ws.todos[victim] = Map(TodoEntry(id=victim, file="x.py", symbol="g", attempt=step).to_doc())
        else:
            with ws.transaction():  # several entries in one transaction
                for todo_id in ids[:3]:
                    ws.update_todo(todo_id, attempt=step)
        if rng.random() < 0.5:
            for x, y in ((mine, other), (other, mine)):
                y.doc.apply_update(x.doc.get_update(y.doc.get_state()))
        if rng.random() < 0.7:
            assert board.entries() == full(mine), f"step {step}"
    assert [e.id for e in board.entries()] == sorted(mine.todos.keys())


def test_a_bad_entry_is_refused_and_a_later_fix_is_read() -> None:
    ws = Workspace("a")
    board = ClaimBoard(ws)
    ws.add_todo(TodoEntry(id="t", file="a.py", symbol="f"))
    assert [e.id for e in board.entries()] == ["t"]
    ws.todos["t"]["attempt"] = "not a number"
    with pytest.raises(NotClaimable):
        board.entries()
    ws.todos["t"]["attempt"] = 2
    assert board.entries()[0].attempt == 2
