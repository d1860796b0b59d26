"""The projects scale benchmark at small sizes: its own invariants, never its timings.

A real relay subprocess, real claimers and a real watcher; every TODO must be
done exactly once with its payload in its file, and the counts the table is
built from must add up.  The invariant checker must also catch a broken cell.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from bench.micro._project_board import DIRECTORIES, landed, payload, project_board, seed
from bench.micro._projects_scale_run import run_cell
from bench.micro.projects_scale import invariants, pct, row
from crdt_ws import Workspace

pytestmark = pytest.mark.anyio


def test_board_follows_the_multi_file_contract() -> None:
    board = project_board(7, 40)
    assert len(board.files) == 7 and len(board.todos) == 40
    assert len({t.id for t in board.todos}) == 40
    for t in board.todos:
        path, symbol = t.id.split("::")
        assert (path, symbol) == (t.file, t.symbol) and path in board.files
        assert path.rsplit("/", 1)[0] in DIRECTORIES
    assert sorted(len(board.todos_of(p)) for p in board.files) == [5, 5, 6, 6, 6, 6, 6]
    ws = Workspace("outliner")
    seed(ws, board)
    assert sorted(ws.paths()) == sorted(board.files) and ws.get_meta()["files"] == list(board.files)
    entry = board.todos[3]
    assert not landed(ws.read(entry.file), entry, "a")
    with pytest.raises(ValueError):
        project_board(0, 3)


async def test_small_cell_does_every_todo_exactly_once(tmp_path: Path) -> None:
    cell = await run_cell(24, 6, 3, timeout_s=120, store=tmp_path)
    assert invariants(cell) == []
    assert cell.done == 24 and sum(cell.completions.values()) == 24 and set(cell.completions.values()) == {1}
    assert sum(cell.committed_by.values()) == 24 and set(cell.committed_by) <= {"agent-00", "agent-01", "agent-02"}
    assert len(cell.propagation_ms) == 24 and all(x >= 0 for x in cell.propagation_ms)
    assert len(cell.claim_ms) == cell.wins >= 24
    assert cell.double_claims == 0 or cell.wins > 24  # a double claim is a second verified win
    assert cell.doc_bytes > sum(len(s) for s in project_board(6, 24).files.values())
    assert row(cell).endswith("| yes |")


async def test_invariants_catch_a_broken_cell(tmp_path: Path) -> None:
    cell = await run_cell(6, 2, 2, timeout_s=120, store=tmp_path)
    assert invariants(cell) == []
    twice = cell.model_copy(update={"completions": Counter({**cell.completions, next(iter(cell.completions)): 2})})
    assert any("not exactly once" in p for p in invariants(twice))
    missing = cell.model_copy(update={"done": 5, "texts_ok": False, "propagation_ms": cell.propagation_ms[1:]})
    assert len(invariants(missing)) == 3
    assert "| yes |" not in row(missing)


def test_percentile_is_nearest_rank() -> None:
    values = [float(x) for x in range(1, 101)]
    assert (pct(values, 0.5), pct(values, 0.99), pct([3.0], 0.99)) == (50.0, 99.0, 3.0)
    assert pct([], 0.5) != pct([], 0.5)  # NaN


@pytest.mark.browser
@pytest.mark.skipif(not Path(os.environ.get("CRDT_CHROMIUM", "/usr/bin/chromium")).exists(), reason="no Chromium")
async def test_view_part_loads_the_whole_board() -> None:
    pytest.importorskip("playwright")
    from bench.micro._projects_scale_view import measure_view

    view = await measure_view(40, 6, os.environ.get("CRDT_CHROMIUM", "/usr/bin/chromium"), repeats=1, renders=3)
    assert view.tree_files == 6 and view.cards == 40
    assert len(view.load_ms) == 1 and len(view.render_ms) == 3
    assert payload(project_board(6, 40).todos[0], "a") == "    def op_0(self, x):\n        return 'a', x\n"
