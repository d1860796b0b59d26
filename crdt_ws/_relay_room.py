"""Relay rooms: a pycrdt-websocket ``YRoom`` that forwards without echo and persists safely.

What the stock ``YRoom`` does not give (measured pitfalls in DESIGN.md):

* it re-broadcasts every update to every client, the sender included; here an
  update goes to the *other* clients only;
* it writes to the store in fire-and-forget tasks that die with the room; here
  one writer task drains a queue and :meth:`Room.flush` waits for it, so a room
  is never dropped with writes pending;
* it trusts every client; here read-only clients' document-changing messages
  are dropped and a malformed message closes only the client that sent it.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import TaskStatus
from pycrdt import (
    Doc,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
)
from pycrdt.store import SQLiteYStore, YDocNotFound
from pycrdt.websocket import YRoom

from ._channel import ClientChannel
from ._compat import update_batches
from ._errors import ProtocolError

__all__ = ["Room"]

_AUTH, _QUERY_AWARENESS = 2, 3  # the other y-protocols message types

log = logging.getLogger("crdt_ws.relay")

try:  # pyo3 panics are BaseException subclasses; a hostile update must not escape as one.
    from pyo3_runtime import PanicException  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on how pycrdt was built
    PanicException = RuntimeError  # type: ignore[misc,assignment]


class Room(YRoom):
    """One workspace on the relay: a Doc, its awareness, its clients and its store."""

    def __init__(self, name: str, store_path: Path | None) -> None:
        super().__init__(ready=False, log=log)
        self.name = name
        self.store: SQLiteYStore | None = None
        if store_path is not None:
            self.store = SQLiteYStore(path=name, log=log)
            self.store.db_path = str(store_path)
        self._pending_send, self._pending_receive = anyio.create_memory_object_stream[bytes](math.inf)
        self._pending = 0
        self._drained = anyio.Event()
        self._drained.set()
        self._closed = False
        self.stats: dict[str, int] = {
            "updates": 0,
            "persisted": 0,
            "dropped_readonly": 0,
            "malformed": 0,
        }
        # Awareness client ids each connection announced, to clear them when it leaves.
        self._owners: dict[int, set[int]] = {}
        self.awareness.observe(self._track_awareness)

    # -- lifecycle ----------------------------------------------------------

    async def _watch_ready(self) -> None:
        # The stock method subscribes a broadcaster to the doc; we forward in serve().
        await self.ready_event.wait()
        self.ydoc_observed.set()

    async def _broadcast_updates(self) -> None:
        # Replaced by the store writer: one task, in order, flushable.
        await self._write_store()

    async def load(self) -> None:
        """Start the store and load every persisted update *before* the room is ready."""
        if self.store is not None and self._task_group is not None:
            await self._task_group.start(self._run_store)
            try:
                await self.store.apply_updates(self.ydoc)
            except YDocNotFound:
                pass  # a new room: nothing persisted yet
        self.ready = True

    async def _run_store(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        assert self.store is not None
        await self.store.start(task_status=task_status)

    async def _write_store(self) -> None:
        async for merged, count in update_batches(self._pending_receive):
            if self.store is not None:
                await self.store.write(merged)
            self.stats["persisted"] += count
            self._pending -= count
            if self._pending == 0:
                self._drained.set()

    def _persist(self, update: bytes) -> None:
        self._pending += 1
        self._drained = anyio.Event() if self._drained.is_set() else self._drained
        self._pending_send.send_nowait(update)

    async def flush(self) -> None:
        """Wait until every update received so far is in the store."""
        await self._drained.wait()

    async def close(self) -> None:
        """Flush, stop the store, then stop the room: the order that loses nothing (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self.flush()
        if self.store is not None and self.store.started.is_set():
            await self.store.stop()
        if self._task_group is not None:
            await self.stop()

    def send_server_awareness(self, type: str, changes: tuple[dict[str, Any], Any]) -> None:
        """The relay has no presence of its own to announce (the stock room would try)."""

    # -- clients ------------------------------------------------------------

    async def serve(self, channel: ClientChannel) -> None:  # type: ignore[override]
        await self.ready_event.wait()
        self.clients.add(channel)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(channel.run_writer)
                channel.send(_sync_step1(self.ydoc))
                states = self.awareness.encode_awareness_update(list(self.awareness.states))
                if self.awareness.states:
                    channel.send(create_awareness_message(states))
                try:
                    async for message in channel:
                        self._handle(channel, message)
                except ProtocolError as exc:
                    self.stats["malformed"] += 1
                    log.warning("room %s: closing client %s: %s", self.name, channel.key, exc)
                    await channel.close(4400, str(exc)[:120])
                channel.close_writer()
        finally:
            self.clients.discard(channel)
            self._forget_awareness(channel)

    def _track_awareness(self, kind: str, event: tuple[dict[str, Any], Any]) -> None:
        changes, origin = event
        if kind == "update" and isinstance(origin, int):
            owned = self._owners.setdefault(origin, set())
            owned.update(changes.get("added", []), changes.get("updated", []))

    def _forget_awareness(self, channel: ClientChannel) -> None:
        ids = [i for i in self._owners.pop(channel.key, set()) if i in self.awareness.states]
        if not ids:
            return
        self.awareness.remove_awareness_states(ids, "relay")
        message = create_awareness_message(self.awareness.encode_awareness_update(ids))
        for client in self._channels():
            client.send(message)

    def _handle(self, channel: ClientChannel, message: bytes) -> None:
        if not message:
            raise ProtocolError("empty message")
        kind = message[0]
        if kind == YMessageType.SYNC:
            self._handle_sync(channel, message)
        elif kind == YMessageType.AWARENESS:
            payload = _payload(message, 1)
            try:
                self.awareness.apply_awareness_update(payload, channel.key)
            except (Exception, PanicException) as exc:
                raise ProtocolError(f"malformed awareness message: {exc!r}") from exc
            self._broadcast(channel, message)
        elif kind not in (_AUTH, _QUERY_AWARENESS):
            raise ProtocolError(f"unknown message type {kind}")
        # Auth and query-awareness messages (y-protocols) carry nothing to relay.

    def _handle_sync(self, channel: ClientChannel, message: bytes) -> None:
        if len(message) < 2:
            raise ProtocolError("truncated sync message")
        sync_type = message[1]
        if sync_type not in (YSyncMessageType.SYNC_STEP1, YSyncMessageType.SYNC_STEP2, YSyncMessageType.SYNC_UPDATE):
            raise ProtocolError(f"unknown sync message type {sync_type}")
        if sync_type != YSyncMessageType.SYNC_STEP1 and not channel.can_write:
            self.stats["dropped_readonly"] += 1
            return
        payload = _payload(message, 2)
        try:
            with self.ydoc.transaction(origin=channel.key):
                reply = handle_sync_message(message[1:], self.ydoc)
            update = payload if sync_type != YSyncMessageType.SYNC_STEP1 else None
        except (Exception, PanicException) as exc:
            raise ProtocolError(f"malformed sync message: {exc!r}") from exc
        if reply is not None:
            channel.send(reply)
        if update is not None and update != b"\x00\x00":
            self.stats["updates"] += 1
            self._broadcast(channel, create_update_message(update))
            self._persist(update)

    def _broadcast(self, sender: ClientChannel, message: bytes) -> None:
        for client in self._channels():
            if client is not sender:
                client.send(message)

    def _channels(self) -> list[ClientChannel]:
        # YRoom types its clients as pycrdt Channels; every client here is a ClientChannel.
        return [c for c in tuple(self.clients) if isinstance(c, ClientChannel)]

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "clients": len(self.clients), "pending_writes": self._pending, **self.stats}


def _payload(message: bytes, offset: int) -> bytes:
    """The length-prefixed payload at ``offset``; its declared length must match exactly."""
    length = shift = 0
    i = offset
    while True:
        if i >= len(message) or shift > 63:
            raise ProtocolError("truncated length prefix")
        byte = message[i]
        length |= (byte & 0x7F) << shift
        shift += 7
        i += 1
        if byte < 0x80:
            break
    if len(message) - i != length:
        raise ProtocolError(f"payload declares {length} bytes but carries {len(message) - i}")
    return message[i:]


def _sync_step1(doc: Doc) -> bytes:
    return create_sync_message(doc)
