"""A multi-file project in the viewer: 20 modules, 320 TODOs, real claimers committing while the page is open.

The file tree, the board's file filter, following an agent into its file and
replay at a middle step are checked against what the Python replicas hold
(live) and against the stored history applied into a fresh pycrdt document
(replay) — never against what the page itself computed.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from pycrdt import Map
from pydantic import SecretStr

from bench.micro._project_board import ProjectBoard, payload, project_board, seed
from claim_protocol import Claimer, ClaimConfig
from crdt_ws import Presence, Region, TodoEntry, WebsocketConfig, WebsocketTransport, Workspace

from ._helpers import RO, ROOM, RW, eventually

pytestmark = [pytest.mark.anyio, pytest.mark.browser]

STATUSES = ("pending", "claimed", "done", "failed")


def expected_counts(todos: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per file, TODOs by board column, from a replica's raw TODO map (a fail verdict counts as failed)."""
    out: dict[str, Counter[str]] = {}
    for t in todos.values():
        status = t.get("status", "pending")
        column = "failed" if status == "done" and t.get("verdict") == "fail" else status
        out.setdefault(t["file"], Counter())[column] += 1
    return {path: {s: c[s] for s in STATUSES} for path, c in out.items()}


async def tree_counts(page: Any) -> dict[str, dict[str, int]]:
    return await page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#tabs button.tree-file')].map((b) =>
             [b.dataset.path, Object.fromEntries(['pending', 'claimed', 'done', 'failed'].map((s) => [s, Number(b.dataset[s])]))]))"""
    )


@asynccontextmanager
async def claimers(viewer: Any, files: set[str], n: int) -> AsyncIterator[list[Workspace]]:
    """``n`` real claimers committing the TODOs of ``files`` only; cancelled when the block ends."""
    link = WebsocketConfig(url=viewer.relay.url, room=ROOM, token=SecretStr(RW))
    workspaces = [Workspace(f"agent-{i}") for i in range(n)]

    def choose(candidates: list[TodoEntry]) -> TodoEntry | None:
        return next((e for e in candidates if e.file in files), None)

    async with anyio.create_task_group() as tg:
        for ws in workspaces:

            async def run(ws: Workspace = ws) -> None:
                async with WebsocketTransport(link).connect(ws) as conn:
                    claimer = Claimer(ws, ClaimConfig(), connection=conn, choose=choose)

                    async def work(entry: TodoEntry) -> str:
                        return payload(entry, ws.agent_id)

                    await claimer.run(work)

            tg.start_soon(run)
        yield workspaces
        tg.cancel_scope.cancel()


async def test_project_tree_filter_follow_and_replay(viewer: Any, connect: Any, open_page: Any, shot: Any) -> None:
    board: ProjectBoard = project_board(20, 320)
    paths = sorted(board.files)
    worked = set(paths[:3])
    later = paths[-1]  # untouched until after the claimers: its middle state is the skeleton
    async with connect("outliner") as outliner:
        seed(outliner, board)
        page = await open_page(RO)

        # The tree lists every file, grouped by directory, with its TODO counts.
        await eventually(lambda: page.locator("#tabs button.tree-file").count(), what="the tree")
        assert sorted(await page.eval_on_selector_all("#tabs button.tree-file", "bs => bs.map((b) => b.dataset.path)")) == paths
        dirs = await page.eval_on_selector_all("#tabs .tree-dir", "ds => ds.map((d) => d.dataset.dir)")
        assert dirs == sorted({p.rsplit("/", 1)[0] for p in paths})
        assert await tree_counts(page) == expected_counts(outliner.todos_raw())
        assert await page.locator("#tabs button.tab").count() == 0  # a tree, not tabs

        # Real claimers commit while the page is open; the counts follow them exactly.
        async with claimers(viewer, worked, 4):
            await eventually(
                lambda: all(t["status"] == "done" for t in outliner.todos_raw().values() if t["file"] in worked),
                timeout=120,
                what="the claimers to finish three files",
            )
        await eventually(lambda: _same_counts(page, outliner), timeout=10, what="the tree's counts to match the replica's")
        counts = expected_counts(outliner.todos_raw())
        # Event sentences name the module too: the same method name lives in several files.
        sentences = await page.eval_on_selector_all("#timeline .sentence", "ss => ss.map((s) => s.textContent)")
        assert any(re.fullmatch(r"agent-\d claimed Mod\d\d\.op_\d+ in mod_\d\d\.py( \(attempt \d\))?", x) for x in sentences), sentences[:5]
        assert all(counts[p]["done"] == len(board.todos_of(p)) for p in worked)
        assert all(counts[p]["done"] == 0 for p in paths if p not in worked)

        # An agent working in a file: the tree marks it and the page (following any agent) opens it.
        async with connect("impl-9") as impl:
            target = board.todos_of(paths[7])[2]
            impl.set_presence(Presence(agent="impl-9", role="implementer", color="#4363d8", region=Region(file=target.file, symbol=target.symbol)))
            await eventually(lambda: page.evaluate(f"window.__viewer.activePath() === {target.file!r}"), what="following into the agent's file")
            marked = page.locator(f'#tabs button.tree-file.editing[data-path="{target.file}"] .who [data-agent="impl-9"]')
            await marked.wait_for(timeout=5000)
            region = page.locator('.cm-agent-region[data-agent="impl-9"]').first
            await region.wait_for(timeout=5000)
            assert await region.get_attribute("data-symbol") == target.symbol
            await shot(page, "project_follow")
            # It moves to another file: the page follows, the mark moves.
            other = board.todos_of(paths[12])[0]
            impl.set_presence(Presence(agent="impl-9", role="implementer", color="#4363d8", region=Region(file=other.file, symbol=other.symbol)))
            await eventually(lambda: page.evaluate(f"window.__viewer.activePath() === {other.file!r}"), what="following to the next file")
            await page.locator(f'#tabs button.tree-file.editing[data-path="{other.file}"]').wait_for(timeout=5000)
            assert await page.locator(f'#tabs button.tree-file.editing[data-path="{target.file}"]').count() == 0

            # Clicking a file shows that file's text (and stops following).
            done_file = sorted(worked)[1]
            await page.locator(f'#tabs button.tree-file[data-path="{done_file}"]').click()
            assert await page.evaluate("window.__viewer.activePath()") == done_file
            assert await page.evaluate("window.__viewer.editorText()") == outliner.read(done_file) != board.files[done_file]
            assert await page.evaluate("window.__viewer.follower.mode") == "off"

        # The board: unfiltered it names each TODO's file in full; filtered it holds that file's TODOs only.
        card = page.locator(f'.card[data-todo="{board.todos[0].id}"] .file')
        assert await card.inner_text() == board.todos[0].file
        await page.select_option("#board-file", paths[5])
        await eventually(lambda: _board_file(page, paths[5]), what="the filtered board")
        ids = await page.eval_on_selector_all("#board .card", "cs => cs.map((c) => c.dataset.todo)")
        assert sorted(ids) == sorted(t.id for t in board.todos_of(paths[5]))
        assert await page.locator("#board .card .file").count() == 0  # the filter names the file once
        await page.select_option("#board-file", "@open")
        await eventually(lambda: _board_file(page, done_file), what="the board following the open file")
        assert await page.locator('#board .column[data-status="done"] .card').count() == len(board.todos_of(done_file))
        await shot(page, "project_board_filtered")

        # A file that changes only later.
        outliner.replace_symbol(later, board.todos_of(later)[0].symbol, payload(board.todos_of(later)[0], "outliner"))
        await eventually(lambda: _shows(page, later, outliner.read(later)), what="the late edit")
    await viewer.relay.flush()

    # Replay at a middle step: every file as the stored history says it stood then.
    async with httpx.AsyncClient(base_url=viewer.base_url) as client:
        history = (await client.get(f"/api/rooms/{ROOM}/history", params={"token": RO})).json()
    updates = [base64.b64decode(u["update"]) for u in history["updates"]]
    replay = await open_page(RO, mode="replay")
    assert await replay.evaluate("window.__viewer.length") == len(updates)
    middle = len(updates) // 2
    reference = Workspace("reference")
    for update in updates[:middle]:
        reference.doc.apply_update(update)
    await replay.evaluate(f"window.__viewer.scrub({middle})")
    assert {p: await replay.evaluate(f"window.__viewer.text({p!r})") for p in paths} == {p: reference.read(p) for p in paths}
    assert reference.read(later) == board.files[later]  # the middle state of a file that changed later
    assert await tree_counts(replay) == expected_counts(reference.todos_raw())
    mid_done = sum(c["done"] for c in expected_counts(reference.todos_raw()).values())
    assert 0 < mid_done < 3 * 16, "the middle step should fall inside the claimers' work"
    # Presence is not stored: the tree marks the assignees of each file's claimed TODOs at that step.
    marks = await replay.eval_on_selector_all("#tabs button.tree-file", "bs => Object.fromEntries(bs.map((b) => [b.dataset.path, b.dataset.editing]))")
    claimed: dict[str, set[str]] = {}
    for t in reference.todos_raw().values():
        if t.get("status") == "claimed" and t.get("assignee"):
            claimed.setdefault(t["file"], set()).add(t["assignee"])
    assert {p: set(filter(None, m.split(","))) for p, m in marks.items() if m} == claimed
    await replay.locator(f'#tabs button.tree-file[data-path="{later}"]').click()
    assert await replay.evaluate("window.__viewer.editorText()") == board.files[later]
    await shot(replay, "project_replay_middle")
    await replay.evaluate(f"window.__viewer.scrub({len(updates)})")
    assert await replay.evaluate("window.__viewer.editorText()") != board.files[later]


async def _same_counts(page: Any, ws: Workspace) -> bool:
    return await tree_counts(page) == expected_counts(ws.todos_raw())


async def _shows(page: Any, path: str, text: str) -> bool:
    return await page.evaluate(f"window.__viewer.text({path!r})") == text


async def _board_file(page: Any, path: str) -> bool:
    return await page.evaluate(f"document.getElementById('board').dataset.file === {path!r}")


async def test_single_file_task_keeps_tabs_and_no_filter(connect: Any, open_page: Any) -> None:
    async with connect("outliner") as outliner:
        outliner.create_file("calc.py", "def add(a, b):\n    pass\n")
        outliner.add_todo(TodoEntry(id="add", file="calc.py", symbol="add"))
        page = await open_page(RO)
        await page.locator('#tabs button.tab.active[data-path="calc.py"]').wait_for(timeout=5000)
        assert await page.locator("#tabs button.tree-file").count() == 0
        assert await page.locator("#board-filter").is_hidden()
        assert await page.locator('.card[data-todo="add"] .file').inner_text() == "calc.py"


HOSTILE = {
    '<img src=x onerror="window.__pwned=1">.py': "x = 1\n",
    'pkg/"quoted" & <b>bold</b>.py': "y = 2\n",
    "pkg/ünï/cödé 🙂.py": "z = 3\n",
    "a/b/c/d/e/f/deep.py": "w = 4\n",
}


async def test_hostile_paths_and_entries_are_shown_as_text(connect: Any, open_page: Any) -> None:
    """File names and TODO fields come from any writer of the room: they are text, never markup."""
    async with connect("outliner") as outliner:
        for path, source in HOSTILE.items():
            outliner.create_file(path, source)
        outliner.add_todo(TodoEntry(id="ghost", file="not/in/files.py", symbol="<script>alert(1)</script>"))
        outliner.todos["odd"] = Map({"id": "odd", "file": 5, "symbol": None, "status": "weird"})
        page = await open_page(RO)
        await eventually(lambda: _tree_paths(page, len(HOSTILE)), what="every hostile path in the tree")
        assert sorted(await page.eval_on_selector_all("#tabs button.tree-file", "bs => bs.map((b) => b.dataset.path)")) == sorted(HOSTILE)
        names = await page.eval_on_selector_all("#tabs button.tree-file .name", "ns => ns.map((n) => n.textContent)")
        assert '<img src=x onerror="window.__pwned=1">.py' in names and "deep.py" in names
        assert await page.evaluate("window.__pwned") is None
        assert await page.locator("#tabs img, #tabs b, #board script").count() == 0
        for path, source in HOSTILE.items():
            await page.locator("#tabs button.tree-file").filter(has_text=path.rsplit("/", 1)[-1]).click()
            assert await page.evaluate("window.__viewer.activePath()") == path
            assert await page.evaluate("window.__viewer.editorText()") == source
        # The TODO of a file not in the document is on the board and counted nowhere in the tree.
        assert await page.locator('.card[data-todo="ghost"] .symbol').inner_text() == "<script>alert(1)</script>"
        assert await page.locator('#tabs button.tree-file[data-path="not/in/files.py"]').count() == 0


async def _tree_paths(page: Any, n: int) -> bool:
    return await page.locator("#tabs button.tree-file").count() == n
