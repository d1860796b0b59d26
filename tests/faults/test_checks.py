"""The after-fault checks on real pycrdt documents: each must catch what it is for, and only that."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from bench.faults import copy_doc, definition_counts, diverged_regions, lost_updates, not_done, read_store
from crdt_ws import Relay, RelayConfig, TodoEntry, TodoStatus, WebsocketConfig, WebsocketTransport, Workspace


def seeded() -> Workspace:
    ws = Workspace("outliner")
    ws.create_file("m.py", "class A:\n    def f(self):\n        pass\n")
    ws.add_todo(TodoEntry(id="A.f", file="m.py", symbol="A.f"))
    ws.log("outline", None, stubs=1)
    return ws


def test_a_later_version_supersedes_and_loses_nothing() -> None:
    ws = seeded()
    before = copy_doc(ws.doc)
    ws.update_todo("A.f", status=TodoStatus.DONE, result="    def f(self):\n        return 1\n")
    ws.edit("m.py", 0, 0, "# header\n")
    ws.log("complete", "A.f")
    assert lost_updates(before, ws.doc) == []


def test_a_missing_event_a_missing_edit_and_a_missing_todo_are_each_reported() -> None:
    ws = seeded()
    base = copy_doc(ws.doc)
    ws.log("claim", "A.f", attempt=1)
    ws.edit("m.py", 0, len("class A:"), "class B:")  # a deletion and an insertion
    ws.add_todo(TodoEntry(id="A.g", file="m.py", symbol="A.g"))
    lost = lost_updates(ws.doc, base)
    assert "event claim by outliner on A.f" in lost
    assert "files['m.py'] lacks edits of the earlier document" in lost
    assert "todos['A.g'] lacks edits of the earlier document" in lost
    assert len(lost) == 3


def test_a_lost_deletion_alone_is_reported() -> None:
    ws = seeded()
    ws.edit("m.py", 0, 0, "import os\n")
    after = copy_doc(ws.doc)
    ws.edit("m.py", 0, len("import os\n"), "")
    assert lost_updates(ws.doc, after) == ["files['m.py'] lacks edits of the earlier document"]


def test_definitions_are_counted_including_a_leftover_stream_nested_in_its_own_body() -> None:
    clean = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n"
    assert definition_counts(clean, ["A.f", "A.g"]) == {"A.f": 1, "A.g": 1}
    twice = clean + "\n    def f(self):\n        return 3\n"
    assert definition_counts(twice, ["A.f", "A.g"]) == {"A.f": 2, "A.g": 1}
    nested = "class A:\n    def f(self):\n        def f(self):\n            return 1\n        pass\n"
    assert definition_counts(nested, ["A.f"]) == {"A.f": 2}
    assert definition_counts("class A:\n    def g(self): pass\n", ["A.f"]) == {"A.f": 0}
    assert definition_counts("class A:\n    def f(self) return\n", ["A.f"]) == {"A.f": -1}


def test_not_done_names_the_recorded_reason() -> None:
    ws = seeded()
    ws.add_todo(TodoEntry(id="A.g", file="m.py", symbol="A.g"))
    ws.update_todo("A.f", status=TodoStatus.DONE)
    ws.update_todo("A.g", status=TodoStatus.FAILED)
    ws.log("give_up", "A.g", attempts=5)
    assert not_done(ws) == {"A.g": "failed (give_up: {'attempts': 5.0})"}


@pytest.mark.anyio
async def test_read_store_returns_what_the_relay_persisted(tmp_path: Path) -> None:
    assert read_store(tmp_path / "none.sqlite", "r").get_update() == read_store(tmp_path / "none.sqlite", "r").get_update()
    ws = seeded()
    async with Relay(RelayConfig(port=0, store_dir=tmp_path)) as relay:
        async with WebsocketTransport(WebsocketConfig(url=relay.url, room="r")).connect(ws):
            ws.edit("m.py", 0, 0, "# ✓ non-ASCII\n")
            with anyio.fail_after(5):
                while Workspace("x", read_store(tmp_path / "r.sqlite", "r")).content_hash() != ws.content_hash():
                    await anyio.sleep(0.02)
    stored = read_store(tmp_path / "r.sqlite", "r")
    assert lost_updates(ws.doc, stored) == [] and lost_updates(stored, ws.doc) == []
    assert Workspace("x", stored).read("m.py").startswith("# ✓ non-ASCII\n")


def test_a_done_todo_whose_region_is_not_its_result_is_reported() -> None:
    ws = seeded()
    code = "    def f(self):\n        return 1\n"
    ws.replace_symbol("m.py", "A.f", code)
    ws.update_todo("A.f", status=TodoStatus.DONE, result=code)
    assert diverged_regions(ws) == []
    ws.replace_symbol("m.py", "A.f", "    def f(self):\n        pass\n")  # the buffer lost the committed code
    assert diverged_regions(ws) == ["A.f"]
