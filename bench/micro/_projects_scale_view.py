"""The viewer's side of the projects scale benchmark: load and re-render a big project board in Chromium.

A :class:`web.Viewer` (relay + page) in this process holds one room seeded with
a project board (:mod:`bench.micro._project_board`) in a mixed state: every
third TODO committed and done, every seventh claimed, the rest pending.  For
each repeat a fresh read-only page (real headless Chromium driven by
Playwright) opens the room; measured on the browser's clock:

* **load**: navigation start -> the page is synced and shows every file in its
  tree and every TODO counted on its board (polled each animation frame);
* **render**: one full re-render of the panels (tree, board, run panel,
  events), forced through layout, the median of ``renders`` calls.
"""

from __future__ import annotations

import statistics
from typing import Any

from pydantic import BaseModel, Field, SecretStr

from claim_protocol import commit_symbol
from crdt_ws import RelayConfig, TodoStatus, WebsocketConfig, WebsocketTransport, Workspace
from web import Viewer

from ._project_board import payload, project_board, seed

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

_LOADED = """([files, todos]) => {
  const v = window.__viewer
  if (!v || !v.synced) return false
  if (document.querySelectorAll('#tabs button.tree-file').length !== files) return false
  const counted = [...document.querySelectorAll('#board .column .count')].reduce((n, c) => n + Number(c.textContent), 0)
  return counted === todos ? performance.now() : false
}"""

_RENDER = """(n) => {
  const times = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    window.__viewer.refresh()
    void document.body.offsetHeight  // force style and layout into the measured time
    times.push(performance.now() - t)
  }
  return times
}"""


class ViewResult(BaseModel):
    """The page's figures for one board size."""

    todos: int = Field(description="TODOs on the board.")
    files: int = Field(description="Files in the tree.")
    load_ms: list[float] = Field(description="Navigation start -> tree and board complete, one per fresh page (ms).")
    render_ms: list[float] = Field(description="One full re-render of the panels, forced through layout (ms).")
    cards: int = Field(description="Cards drawn on the board at the end (columns hold at most 200 each).")
    tree_files: int = Field(description="Files listed in the tree at the end.")

    @property
    def load_p50(self) -> float:
        return statistics.median(self.load_ms)

    @property
    def render_p50(self) -> float:
        return statistics.median(self.render_ms)


async def measure_view(todos: int, files: int, chromium: str, *, repeats: int = 3, renders: int = 20) -> ViewResult:
    """Seed a mixed board and time fresh pages loading it, then re-renders of the last page."""
    from playwright.async_api import async_playwright

    rw, ro, room = "scale-rw", "scale-ro", "scale-view"
    board = project_board(files, todos)
    config = RelayConfig(port=0, write_tokens=[SecretStr(rw)], read_tokens=[SecretStr(ro)])
    async with Viewer(config) as viewer, async_playwright() as playwright:
        outliner = Workspace("outliner")
        link = WebsocketConfig(url=viewer.relay.url, room=room, token=SecretStr(rw))
        async with WebsocketTransport(link).connect(outliner) as conn:
            seed(outliner, board)
            with outliner.transaction():
                for i, entry in enumerate(board.todos):
                    if i % 3 == 0:
                        commit_symbol(outliner, entry, payload(entry, f"agent-{i % 8}"))
                        outliner.update_todo(entry.id, status=TodoStatus.DONE, assignee=f"agent-{i % 8}", attempt=1, done_by=f"agent-{i % 8}")
                    elif i % 7 == 0:
                        outliner.update_todo(entry.id, status=TodoStatus.CLAIMED, assignee=f"agent-{i % 8}", attempt=1)
            await conn.round_trip()
            browser = await playwright.chromium.launch(executable_path=chromium, args=ARGS)
            try:
                loads: list[float] = []
                page: Any = None
                for _ in range(repeats):
                    if page is not None:
                        await page.context.close()
                    page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
                    await page.goto(viewer.page_url(room, ro))
                    handle = await page.wait_for_function(_LOADED, arg=[files, todos], polling="raf", timeout=120_000)
                    loads.append(float(await handle.json_value()))
                render = [float(x) for x in await page.evaluate(_RENDER, renders)]
                cards = await page.locator("#board .card").count()
                tree = await page.locator("#tabs button.tree-file").count()
            finally:
                await browser.close()
    return ViewResult(todos=todos, files=files, load_ms=loads, render_ms=render, cards=cards, tree_files=tree)
