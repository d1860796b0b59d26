"""Replay: a finished run's stored history, scrubbed back to an earlier state."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from crdt_ws import TodoEntry, TodoStatus

from ._helpers import RO, eventually

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

V1 = "def area(r):\n    pass\n"
V2 = "def area(r):\n    return 3.14159 * r * r  # π r²\n"


async def test_replay_scrubs_back_to_an_earlier_state(viewer: Any, connect: Any, open_page: Any, shot: Any) -> None:
    async with connect("agent") as agent:
        # Each step is stored before the next, so the history has distinct points to scrub to.
        agent.create_file("circle.py", V1)
        agent.add_todo(TodoEntry(id="area", file="circle.py", symbol="area"))
        await eventually(lambda: _stored(viewer) >= 1, what="the first version stored")
        agent.update_todo("area", status=TodoStatus.CLAIMED, assignee="agent", attempt=1)
        await eventually(lambda: _stored(viewer) >= 2, what="the claim stored")
        agent.replace_symbol("circle.py", "area", V2)
        agent.update_todo("area", status=TodoStatus.DONE, result=V2)
        agent.log("commit", "area")
    await viewer.relay.flush()  # the run is over and stored

    page = await open_page(RO, mode="replay")
    length = await page.evaluate("window.__viewer.length")
    assert length >= 3
    assert await page.evaluate("window.__viewer.position") == length
    assert await page.evaluate("window.__viewer.editorText()") == V2
    assert await page.locator('div.column[data-status="done"] .card[data-todo="area"]').count() == 1
    await shot(page, "replay_end")

    # Scrub with the keyboard, as a person would: to the start, then forward until the first version.
    slider = page.locator("#scrub")
    await slider.focus()
    await page.keyboard.press("Home")
    assert await page.evaluate("window.__viewer.position") == 0
    assert await page.evaluate("window.__viewer.editorText()") is None  # nothing written yet
    seen: list[str | None] = []
    for _ in range(length):
        await page.keyboard.press("ArrowRight")
        seen.append(await page.evaluate("window.__viewer.editorText()"))
        if seen[-1] == V1:
            break
    assert seen[-1] == V1, seen
    position = await page.evaluate("window.__viewer.position")
    assert 0 < position < length
    assert (await page.locator("#when").inner_text()).startswith(f"{position}/{length} · +")
    assert await page.locator('.card[data-todo="area"]').get_attribute("data-status") in ("pending", "claimed")
    await shot(page, "replay_earlier")

    # And forward again to the end: the final state, rebuilt incrementally.
    await page.keyboard.press("End")
    assert await page.evaluate("window.__viewer.editorText()") == V2


def _stored(viewer: Any) -> int:
    room = viewer.relay.room("viewer-test")
    return 0 if room is None else room.stats["persisted"]


async def test_replay_starts_at_the_first_update_even_past_store_checkpoints(viewer: Any, connect: Any, open_page: Any) -> None:
    """pycrdt-store writes a checkpoint every 100 updates; replay must still begin at update 1, not at the checkpoint."""
    async with connect("agent") as agent:
        agent.create_file("log.py", "# 0\n")
        await eventually(lambda: _stored(viewer) >= 1, what="the first update stored")
        for i in range(1, 230):
            before = _stored(viewer)
            agent.edit("log.py", len(agent.read("log.py")), len(agent.read("log.py")), f"# {i}\n")
            await eventually(lambda: _stored(viewer) > before, what=f"update {i} stored on its own")
    await viewer.relay.flush()
    path = viewer.relay.config.store_path("viewer-test")
    db = sqlite3.connect(path)
    try:
        rows = int(db.execute("SELECT count(*) FROM yupdates WHERE path = 'viewer-test'").fetchone()[0])
        first = float(db.execute("SELECT min(timestamp) FROM yupdates WHERE path = 'viewer-test'").fetchone()[0])
        checkpoint = db.execute("SELECT timestamp FROM ycheckpoints WHERE path = 'viewer-test'").fetchone()
    finally:
        db.close()
    assert rows >= 230 and checkpoint is not None and float(checkpoint[0]) > first  # updates exist before the checkpoint

    page = await open_page(RO, mode="replay")
    assert await page.evaluate("window.__viewer.length") == rows == await page.evaluate("window.__viewer.stored")
    await page.evaluate("window.__viewer.scrub(1)")
    assert await page.evaluate("window.__viewer.text('log.py')") == "# 0\n"  # the very first update, not a checkpoint
    await page.evaluate("window.__viewer.scrub(2)")
    assert await page.evaluate("window.__viewer.text('log.py')") == "# 0\n# 1\n"
    await page.evaluate(f"window.__viewer.scrub({rows})")
    assert await page.evaluate("window.__viewer.text('log.py')") == "".join(f"# {i}\n" for i in range(230))


async def test_replay_follows_the_file_being_edited_until_a_tab_is_picked(viewer: Any, connect: Any, open_page: Any) -> None:
    async with connect("agent") as agent:
        agent.create_file("a.py", "a = 0\n")
        agent.create_file("b.py", "b = 0\n")
        await eventually(lambda: _stored(viewer) >= 1)
        edits: list[str] = []
        for i, path in enumerate(["b.py", "a.py", "b.py", "a.py"]):
            before = _stored(viewer)
            agent.edit(path, 0, 0, f"# edit {i}\n")
            edits.append(path)
            await eventually(lambda: _stored(viewer) > before, what=f"edit {i} stored")
    await viewer.relay.flush()
    page = await open_page(RO, mode="replay")
    length = await page.evaluate("window.__viewer.length")
    assert length >= len(edits) + 1  # the two files may have been stored as one update or two
    for k, path in enumerate(edits, start=length - len(edits) + 1):
        await page.evaluate(f"window.__viewer.scrub({k})")
        assert await page.evaluate("window.__viewer.activePath()") == path  # the file the update at k edited
        assert await page.locator(f'#tabs .active[data-path="{path}"]').count() == 1
    # A person picks a file (two files: the tree): the page stays there while scrubbing.
    await page.locator('#tabs [data-path="b.py"]').click()
    await page.evaluate(f"window.__viewer.scrub({length})")  # the last update edited a.py
    assert await page.evaluate("window.__viewer.activePath()") == "b.py"
