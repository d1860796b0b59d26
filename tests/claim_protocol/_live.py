"""Live replicas for claim tests: workspaces with their connections, over memory or the relay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from crdt_ws import MemoryHub, Relay, RelayConfig, TodoEntry, WebsocketConfig, WebsocketTransport, Workspace

TRANSPORTS = ["memory-delayed", "websocket"]


def stub_class(n: int) -> str:
    return "class Jobs:\n" + "".join(f"    def job{i}(self):\n        pass\n\n" for i in range(n))


def seed_todos(ws: Workspace, n: int, deps: dict[int, list[int]] | None = None) -> None:
    ws.create_file("jobs.py", stub_class(n))
    for i in range(n):
        ws.add_todo(TodoEntry(id=f"t{i}", file="jobs.py", symbol=f"Jobs.job{i}", deps=[f"t{j}" for j in (deps or {}).get(i, [])]))


def code_for(symbol: str, agent: str) -> str:
    name = symbol.split(".")[-1]
    return f"    def {name}(self):\n        return {agent!r}\n"


@asynccontextmanager
async def live(kind: str, n: int, tmp_path: Path) -> AsyncIterator[list[tuple[Workspace, Any]]]:
    """``n`` agents' workspaces and connections; agent 0's replica is seeded by the caller."""
    workspaces = [Workspace(f"agent-{i}") for i in range(n)]
    async with AsyncExitStack() as stack:
        if kind == "websocket":
            relay = await stack.enter_async_context(Relay(RelayConfig(port=0, store_dir=tmp_path / "store")))
            config = WebsocketConfig(url=relay.url, room="claims")
            conns = [await stack.enter_async_context(WebsocketTransport(config).connect(ws)) for ws in workspaces]
        else:
            hub = await stack.enter_async_context(MemoryHub(delay=0.002))
            conns = [await stack.enter_async_context(hub.connect(ws)) for ws in workspaces]
        yield list(zip(workspaces, conns))
