"""The viewer's demo agents: a round ends with the whole class written, every TODO done, one repaired."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from bench._demo import IMPLEMENTATIONS, LABEL, OUTLINE
from web import DemoWriterConfig, Viewer, run_demo_writers

from ._helpers import RW
from crdt_ws import parse_python

pytestmark = pytest.mark.anyio


async def test_one_demo_round(viewer: Viewer, connect: Any) -> None:
    config = DemoWriterConfig(url=viewer.relay.url, room="demo", token=SecretStr(RW), agents=3, tokens_per_second=500, rounds=1, pause=0, heartbeat=0.01)
    assert await run_demo_writers(config) == 1
    async with connect("checker", room="demo") as ws:
        source = ws.read("inventory_1.py")
        parse_python(source)
        for block in IMPLEMENTATIONS.values():
            assert block in source
        assert "pass\n" not in source and source.startswith(OUTLINE.split("    def add")[0])
        todos = {t.symbol: t for t in ws.list_todos()}
        assert {t.status.value for t in todos.values()} == {"done"}
        assert todos["Inventory.report"].attempt == 2  # the seeded failure was claimed again
        assert all(t.heartbeat >= 1 for t in todos.values())
        types = [e.type for e in ws.read_events()]
        assert types.count("claim") == 5 and types.count("verdict") == 1 and types.count("commit") == 4
        assert ws.get_meta()["provider"] == LABEL and ws.get_meta()["phase"] == "done"


async def test_demo_regions_go_at_each_commit_not_at_the_end_of_the_round(viewer: Viewer, connect: Any) -> None:
    """Each writer's region is cleared when its job commits: a writer with two jobs is seen region-less twice."""
    config = DemoWriterConfig(url=viewer.relay.url, room="demo", token=SecretStr(RW), agents=3, tokens_per_second=500, rounds=1, pause=0, heartbeat=0.01)
    cleared: dict[str, int] = {}
    last: dict[str, bool] = {}
    async with connect("checker", room="demo") as ws:

        def seen(_topic: str, _change: Any) -> None:
            for state in ws.awareness.states.values():
                agent = state.get("agent") if isinstance(state, dict) else None
                if not isinstance(agent, str) or not agent.startswith("impl-"):
                    continue
                has = state.get("region") is not None
                if last.get(agent) and not has:
                    cleared[agent] = cleared.get(agent, 0) + 1
                last[agent] = has

        ws.awareness.observe(seen)
        assert await run_demo_writers(config) == 1
        jobs: dict[str, int] = {}
        for event in ws.read_events():
            if event.type == "claim" and event.agent.startswith("impl-"):
                jobs[event.agent] = jobs.get(event.agent, 0) + 1
    assert max(jobs.values()) >= 2  # some writer had two jobs in the round
    for agent, n in jobs.items():
        assert cleared.get(agent, 0) == n, (agent, cleared, jobs)
