"""Who works where, in real headless Chromium: regions stay on their symbol, the page follows the action.

Agents publish presence as the implementer does (``Workspace.region`` at claim
time: the symbol and the offsets it had then); the page resolves the symbol
against the text it holds, so the highlight stays on its method while others
edit above it.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from crdt_ws import Presence, Region, TodoEntry, Workspace

from ._helpers import RO, RW, eventually

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

STACK = '''class Stack:
    """LIFO stack — «pile» 🙂."""

    def push(self, item):
        """Put ``item`` on top."""
        pass

    def pop(self):
        """Take the top item."""
        pass
'''

ABOVE = '''
    def peek(self):
        """Look at the top item 🙂."""
        return self.items[-1]

    def size(self):
        """How many items."""
        return len(self.items)
'''

POP_BODY = "        if not self.items:\n            raise IndexError('pop from empty')\n        return self.items.pop()\n"


def present(ws: Workspace, path: str, symbol: str | None, colour: str = "#4363d8") -> None:
    """What the implementer publishes when it starts work on ``symbol`` (None: work over, region cleared)."""
    region = ws.region(path, symbol) if symbol else None
    ws.set_presence(Presence(agent=ws.agent_id, role="implementer", color=colour, region=region))


async def region_text(page: Any, agent: str) -> str:
    return "".join(await page.locator(f'.cm-agent-region[data-agent="{agent}"]').all_text_contents())


async def test_region_stays_on_its_method_while_text_above_changes(connect: Any, open_page: Any, shot: Any) -> None:
    async with connect("impl-1") as impl, connect("impl-2") as other:
        impl.create_file("stack.py", STACK)
        page = await open_page(RO)
        await eventually(lambda: page.evaluate("window.__viewer.editorText() !== null"), what="the file in the page")
        present(impl, "stack.py", "Stack.pop")
        await eventually(lambda: _contains(page, "impl-1", "def pop"), what="impl-1's region on pop")
        start = impl.read("stack.py").index("        pass\n", impl.read("stack.py").index("def pop"))
        impl.edit("stack.py", start, start + len("        pass\n"), "")
        with impl.stream("stack.py", start) as writer:
            for i in range(0, len(POP_BODY), 5):
                writer.write(POP_BODY[i : i + 5])
                if i == 20:
                    # Mid-stream, another agent inserts two methods above the region (after the class docstring).
                    await eventually(lambda: other.read("stack.py") == impl.read("stack.py"))
                    at = other.read("stack.py").index("\n\n    def push") + 1
                    other.edit("stack.py", at, at, ABOVE.lstrip("\n") + "\n")
                await anyio.sleep(0.01)
        final = impl.read("stack.py")
        assert "def peek" in final and final.index("def peek") < final.index("def pop")
        await eventually(lambda: page.evaluate(f"window.__viewer.editorText() === {final!r}"), what="the page to converge")
        # The agent never republished its region: its offsets now point into peek/size.  The highlight is still pop.
        stale = impl.presences()[impl.doc.client_id].region
        assert stale is not None and "def pop" not in final[stale.start : stale.end]
        text = await region_text(page, "impl-1")
        assert "def pop" in text and "return self.items.pop()" in text
        assert "def peek" not in text and "def size" not in text and "def push" not in text
        # DOM position: the highlight starts on the line of `def pop`, and the name tag sits in the region.
        first = await page.locator('.cm-agent-region[data-agent="impl-1"]').first.bounding_box()
        line = await page.locator(".cm-line", has_text="def pop(self):").bounding_box()
        assert first is not None and line is not None
        assert line["y"] - 1 <= first["y"] <= line["y"] + line["height"]
        await shot(page, "region_anchored")

        # Committed: the agent clears its region and the highlight goes.
        present(impl, "stack.py", None)
        await eventually(lambda: _count(page, '.cm-agent-region[data-agent="impl-1"]', 0), what="the region cleared at commit")
        assert await page.locator('.cm-agent-caret[data-agent="impl-1"]').count() == 0


async def test_page_opens_and_scrolls_to_the_work_and_can_stop_following(connect: Any, open_page: Any, shot: Any) -> None:
    padding = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(80))
    long_file = padding + "def target(x):\n    \"\"\"The method someone works on.\"\"\"\n    pass\n"
    async with connect("impl-1") as impl:
        impl.create_file("a_first.py", "x = 1\n")
        impl.create_file("z_long.py", long_file)
        impl.add_todo(TodoEntry(id="target", file="z_long.py", symbol="target"))  # type: ignore[call-arg]
        page = await open_page(RO)
        # Nobody works yet: the page opens the file whose TODO waits, scrolled to its stub far below the fold.
        assert await page.evaluate("window.__viewer.activePath()") == "z_long.py"
        stub = page.locator(".cm-line", has_text="def target(x):")
        await stub.wait_for(timeout=5000)
        await eventually(lambda: _in_view(page, stub), what="the waiting stub scrolled into view")
        await page.evaluate("window.__viewer.view().scrollDOM.scrollTop = 0")  # scrolled away again
        present(impl, "z_long.py", "target")
        # The page opens the file being edited (not the alphabetically first) and scrolls the region into view.
        await eventually(lambda: page.evaluate("window.__viewer.activePath() === 'z_long.py'"), what="the edited file opened")
        region = page.locator('.cm-agent-region[data-agent="impl-1"]').first
        await region.wait_for(timeout=5000)
        await eventually(lambda: _in_view(page, region), what="the region scrolled into view")
        await shot(page, "follow_scrolled")

        # Follow off: the agent moves to another file, the page stays.
        await page.select_option("#follow", "off")
        present(impl, "a_first.py", None)
        impl.set_presence(Presence(agent="impl-1", color="#4363d8", region=Region(file="a_first.py", start=0, end=5)))
        await eventually(lambda: _people_where(page, "a_first.py"), what="the participants list to show the move")
        assert await page.evaluate("window.__viewer.activePath()") == "z_long.py"
        # Following that agent again brings the page to its file.
        await page.select_option("#follow", "impl-1")
        await eventually(lambda: page.evaluate("window.__viewer.activePath() === 'a_first.py'"), what="following impl-1 again")


async def test_page_never_switches_the_file_under_a_person_typing(connect: Any, open_page: Any) -> None:
    async with connect("impl-1") as impl:
        impl.create_file("notes.py", "# notes\n")
        page = await open_page(RW, name="ada")
        await eventually(lambda: page.evaluate("window.__viewer.activePath() === 'notes.py'"))
        await page.locator(".cm-content").click()
        await page.keyboard.press("Control+End")
        await page.keyboard.type("# ada was here\n")
        # Meanwhile an agent creates a file and starts working in it.
        impl.create_file("new_module.py", "def f():\n    pass\n")
        present(impl, "new_module.py", "f")
        await eventually(lambda: _people_where(page, "new_module.py"), what="the agent's region to reach the page")
        await page.keyboard.type("# still typing\n")
        assert await page.evaluate("window.__viewer.activePath()") == "notes.py"
        await eventually(lambda: impl.read("notes.py") == "# notes\n# ada was here\n# still typing\n", what="every keystroke in notes.py")
        assert impl.read("new_module.py") == "def f():\n    pass\n"


async def _contains(page: Any, agent: str, text: str) -> bool:
    return text in await region_text(page, agent)


async def _count(page: Any, selector: str, n: int) -> bool:
    return await page.locator(selector).count() == n


async def _in_view(page: Any, locator: Any) -> bool:
    box = await locator.bounding_box()
    scroller = await page.locator(".cm-scroller").bounding_box()
    return bool(box and scroller and scroller["y"] <= box["y"] and box["y"] + box["height"] <= scroller["y"] + scroller["height"])


async def _people_where(page: Any, path: str) -> bool:
    return path in await page.locator("#people").inner_text()


async def test_hostile_names_and_events_render_as_text(viewer: Any, connect: Any, open_page: Any, browser: Any) -> None:
    """A peer with a write token controls every string the page shows: none of it may become markup."""
    evil = '<img src=x onerror="window.__pwned=1">'
    async with connect("impl-1") as impl:
        impl.create_file("stack.py", STACK)
        impl.add_todo(TodoEntry(id=evil, file=evil, symbol=evil))  # type: ignore[call-arg]
        impl.log(evil, evil, attempt=evil, reason=evil)
        impl.set_meta(phase=evil, task_id=evil, plan={"mode": evil, "deps": {evil: [evil]}})
        # A hostile peer skips our schema and writes awareness directly.
        impl.awareness.set_local_state({"agent": evil, "role": evil, "color": "red;background:url(x)", "region": {"file": "stack.py", "symbol": evil}})
        page = await open_page(RO)
        await eventually(lambda: _has_text(page, "#board", evil), what="the hostile TODO on the board")
        await eventually(lambda: _has_text(page, "#timeline", evil), what="the hostile event")
        await eventually(lambda: _has_text(page, "#people", evil), what="the hostile participant")
        assert await _has_text(page, "#run", evil)
        # CodeMirror draws its own empty cm-widgetBuffer images next to widgets; any other image would be injected markup.
        found = await page.evaluate("[...document.querySelectorAll('#app img:not(.cm-widgetBuffer)')].map((i) => i.parentElement.outerHTML.slice(0, 300))")
        assert found == []
        assert await page.evaluate("window.__pwned") is None

    # The watch page: a hostile trial entry in an index room.
    async with connect("bench", room="run-hostile") as index:
        from pycrdt import Map

        index.doc.get("trials", type=Map)["bad-room"] = {"task": evil, "mode": evil, "seed": evil, "status": "running", "order": 0}
        context = await browser.new_context()
        try:
            watch = await context.new_page()
            await watch.goto(viewer.page_url("run-hostile", RO).replace("/view/", "/run/"))
            await watch.wait_for_function("window.__watch && window.__watch.synced")
            await eventually(lambda: _has_text(watch, "#trials", evil), what="the hostile trial listed")
            assert await watch.locator("#trials img").count() == 0
            assert await watch.evaluate("window.__pwned") is None
        finally:
            await context.close()


async def _has_text(page: Any, selector: str, text: str) -> bool:
    return text in (await page.locator(selector).text_content() or "")
