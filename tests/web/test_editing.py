"""Co-editing: a read-only page cannot change the workspace; a read-write page's typing reaches agents."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from ._helpers import RO, ROOM, RW, eventually

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

SOURCE = "def greet(name):\n    return f'héllo {name} 🙂'\n"


async def test_read_only_page_cannot_edit(viewer: Any, connect: Any, open_page: Any, shot: Any) -> None:
    async with connect("agent") as agent, connect("observer") as observer:
        agent.create_file("greet.py", SOURCE)
        page = await open_page(RO)
        await eventually(lambda: _editor_is(page, SOURCE))
        assert await page.locator(".role").inner_text() == "read-only"
        content = page.locator(".cm-content")
        assert await content.get_attribute("contenteditable") == "false"

        # A person tries to type: nothing changes, in the page or anywhere else.
        await content.click()
        await page.keyboard.press("Control+End")
        await page.keyboard.type("# typed by a watcher")
        await page.keyboard.press("Enter")
        await anyio.sleep(0.3)
        assert await page.evaluate("window.__viewer.editorText()") == SOURCE
        assert await page.evaluate("window.__viewer.text('greet.py')") == SOURCE

        # Defence in depth: change the page's Y.Doc behind the editor's back; the relay drops it.
        await page.evaluate("window.__viewer.doc.getMap('files').get('greet.py').insert(0, '# forged\\n')")
        # A later agent edit proves the pipe is flowing before we judge what arrived.
        agent.edit("greet.py", len(SOURCE), len(SOURCE), "# marker\n")
        await eventually(lambda: observer.read("greet.py").endswith("# marker\n"), what="the agent's marker at the observer")
        await eventually(lambda: _page_has(page, "# marker"), what="the agent's marker in the page")
        await anyio.sleep(0.2)
        assert "forged" not in observer.read("greet.py")
        assert "forged" not in agent.read("greet.py")
        assert "watcher" not in observer.read("greet.py")
        room = viewer.relay.room(ROOM)
        assert room is not None and room.stats["dropped_readonly"] >= 1
        # A watcher is invisible: it publishes no presence.
        assert all(p.role != "human" for p in observer.presences().values())
        await shot(page, "read_only")


async def test_read_write_page_edits_reach_python(connect: Any, open_page: Any, shot: Any) -> None:
    async with connect("agent") as agent:
        agent.create_file("greet.py", SOURCE)
        page = await open_page(RW, name="ada")
        await eventually(lambda: _editor_is(page, SOURCE))
        assert await page.locator(".role").inner_text() == "read-write"
        await page.locator(".cm-content").click()
        await page.keyboard.press("Control+End")
        await page.keyboard.type("# reviewed by ada ✓")
        expected = SOURCE + "# reviewed by ada ✓"
        await eventually(lambda: agent.read("greet.py") == expected, what="the human's edit at the Python replica")

        # The agent sees the person as a participant, with a region in its own (code point) indices.
        def human() -> Any:
            return next((p for p in agent.presences().values() if p.agent == "ada"), None)

        # Awareness travels apart from the edits: wait for the caret after the last keystroke,
        # at the end of the text counted in code points (🙂 is one; it would be two in UTF-16).
        def at_end() -> Any:
            h = human()
            return h is not None and h.region is not None and h.region.end == len(expected) and h

        presence = await eventually(at_end, what="ada's caret at the end of the buffer")
        assert presence.role == "human" and presence.region.file == "greet.py"
        assert presence.region.start == presence.region.end

        # And the agent's concurrent edit lands in the page while the person keeps the buffer.
        agent.edit("greet.py", 0, 0, "# agent was here\n")
        await eventually(lambda: _editor_is(page, "# agent was here\n" + expected))
        await shot(page, "read_write")


async def _editor_is(page: Any, text: str) -> bool:
    return await page.evaluate("window.__viewer.editorText()") == text


async def _page_has(page: Any, text: str) -> bool:
    return text in (await page.evaluate("window.__viewer.editorText()") or "")


async def test_bad_token_page_says_so(open_page: Any, viewer: Any) -> None:
    page = await open_page("not-a-token")
    assert await page.evaluate("window.__viewer.error") == 401
    assert "refused this token" in await page.locator("#error").inner_text()
    room = viewer.relay.room(ROOM)
    assert room is None or not room.clients  # it never joined the room
