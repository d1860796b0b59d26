"""The viewer's demo agents: a round ends with the whole class written, every TODO done, one repaired."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from pydantic import SecretStr

from bench._demo import IMPLEMENTATIONS, LABEL, OUTLINE
from web import DemoWriterConfig, Viewer, run_demo_writers

from ._helpers import RW

pytestmark = pytest.mark.anyio


async def test_one_demo_round(viewer: Viewer, connect: Any) -> None:
    config = DemoWriterConfig(url=viewer.relay.url, room="demo", token=SecretStr(RW), agents=3, tokens_per_second=500, rounds=1, pause=0, heartbeat=0.01)
    assert await run_demo_writers(config) == 1
    async with connect("checker", room="demo") as ws:
        source = ws.read("inventory_1.py")
        ast.parse(source)
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
