"""Test harness: N replicas over any transport, and a convergence wait."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import anyio
import anyio.abc

from crdt_ws import MemoryHub, Relay, RelayConfig, WebsocketConfig, WebsocketTransport, Workspace

TRANSPORTS = ["memory", "memory-delayed", "websocket"]


@asynccontextmanager
async def replicas(kind: str, n: int, tmp_path: Path, room: str = "conv") -> AsyncIterator[list[Workspace]]:
    """``n`` Workspaces linked by ``kind``; all synced on entry."""
    workspaces = [Workspace(f"agent-{i}") for i in range(n)]
    async with AsyncExitStack() as stack:
        if kind == "websocket":
            relay = await stack.enter_async_context(Relay(RelayConfig(port=0, store_dir=tmp_path / "store")))
            config = WebsocketConfig(url=relay.url, room=room)
            for ws in workspaces:
                await stack.enter_async_context(WebsocketTransport(config).connect(ws))
        else:
            hub = await stack.enter_async_context(MemoryHub(delay=0.002 if kind == "memory-delayed" else 0.0))
            for ws in workspaces:
                await stack.enter_async_context(hub.connect(ws))
        yield workspaces


async def converge(workspaces: list[Workspace], timeout: float = 10.0) -> None:
    """Wait until every replica has the same content and the same state vector."""
    with anyio.fail_after(timeout):
        while True:
            hashes = {ws.content_hash() for ws in workspaces}
            vectors = {tuple(sorted(ws.state_vector().items())) for ws in workspaces}
            if len(hashes) == 1 and len(vectors) == 1:
                return
            await anyio.sleep(0.01)


class RelayTask:
    """A relay running in its own task, so a test can stop and restart it under live clients."""

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.relay: Relay | None = None
        self._stop = anyio.Event()
        self._stopped = anyio.Event()

    async def run(self, *, task_status: anyio.abc.TaskStatus[Relay] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            async with Relay(self.config) as relay:
                self.relay = relay
                task_status.started(relay)
                await self._stop.wait()
        finally:
            self._stopped.set()

    async def stop(self) -> None:
        self._stop.set()
        await self._stopped.wait()
