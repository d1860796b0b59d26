"""Live view in real headless Chromium: streamed edits, agents' cursors, the TODO board."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import anyio
import pytest

from crdt_ws import Presence, Region, TodoEntry, TodoStatus

from ._helpers import ARTIFACTS, RO, eventually, utf16_len

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

OUTLINE = '''class Stack:
    """LIFO stack — «pile» 🙂 of items."""

    def push(self, item):
        """Put ``item`` on top."""
        pass

    def pop(self):
        """Take the top item."""
        pass
'''

BODY = '''
    def peek(self):
        """Look at the top item — sans l'enlever 🙂."""
        if not self.items:
            raise IndexError("peek from an empty stack")
        return self.items[-1]
'''


async def page_text(page: Any) -> str | None:
    return await page.evaluate("window.__viewer.editorText()")


async def test_streamed_edits_show_live_in_the_page(connect: Any, open_page: Any, shot: Any) -> None:
    async with connect("writer") as ws:
        ws.create_file("stack.py", OUTLINE)
        page = await open_page(RO)
        await eventually(lambda: page_text(page), what="the outline in the page")
        await eventually(lambda: _equals(page, OUTLINE))

        sent: list[tuple[float, int]] = []  # (wall ms when written, UTF-16 length the page must reach)
        with ws.stream("stack.py", len(OUTLINE)) as writer:
            for i in range(0, len(BODY), 6):
                writer.write(BODY[i : i + 6])
                sent.append((time.time() * 1000, utf16_len(ws.read("stack.py"))))
                await anyio.sleep(0.02)
        final = OUTLINE + BODY
        await eventually(lambda: _equals(page, final), what="the streamed method in the page")

        edits: list[dict[str, float]] = await page.evaluate("window.__viewer.edits")
        latencies = []
        for written_at, length in sent:
            # The page's editor changed (on the browser's clock, same machine) when it first held this much text.
            shown = next(e["t"] for e in edits if e["length"] >= length)
            latencies.append(shown - written_at)
        p50 = statistics.median(latencies)
        p99 = sorted(latencies)[max(0, round(0.99 * len(latencies)) - 1)]
        figures = {"chunks": len(latencies), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "max_ms": round(max(latencies), 2)}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "stream_latency.json").write_text(json.dumps(figures, indent=2))
        print(f"agent->browser streamed-edit latency: {figures}")
        await shot(page, "live_streamed")
        assert len(latencies) == len(sent) > 20
        # Live, not batched at the end: the page held most intermediate states of the stream.  The 200 ms
        # target itself is measured by ``python -m bench.micro.viewer_latency``; a timed assertion here would
        # only measure how busy the CI machine is (one 222 ms outlier failed a CI run at p50 39 ms).
        seen_lengths = {int(e["length"]) for e in edits}
        assert sum(1 for _, length in sent if length in seen_lengths) >= len(sent) // 2, figures
        assert statistics.median(latencies) < 1000, f"the page lags the stream by seconds: {figures}"
        assert min(latencies) > -5, f"page saw text before it was written? clocks disagree: {figures}"


async def _equals(page: Any, text: str) -> bool:
    return await page_text(page) == text


async def test_agent_presence_is_a_named_coloured_cursor(connect: Any, open_page: Any, shot: Any) -> None:
    async with connect("outliner") as outliner:
        outliner.create_file("stack.py", OUTLINE)
        page = await open_page(RO)
        async with connect("impl-1") as agent:
            await eventually(lambda: "stack.py" in agent.paths())
            span = agent.buffer("stack.py").span("Stack.push")  # Python str indices, after an emoji
            agent.set_presence(Presence(agent="impl-1", role="implementer", color="#e6194b", region=Region(file="stack.py", symbol="Stack.push", start=span.start, end=span.end)))
            caret = page.locator('.cm-agent-caret[data-agent="impl-1"]')
            await caret.wait_for(timeout=5000)
            assert await caret.inner_text() == "impl-1"
            colour = await caret.evaluate("el => getComputedStyle(el).borderLeftColor")
            assert colour == "rgb(230, 25, 75)"
            # The highlighted region is exactly the symbol's text: code points were mapped to UTF-16.
            region = await page.locator('.cm-agent-region[data-agent="impl-1"]').all_inner_texts()
            expected = OUTLINE[span.start : span.end]
            assert "".join(region).replace("\n", "") == expected.replace("\n", "")
            assert await page.locator('.people li[data-agent="impl-1"]').inner_text() != ""
            await shot(page, "live_presence")

            span = agent.buffer("stack.py").span("Stack.pop")
            agent.set_presence(Presence(agent="impl-1", color="#e6194b", region=Region(file="stack.py", symbol="Stack.pop", start=span.start, end=span.end)))
            moved = OUTLINE[span.start : span.end].replace("\n", "")
            await eventually(lambda: _region_text(page, "impl-1", moved), what="the cursor to move to Stack.pop")
        # The agent left: the relay clears its awareness and the cursor goes.
        await caret.wait_for(state="detached", timeout=5000)


async def _region_text(page: Any, agent: str, expected: str) -> bool:
    texts = await page.locator(f'.cm-agent-region[data-agent="{agent}"]').all_inner_texts()
    return "".join(texts).replace("\n", "") == expected


async def test_todo_board_follows_claims(connect: Any, open_page: Any, shot: Any) -> None:
    async with connect("outliner") as outliner:
        outliner.create_file("stack.py", OUTLINE)
        for symbol in ("Stack.push", "Stack.pop"):
            outliner.add_todo(TodoEntry(id=symbol, file="stack.py", symbol=symbol))
        page = await open_page(RO)
        card = 'div.column[data-status="{}"] .card[data-todo="Stack.push"]'
        await page.locator(card.format("pending")).wait_for(timeout=5000)
        assert await page.locator('div.column[data-status="pending"] .card').count() == 2

        async with connect("impl-1") as agent:
            await eventually(lambda: len(agent.list_todos()) == 2)
            agent.update_todo("Stack.push", status=TodoStatus.CLAIMED, assignee="impl-1", attempt=1)
            agent.log("claim", "Stack.push")
            claimed = page.locator(card.format("claimed"))
            await claimed.wait_for(timeout=5000)
            text = await claimed.inner_text()
            assert "impl-1" in text and "attempt 1" in text and "stack.py" in text and "♥" in text
            # The lease age grows on the browser's clock, and a heartbeat resets it.
            await eventually(lambda: _lease_above(page, 1.0), what="the lease age to grow past 1 s")
            agent.update_todo("Stack.push", heartbeat=1)
            await eventually(lambda: _lease_below(page, 0.5), what="the lease age to reset on a heartbeat")
            await page.locator('.timeline li[data-type="claim"]').wait_for(timeout=5000)
            await shot(page, "live_board_claimed")

            agent.update_todo("Stack.push", status=TodoStatus.DONE, verdict="pass")
            agent.update_todo("Stack.pop", status=TodoStatus.FAILED, assignee="impl-1", attempt=2)
            await page.locator(card.format("done")).wait_for(timeout=5000)
            await page.locator('div.column[data-status="failed"] .card[data-todo="Stack.pop"]').wait_for(timeout=5000)
            assert await page.locator('div.column[data-status="claimed"] .card').count() == 0
            assert "attempt 2" in await page.locator('.card[data-todo="Stack.pop"]').inner_text()
            metrics = await page.locator('dd[data-key="todos"]').text_content()  # in the collapsed details
            assert metrics == "pending 0 · claimed 0 · done 1 · failed 1"
            await shot(page, "live_board_done")

            # A final fail verdict leaves the status `done` (the judge closes it): the board counts it as failed.
            agent.update_todo("Stack.push", verdict="fail")
            await page.locator('div.column[data-status="failed"] .card[data-todo="Stack.push"]').wait_for(timeout=5000)
            assert await page.locator('div.column[data-status="done"] .card').count() == 0
            assert await page.locator('div.column[data-status="failed"] .count').inner_text() == "2"
            assert await page.locator('dd[data-key="TODOs"]').inner_text() == "0 done · 0 claimed · 0 pending · 2 failed"


async def _lease(page: Any) -> float:
    text = await page.locator('.card[data-todo="Stack.push"] .lease').inner_text()
    return float(text.removeprefix("♥ ").removesuffix("s"))


async def _lease_above(page: Any, limit: float) -> bool:
    return await _lease(page) >= limit


async def _lease_below(page: Any, limit: float) -> bool:
    return await _lease(page) < limit
