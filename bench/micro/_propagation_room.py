"""The replicas of one propagation-benchmark room, and the bookkeeping that times marker arrivals.

:func:`connect_room` joins N :class:`crdt_ws.Workspace` replicas to one relay
room and waits until each holds the benchmark file; :class:`Room` watches every
replica's ``Text`` and turns the arrival of each edit's marker (``<e12>`` for a
latency edit, ``<u7>`` for a throughput insert) into a timestamp per replica
and an event once every replica has it.  ``propagation.py`` makes the edits and
reads the times.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
from pycrdt import Subscription, Text, TextEvent

from crdt_ws import WebsocketConfig, WebsocketConnection, WebsocketTransport, Workspace

__all__ = ["PATH", "Replica", "Room", "connect_room"]

PATH = "bench.py"
MARKER = re.compile(r"<([eu])(\d+)>")
"""An edit's marker: ``e`` for a latency edit, ``u`` for a throughput insert, then its number."""


class Replica:
    """One workspace replica plus the arrival times its Text observer records."""

    def __init__(self, index: int, workspace: Workspace, connection: WebsocketConnection) -> None:
        self.index = index
        self.workspace = workspace
        self.connection = connection
        self.arrivals: dict[tuple[str, int], float] = {}
        self.subscription: Subscription | None = None
        self.observed: Text | None = None  # pycrdt: unobserve only through the same wrapper


class Room:
    """N connected replicas and the bookkeeping that turns marker arrivals into events."""

    def __init__(self, replicas: list[Replica]) -> None:
        self.replicas = replicas
        self._waiting: dict[tuple[str, int], tuple[int, anyio.Event]] = {}
        self._counts: dict[int, int] = {r.index: 0 for r in replicas}
        self._all_updates = anyio.Event()
        self._updates_expected = 0

    def watch(self, replica: Replica) -> None:
        def on_text(event: TextEvent) -> None:
            now = time.perf_counter()
            for op in event.delta:  # type: ignore[union-attr]
                inserted = op.get("insert") if isinstance(op, dict) else None
                if not isinstance(inserted, str):
                    continue
                for match in MARKER.finditer(inserted):
                    self._arrived(replica, (match[1], int(match[2])), now)

        text = replica.workspace.text(PATH)
        replica.observed = text
        replica.subscription = text.observe(on_text)

    def _arrived(self, replica: Replica, key: tuple[str, int], now: float) -> None:
        replica.arrivals.setdefault(key, now)
        if key[0] == "u":
            self._counts[replica.index] += 1
            if self._updates_expected and all(c >= self._updates_expected for c in self._counts.values()):
                self._all_updates.set()
            return
        waiting = self._waiting.get(key)
        if waiting is not None:
            remaining, done = waiting
            self._waiting[key] = (remaining - 1, done)
            if remaining - 1 == 0:
                done.set()

    def expect(self, key: tuple[str, int]) -> anyio.Event:
        done = anyio.Event()
        self._waiting[key] = (len(self.replicas), done)  # the writer's own observer counts too
        return done

    def expect_updates(self, count: int) -> anyio.Event:
        self._updates_expected = count
        self._counts = {r.index: 0 for r in self.replicas}
        self._all_updates = anyio.Event()
        return self._all_updates

    def texts(self) -> list[str]:
        return [r.workspace.read(PATH) for r in self.replicas]


@asynccontextmanager
async def connect_room(url: str, room: str, token: str, n: int) -> AsyncIterator[Room]:
    async with AsyncExitStack() as stack:
        replicas: list[Replica] = []
        for i in range(n):
            workspace = Workspace(f"bench-{i}")
            transport = WebsocketTransport(WebsocketConfig(url=url, room=room, token=token))  # type: ignore[arg-type]
            connection = await stack.enter_async_context(transport.connect(workspace))
            replicas.append(Replica(i, workspace, connection))
        replicas[0].workspace.create_file(PATH, "# propagation benchmark: é → ✓\n")
        with anyio.fail_after(10):
            while not all(PATH in r.workspace.files for r in replicas):
                await anyio.sleep(0.002)
        bench_room = Room(replicas)
        for replica in replicas:
            bench_room.watch(replica)
        try:
            yield bench_room
        finally:
            for replica in replicas:
                if replica.observed is not None and replica.subscription is not None:
                    replica.observed.unobserve(replica.subscription)
