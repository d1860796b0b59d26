"""In-memory transport: replicas in one process, linked through a hub.

Fast and deterministic for tests and single-process runs.  Each replica still
has its own ``Doc``; the hub forwards each local transaction's update to the
other replicas (optionally after a delay, to model a network) and never back
to its sender.  Awareness (presence) is forwarded the same way.
"""

from __future__ import annotations

import math
from types import TracebackType
from typing import Any

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream
from pycrdt import TransactionEvent

from ._compat import RemoteOrigin, origin_key
from ._workspace import Workspace

__all__ = ["MemoryHub", "MemoryConnection"]


class MemoryConnection:
    """One replica's link to a :class:`MemoryHub` (async context manager)."""

    def __init__(self, hub: MemoryHub, workspace: Workspace) -> None:
        self.hub = hub
        self.workspace = workspace
        self.origin = RemoteOrigin("memory-hub")
        self._origin_key = hash(self.origin)
        self.synced = anyio.Event()
        self.connected = False
        self._subs: list[Any] = []
        self._awareness_sub: str | None = None
        self._inbox: MemoryObjectSendStream[tuple[float, str, bytes]] | None = None
        self.updates_applied = 0
        self._probes: list[anyio.Event] = []

    async def __aenter__(self) -> MemoryConnection:
        await self.hub._join(self)
        self.connected = True
        self.synced.set()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.connected = False
        self.hub._leave(self)

    async def round_trip(self, timeout: float = 5.0) -> float:
        """Seconds for a probe to cross the hub and come back (``2 × delay`` plus scheduling)."""
        start = anyio.current_time()
        if self._inbox is not None:
            answered = anyio.Event()
            self._probes.append(answered)
            self._inbox.send_nowait((start + 2 * self.hub.delay, "probe", b""))
            with anyio.fail_after(timeout):
                await answered.wait()
        else:
            await anyio.lowlevel.checkpoint()
        return anyio.current_time() - start

    def apply(self, kind: str, payload: bytes) -> None:
        """Apply a forwarded update/awareness payload as a remote change."""
        if kind == "probe":
            self._probes.pop(0).set()
        elif kind == "update":
            with self.workspace.doc.transaction(origin=self.origin):
                self.workspace.doc.apply_update(payload)
            self.updates_applied += 1
        else:
            self.workspace.awareness.apply_awareness_update(payload, self.origin)

    def _on_update(self, event: TransactionEvent) -> None:
        if origin_key(event) != self._origin_key:
            self.hub._forward(self, "update", event.update)

    def _on_awareness(self, kind: str, event: tuple[dict[str, Any], Any]) -> None:
        changes, origin = event
        if kind == "update" and origin == "local":
            ids = [*changes["added"], *changes["updated"], *changes["removed"]]
            self.hub._forward(self, "awareness", self.workspace.awareness.encode_awareness_update(ids))


class MemoryHub:
    """Links in-process replicas; ``delay`` seconds of one-way latency (0 = synchronous).

    With ``delay == 0`` an update reaches every other replica before the
    writing transaction returns, which makes single-process runs and tests
    deterministic.  With a delay, per-link FIFO order is kept.
    """

    name = "memory"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.peers: list[MemoryConnection] = []
        self._tg: TaskGroup | None = None
        self.forwarded = 0

    async def __aenter__(self) -> MemoryHub:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._tg is not None:
            self._tg.cancel_scope.cancel()
            await self._tg.__aexit__(None, None, None)
            self._tg = None

    def connect(self, workspace: Workspace) -> MemoryConnection:
        return MemoryConnection(self, workspace)

    async def _join(self, peer: MemoryConnection) -> None:
        doc = peer.workspace.doc
        # Initial sync both ways, like sync step 1/2 with every existing peer.
        for other in self.peers:
            other_doc = other.workspace.doc
            peer.apply("update", other_doc.get_update(doc.get_state()))
            other.apply("update", doc.get_update(other_doc.get_state()))
        peer._subs = [doc.observe(peer._on_update)]
        peer._awareness_sub = peer.workspace.awareness.observe(peer._on_awareness)
        if self.delay > 0:
            if self._tg is None:
                raise RuntimeError("a MemoryHub with delay must be used as `async with MemoryHub(...)`")
            send, receive = anyio.create_memory_object_stream[tuple[float, str, bytes]](math.inf)
            peer._inbox = send

            async def deliver() -> None:
                async with receive:
                    async for due, kind, payload in receive:
                        await anyio.sleep(max(0.0, due - anyio.current_time()))
                        if peer.connected:
                            peer.apply(kind, payload)

            self._tg.start_soon(deliver)
        self.peers.append(peer)

    def _leave(self, peer: MemoryConnection) -> None:
        if peer in self.peers:
            self.peers.remove(peer)
        for sub in peer._subs:
            peer.workspace.doc.unobserve(sub)
        if peer._awareness_sub is not None:
            peer.workspace.awareness.unobserve(peer._awareness_sub)
        if peer._inbox is not None:
            peer._inbox.close()

    def _forward(self, sender: MemoryConnection, kind: str, payload: bytes) -> None:
        self.forwarded += 1
        for peer in tuple(self.peers):
            if peer is sender:
                continue
            if peer._inbox is not None:
                peer._inbox.send_nowait((anyio.current_time() + self.delay, kind, payload))
            else:
                peer.apply(kind, payload)
