"""Relay rooms: one Doc, its presence, its clients and its store; a room that fails, fails alone.

What the stock pycrdt-websocket ``YRoom`` did not give (DESIGN.md, issue 20):

* it re-broadcast every update to every client, the sender included; here an
  update goes to the *other* clients only;
* store errors were logged and the writes dropped; here a store that cannot
  be opened, is corrupt or refuses a write *fails the room*: its clients are
  closed with 4503 and a reason, nothing more is accepted, and other rooms
  never notice (no exception leaves the room's own task);
* clients could not know what was on disk; here, after every committed
  write, read-write clients that asked (``durable=1``) receive the state
  vector the store holds (message type :data:`MESSAGE_DURABLE`), so an update
  the relay *acknowledged as durable* survives ``kill -9``;
* presence (awareness) is per connection: see :mod:`crdt_ws._presence`;
* read-only clients' document-changing messages are dropped, and a malformed
  message closes only the client that sent it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
from anyio.abc import TaskStatus
from pycrdt import Doc, YMessageType, YSyncMessageType, create_awareness_message, create_sync_message, create_update_message, handle_sync_message, merge_updates, write_message

from ._channel import ClientChannel, RateLimiter
from ._durable import MESSAGE_DURABLE
from ._errors import ProtocolError, StoreError
from ._presence import PresenceTable
from ._relay_config import RelayConfig
from ._store import RoomStore

__all__ = ["Room", "MESSAGE_DURABLE", "CLOSE_ROOM_FAILED", "CLOSE_NO_SYNC"]

CLOSE_ROOM_FAILED = 4503
"""Close code when a room's store cannot be opened, read or written; the reason says which."""
CLOSE_NO_SYNC = 4408
"""Close code for a client that did not start a sync (send sync step 1) within ``sync_timeout``."""

CHECKPOINT_EVERY = 100
"""Store writes between checkpoints (pycrdt-store's interval, so stores stay interchangeable)."""

_AUTH, _QUERY_AWARENESS = 2, 3  # the other y-protocols message types

log = logging.getLogger("crdt_ws.relay")

try:  # pyo3 panics are BaseException subclasses; a hostile update must not escape as one.
    from pyo3_runtime import PanicException  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on how pycrdt was built
    PanicException = RuntimeError  # type: ignore[misc,assignment]


class Room:
    """One workspace on the relay."""

    def __init__(self, name: str, config: RelayConfig) -> None:
        self.name = name
        self.config = config
        path = config.store_path(name)
        self.store = RoomStore(path, name) if path is not None else None
        self.ydoc = Doc()
        self.presence = PresenceTable()
        self.clients: set[ClientChannel] = set()
        self.ready = anyio.Event()  # loaded, or failed
        self.failure: str | None = None
        self.close_reason = ""
        """The fixed reason clients get when the room failed (``room unavailable: store corrupt`` ...)."""
        self.failed_at = 0.0
        self.idle_since = time.monotonic()
        self.durable_state = b"\x00"
        self._queue: list[bytes] = []
        self._batches = 0
        self._writers: set[ClientChannel] = set()  # who sent what is queued: they get the durable acknowledgement
        self._queued_bytes = 0
        self._wake = anyio.Event()
        self._drained = anyio.Event()
        self._drained.set()
        self._roomy = anyio.Event()  # pending bytes under the room's limit
        self._roomy.set()
        self._closing = False
        self._done = anyio.Event()
        self._limiter = RateLimiter(config.room_bytes_per_second, config.bytes_burst)
        self.stats: dict[str, int] = {"updates": 0, "persisted": 0, "dropped_readonly": 0, "malformed": 0, "presence_refused": 0}

    # -- lifecycle ----------------------------------------------------------

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def pending(self) -> int:
        return len(self._queue) + (0 if self._drained.is_set() else 1)

    @property
    def empty(self) -> bool:
        """Nothing was ever written to this room (so unloading it loses nothing)."""
        return self.ydoc.get_state() == b"\x00" and not self._queue and self._drained.is_set()

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """The room's life: load its store, then write what clients send until closed. Never raises."""
        task_status.started()
        try:
            if self.store is not None:
                for update in await self.store.load():
                    try:
                        self.ydoc.apply_update(update)
                    except (Exception, PanicException) as exc:
                        raise StoreError(f"store of room {self.name!r} holds an update that does not decode", "corrupt") from exc
            self.durable_state = self.ydoc.get_state()
            self.ready.set()
            await self._write_store()
        except StoreError as exc:
            await self._fail(str(exc), f"store {exc.kind}")
        except Exception as exc:  # a bug must still stay inside this room
            log.exception("room %s: unexpected error", self.name)
            await self._fail(f"internal error ({type(exc).__name__})", "internal error")
        finally:
            self._done.set()
            if self.store is not None:
                with anyio.CancelScope(shield=True):
                    try:
                        await self.store.close()
                    except Exception:
                        pass

    async def _fail(self, why: str, kind: str) -> None:
        self.failure = why
        self.close_reason = f"room unavailable: {kind}"
        self.failed_at = time.monotonic()
        self.ready.set()
        self._drained.set()  # nothing more will be written: nobody may wait for it
        self._roomy.set()
        log.error("room %s failed: %s; its clients are closed and its writes refused", self.name, why)
        for channel in self._channels():
            await self.refuse(channel)

    async def refuse(self, channel: ClientChannel) -> None:
        """Close ``channel`` because this room failed."""
        await channel.close(CLOSE_ROOM_FAILED, self.close_reason)
        if channel.scope is not None:
            channel.scope.cancel()

    async def _write_store(self) -> None:
        while True:
            while not self._queue:
                if self._closing:
                    return
                self._wake = anyio.Event()
                await self._wake.wait()
            batch, self._queue = self._queue, []
            writers, self._writers = self._writers, set()
            # Everything applied to the doc so far is in this batch or already stored:
            # the state vector taken now is what the store holds once the batch commits.
            state = self.ydoc.get_state()
            if self.store is not None:
                self._batches += 1
                # Like pycrdt-store, a checkpoint every CHECKPOINT_EVERY writes (taken now, so it holds exactly what is stored).
                checkpoint = self.ydoc.get_update() if self._batches % CHECKPOINT_EVERY == 0 else None
                await self.store.append(merge_updates(*batch) if len(batch) > 1 else batch[0], checkpoint)
            self.durable_state = state
            self.stats["persisted"] += len(batch)
            self._queued_bytes -= sum(len(u) for u in batch)
            if self._queued_bytes < self.config.room_pending_bytes:
                self._roomy.set()
            if not self._queue:
                self._drained.set()
            if self.store is not None and self.config.durable_acks:
                # Only the clients whose updates this batch holds are waiting for it;
                # everyone else got the store's state when it joined.
                message = bytes([MESSAGE_DURABLE]) + write_message(state)
                for channel in writers:
                    if channel.durable_acks and not channel.closed:
                        channel.send(message)

    def _persist(self, update: bytes, sender: ClientChannel) -> None:
        self._queue.append(update)
        self._writers.add(sender)
        self._queued_bytes += len(update)
        self._drained = anyio.Event() if self._drained.is_set() else self._drained
        if self._queued_bytes >= self.config.room_pending_bytes and self._roomy.is_set():
            self._roomy = anyio.Event()
        self._wake.set()

    async def flush(self) -> None:
        """Wait until every update received so far is in the store.

        A failed room returns at once (nothing more will be written; see
        :attr:`failed` and :attr:`failure`), so a reader of the store gets what
        it holds rather than an error.
        """
        await self._drained.wait()

    async def close(self) -> None:
        """Flush, then stop the writer and close the store (idempotent); :class:`StoreError` if it could not flush."""
        self._closing = True
        self._wake.set()
        await self._done.wait()
        if self.failure is not None:
            raise StoreError(self.failure)

    # -- clients ------------------------------------------------------------

    async def serve(self, channel: ClientChannel) -> None:
        if self.failure is not None:
            await self.refuse(channel)
            return
        self.clients.add(channel)
        channel.add_byte_limiter(self._limiter)
        try:
            with anyio.CancelScope() as scope:
                channel.scope = scope
                async with anyio.create_task_group() as tg:
                    tg.start_soon(channel.run_writer)
                    await self._session(channel)
                    channel.close_writer()
        finally:
            self.clients.discard(channel)
            if not self.clients:
                self.idle_since = time.monotonic()
            gone = self.presence.forget(channel.key)
            if gone is not None:
                message = create_awareness_message(gone)
                for client in self._channels():
                    client.send(message)

    async def _session(self, channel: ClientChannel) -> None:
        if channel.durable_acks and channel.can_write and self.store is not None and self.config.durable_acks:
            channel.send(bytes([MESSAGE_DURABLE]) + write_message(self.durable_state))
        channel.send(create_sync_message(self.ydoc))
        snapshot = self.presence.snapshot()
        if snapshot is not None:
            channel.send(create_awareness_message(snapshot))
        synced = False
        try:
            with anyio.move_on_after(self.config.sync_timeout) as deadline:
                async for message in channel:
                    synced = self._handle(channel, message) or synced
                    if synced:
                        break
            if deadline.cancelled_caught and not synced:
                log.warning("room %s: closing client %s: no sync within %gs", self.name, channel.key, self.config.sync_timeout)
                await channel.close(CLOSE_NO_SYNC, f"no sync within {self.config.sync_timeout:g}s")
                return
            async for message in channel:
                self._handle(channel, message)
                if not self._roomy.is_set():
                    await self._roomy.wait()  # the store is behind: stop reading until it catches up
        except ProtocolError as exc:
            self.stats["malformed"] += 1
            log.warning("room %s: closing client %s: %s", self.name, channel.key, exc)
            await channel.close(4400, str(exc)[:120])

    def _handle(self, channel: ClientChannel, message: bytes) -> bool:
        """Apply one message; True if it was a sync step 1 (the client started syncing)."""
        if not message:
            raise ProtocolError("empty message")
        kind = message[0]
        if kind == YMessageType.SYNC:
            return self._handle_sync(channel, message)
        if kind == YMessageType.AWARENESS:
            payload = _payload(message, 1)
            limit = self.config.max_presence_bytes if channel.can_write else self.config.max_presence_bytes_read_only
            before = self.presence.refused
            forward = self.presence.apply(payload, channel.key, max_ids=1, max_state_bytes=limit)
            self.stats["presence_refused"] += self.presence.refused - before
            if forward is not None:
                self._broadcast(channel, create_awareness_message(forward))
        elif kind not in (_AUTH, _QUERY_AWARENESS):
            raise ProtocolError(f"unknown message type {kind}")
        # Auth and query-awareness messages (y-protocols) carry nothing to relay.
        return False

    def _handle_sync(self, channel: ClientChannel, message: bytes) -> bool:
        if len(message) < 2:
            raise ProtocolError("truncated sync message")
        sync_type = message[1]
        if sync_type not in (YSyncMessageType.SYNC_STEP1, YSyncMessageType.SYNC_STEP2, YSyncMessageType.SYNC_UPDATE):
            raise ProtocolError(f"unknown sync message type {sync_type}")
        if sync_type != YSyncMessageType.SYNC_STEP1 and not channel.can_write:
            self.stats["dropped_readonly"] += 1
            return False
        if self.failure is not None:
            return False  # the room failed: nothing more is accepted (its clients are being closed)
        payload = _payload(message, 2)
        try:
            with self.ydoc.transaction(origin=channel.key):
                reply = handle_sync_message(message[1:], self.ydoc)
        except (Exception, PanicException) as exc:
            raise ProtocolError(f"malformed sync message: {exc!r}") from exc
        if reply is not None:
            channel.send(reply)
        if sync_type != YSyncMessageType.SYNC_STEP1 and payload != b"\x00\x00":
            self.stats["updates"] += 1
            self._broadcast(channel, create_update_message(payload))
            self._persist(payload, channel)
        return sync_type == YSyncMessageType.SYNC_STEP1

    def _broadcast(self, sender: ClientChannel, message: bytes) -> None:
        for client in self._channels():
            if client is not sender:
                client.send(message)

    def _channels(self) -> list[ClientChannel]:
        return list(self.clients)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": "failed" if self.failed else "ready" if self.ready.is_set() else "loading",
            "clients": len(self.clients),
            "pending_writes": self.pending,
            **self.stats,
        }


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

