"""N replicas editing the same Text, Map and Array concurrently converge, on every transport."""

from __future__ import annotations

import random
from pathlib import Path

import anyio
import pytest

from crdt_ws import Presence, Region, TodoEntry, Workspace

from ._harness import TRANSPORTS, converge, replicas

pytestmark = pytest.mark.anyio

WORDS = ["alpha", "β", "γάμμα", "→", "✓", "日本", "x", "é"]


async def _edit(ws: Workspace, index: int, rounds: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    markers: list[str] = []
    for r in range(rounds):
        source = ws.read("shared.py")
        marker = f"<{index}:{r}:{rng.choice(WORDS)}>"
        markers.append(marker)
        # Whole lines at random line starts, so no marker splits another.
        starts = [0] + [i + 1 for i, ch in enumerate(source) if ch == "\n"]
        at = rng.choice(starts)
        ws.edit("shared.py", at, at, marker + "\n")
        # Everyone also fights over the same TODO fields and map keys.
        ws.update_todo("t", assignee=ws.agent_id, heartbeat=r)
        ws.set_meta(last_writer=ws.agent_id)
        ws.log("edit", "t", round=r)
        await anyio.sleep(rng.random() * 0.003)
    return markers


@pytest.mark.parametrize("kind", TRANSPORTS)
async def test_replicas_converge_under_concurrent_edits(kind: str, tmp_path: Path) -> None:
    n, rounds = 6, 25
    async with replicas(kind, n, tmp_path) as workspaces:
        workspaces[0].create_file("shared.py", "# shared — ü\n")
        workspaces[0].add_todo(TodoEntry(id="t", file="shared.py", symbol="f"))
        await converge(workspaces)
        markers: dict[int, list[str]] = {}

        async def run(i: int) -> None:
            markers[i] = await _edit(workspaces[i], i, rounds, seed=i)

        async with anyio.create_task_group() as tg:
            for i in range(n):
                tg.start_soon(run, i)
        await converge(workspaces)

    final = workspaces[0].read("shared.py")
    # Nothing lost: every marker of every replica is in the converged text, once.
    for i in range(n):
        for marker in markers[i]:
            assert final.count(marker) == 1, marker
    assert len(workspaces[0].read_events()) == n * rounds
    # Concurrent writes to one key: all replicas agree on one of the writers.
    assert workspaces[0].todo("t").assignee in {ws.agent_id for ws in workspaces}
    assert len({ws.get_meta()["last_writer"] for ws in workspaces}) == 1


@pytest.mark.parametrize("kind", TRANSPORTS)
async def test_presence_reaches_every_replica(kind: str, tmp_path: Path) -> None:
    async with replicas(kind, 3, tmp_path) as (a, b, c):
        a.set_presence(Presence(agent="agent-0", role="implementer", region=Region(file="x.py", symbol="X.f", start=1, end=5)))
        with anyio.fail_after(5):
            while not all(any(p.agent == "agent-0" for p in ws.presences().values()) for ws in (b, c)):
                await anyio.sleep(0.01)
        seen = next(p for p in c.presences().values() if p.agent == "agent-0")
        assert seen.region == Region(file="x.py", symbol="X.f", start=1, end=5)
