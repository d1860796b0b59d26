"""Small shared pieces over pycrdt details: origins of remote updates, update batching."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream
from pycrdt import Doc, TransactionEvent, get_update, merge_updates

__all__ = ["RemoteOrigin", "origin_key", "update_batches", "UpdateInbox"]


class RemoteOrigin:
    """Origin marker for transactions that apply updates received from peers.

    Each transport link has its own instance, so it can tell the updates it
    applied from local ones and never sends them back (no echo).
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


def origin_key(event: TransactionEvent) -> Any:
    """The origin of a ``Doc.observe`` event, as pycrdt reports it there: ``hash(origin)``.

    Only valid inside the callback; pycrdt drops the transaction afterwards.
    """
    return event.transaction.origin()  # type: ignore[attr-defined]


async def update_batches(updates: MemoryObjectReceiveStream[bytes]) -> AsyncIterator[tuple[bytes, int]]:
    """Yield ``(merged update, count)`` for every burst of queued updates.

    Merging a burst into one update is what keeps per-message costs (a
    websocket frame, a SQLite commit) from bounding throughput.
    """
    async for first in updates:
        batch = [first]
        while True:
            try:
                batch.append(updates.receive_nowait())
            except anyio.WouldBlock:
                break
        yield (merge_updates(*batch) if len(batch) > 1 else batch[0]), len(batch)


class UpdateInbox:
    """Applies remote updates to a Doc even when they arrive out of order.

    pycrdt 0.14.13 (yrs) keeps updates whose predecessors are missing as
    "pending", but a second such update can make it drop the first for good:
    u1, u2 then u0 from one writer leaves u1's map write missing forever
    (measured; FIFO delivery never triggers it).  The inbox keeps every update
    whose structs are not yet in the document and re-applies them, merged
    with each new arrival, until the gap is filled.
    """

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.held: list[bytes] = []

    def apply(self, update: bytes, origin: Any) -> None:
        batch = [*self.held, update]
        with self.doc.transaction(origin=origin):
            self.doc.apply_update(merge_updates(*batch) if len(batch) > 1 else update)
        state = self.doc.get_state()
        # An update is in once nothing of its structs is beyond the state vector
        # (the first byte of an update is its number of clients with structs).
        self.held = [u for u in batch if get_update(u, state)[0] != 0]
