"""Workspace accessors, schema errors and the observation API (other replicas only)."""

from __future__ import annotations

import anyio
import pytest

from crdt_ws import (
    EventAppended,
    FileAdded,
    FileEdited,
    MemoryHub,
    MetaChanged,
    Presence,
    Region,
    SchemaError,
    TodoChanged,
    TodoEntry,
    TodoStatus,
    UnknownFile,
    UnknownTodo,
    Workspace,
)

STACK = 'class Stack:\n    """LIFO — à la carte."""\n\n    def push(self, x):\n        pass\n\n    def pop(self):\n        pass\n'


def test_todo_round_trip_and_validation() -> None:
    ws = Workspace("outliner")
    ws.add_todo(TodoEntry(id="t1", file="stack.py", symbol="Stack.push", deps=["t0"]))
    entry = ws.update_todo("t1", status=TodoStatus.CLAIMED, assignee="impl-1", attempt=1)
    assert (entry.status, entry.assignee, entry.attempt, entry.deps) == (TodoStatus.CLAIMED, "impl-1", 1, ["t0"])
    with pytest.raises(SchemaError, match="status"):
        ws.update_todo("t1", status="exploded")
    assert ws.todo("t1").status is TodoStatus.CLAIMED  # nothing half-applied
    with pytest.raises(UnknownTodo):
        ws.todo("nope")
    with pytest.raises(UnknownFile):
        ws.read("nope.py")
    assert [t.id for t in ws.todos_with(TodoStatus.CLAIMED)] == ["t1"]


def test_events_are_typed_and_ordered() -> None:
    ws = Workspace("judge")
    ws.log("verdict", "t1", passed=3, failed=0)
    ws.log("conflict", None, kind="duplicate")
    events = ws.read_events()
    assert [(e.type, e.todo, e.agent) for e in events] == [("verdict", "t1", "judge"), ("conflict", None, "judge")]
    assert events[0].data == {"passed": 3, "failed": 0}


def test_presence_is_validated() -> None:
    ws = Workspace("impl-1")
    ws.set_presence(Presence(agent="impl-1", region=Region(file="a.py", symbol="A.f", start=3, end=9)))
    assert ws.presences()[ws.doc.client_id].region == Region(file="a.py", symbol="A.f", start=3, end=9)
    with pytest.raises(SchemaError):
        ws.set_presence(Presence(agent="someone-else"))


@pytest.mark.anyio
async def test_observer_sees_other_replicas_changes_but_not_its_own() -> None:
    hub = MemoryHub()
    a, b = Workspace("a"), Workspace("b")
    async with hub.connect(a), hub.connect(b):
        async with b.observe() as changes:
            a.create_file("stack.py", STACK)
            a.add_todo(TodoEntry(id="t1", file="stack.py", symbol="Stack.push"))
            a.replace_symbol("stack.py", "Stack.pop", "    def pop(self):\n        return self.items.pop()  # é\n")
            a.update_todo("t1", status="claimed", assignee="a")
            a.log("claim", "t1")
            a.set_meta(phase="implement")
            b.log("own", None)  # b's own change: must not show up
            b.edit("stack.py", 0, 0, "# b's header\n")
            with anyio.fail_after(2):
                seen = [await changes.__anext__() for _ in range(6)]
            assert changes.drain() == []
    assert isinstance(seen[0], FileAdded) and seen[0].path == "stack.py"
    assert isinstance(seen[1], TodoChanged) and seen[1].todo_id == "t1"
    assert isinstance(seen[2], FileEdited) and seen[2].symbols == {"Stack.pop"}
    assert isinstance(seen[3], TodoChanged) and seen[3].keys == {"status", "assignee"}
    assert isinstance(seen[4], EventAppended) and seen[4].event.type == "claim"
    assert isinstance(seen[5], MetaChanged) and seen[5].keys == {"phase"}


@pytest.mark.anyio
async def test_streamed_edits_reach_the_other_replica_chunk_by_chunk() -> None:
    hub = MemoryHub()
    a, b = Workspace("writer"), Workspace("reader")
    async with hub.connect(a), hub.connect(b):
        a.create_file("stack.py", STACK)
        span = a.buffer("stack.py").span("Stack.pop")
        async with b.observe() as changes:
            with a.stream("stack.py", span.end) as writer:
                for chunk in ["    def peek(self):\n", "        return self.items[-1]", "  # ✓\n"]:
                    writer.write(chunk)
                    b.edit("stack.py", 0, 0, "#\n")  # concurrent edit above the stream
            edits = [c for c in changes.drain() if isinstance(c, FileEdited)]
    assert len(edits) == 3
    assert "    def peek(self):\n        return self.items[-1]  # ✓\n" in b.read("stack.py")
    assert a.read("stack.py") == b.read("stack.py")


def test_region_of_a_symbol_for_presence() -> None:
    from crdt_ws import Region

    ws = Workspace("a")
    ws.create_file("s.py", "class S:\n    def f(self):\n        pass\n")
    region = ws.region("s.py", "S.f")
    assert (region.file, region.symbol) == ("s.py", "S.f")
    assert ws.read("s.py")[region.start : region.end].startswith("    def f(self):")
    assert ws.region("s.py", "S.missing") == Region(file="s.py", symbol="S.missing")  # no span, no error
