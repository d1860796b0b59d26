"""The relay's rooms: created on demand, loaded outside any global lock, capped, unloaded when idle.

Each room runs in its own task that never raises (see :class:`Room.run`), so
a room whose store fails cannot cancel the relay.  The registry lock guards
only the dictionary; loading happens in the room's task while its clients
wait on that room alone.  Caps: ``max_rooms`` loaded at once (the least
recently used idle room makes way, else 4429), ``max_rooms_per_token`` rooms a
token is connected to at once, ``max_clients_per_room``.  A room nobody wrote
to is unloaded when its last client leaves (and never creates a file); other
rooms after ``evict_idle_after``.  A failed room refuses clients (4503) for
``retry_failed_room_after`` seconds, then the next client tries again.
"""

from __future__ import annotations

from ._errors import WorkspaceError

import logging
import time
from collections import Counter
from types import TracebackType

import anyio
from anyio.abc import TaskGroup

from ._errors import StoreError
from ._relay_config import RelayConfig
from ._relay_room import CLOSE_ROOM_FAILED, Room

__all__ = ["Rooms", "RoomRefused", "CLOSE_LIMIT"]

CLOSE_LIMIT = 4429
"""Close code when a cap (rooms in total, rooms per token, clients per room) refuses a connection."""

log = logging.getLogger("crdt_ws.relay")


class RoomRefused(WorkspaceError):
    """A connection the registry will not serve: a close code and a fixed reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Rooms:
    """Every loaded room of one relay (an async context manager owning the rooms' tasks)."""

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.rooms: dict[str, Room] = {}
        self._lock = anyio.Lock()
        self._active: Counter[str] = Counter()
        self._owners: dict[str, Counter[str]] = {}
        self._tg: TaskGroup | None = None
        self.evicted = 0
        self.refused: Counter[str] = Counter()
        self.unflushed: dict[str, str] = {}
        """Rooms that could not be flushed at shutdown, with why (filled by :meth:`close_rooms`)."""

    async def __aenter__(self) -> Rooms:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(self._sweep)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> bool | None:
        assert self._tg is not None
        self._tg.cancel_scope.cancel()
        return await self._tg.__aexit__(exc_type, exc, tb)

    async def acquire(self, name: str, owner: str) -> Room:
        """The loaded room ``name`` for a new connection of ``owner``; raises :class:`RoomRefused`."""
        assert self._tg is not None
        async with self._lock:
            room = self.rooms.get(name)
            if room is not None and room.failed and time.monotonic() - room.failed_at > self.config.retry_failed_room_after and not self._active[name]:
                del self.rooms[name]  # try to open it again
                room = None
            mine = self._owners.setdefault(owner, Counter())
            if name not in mine and len(mine) >= self.config.max_rooms_per_token:
                self._refuse("per_token")
                raise RoomRefused(CLOSE_LIMIT, f"too many rooms for one token (limit {self.config.max_rooms_per_token})")
            if room is not None and self._active[name] >= self.config.max_clients_per_room:
                self._refuse("per_room")
                raise RoomRefused(CLOSE_LIMIT, f"room is full (limit {self.config.max_clients_per_room} clients)")
            if room is None:
                if len(self.rooms) >= self.config.max_rooms:
                    await self._make_way()
                room = Room(name, self.config)
                self.rooms[name] = room
                await self._tg.start(room.run)
            self._active[name] += 1
            mine[name] += 1
        with anyio.move_on_after(self.config.load_timeout):
            await room.ready.wait()
        if not room.ready.is_set():
            await self.release(name, owner)
            raise RoomRefused(CLOSE_ROOM_FAILED, "room unavailable: store load timed out")
        return room

    async def release(self, name: str, owner: str) -> None:
        """A connection of ``owner`` to ``name`` ended; unload the room now if nobody ever wrote to it."""
        with anyio.CancelScope(shield=True):
            async with self._lock:
                self._active[name] -= 1
                mine = self._owners.get(owner)
                if mine is not None:
                    mine[name] -= 1
                    if mine[name] <= 0:
                        del mine[name]
                    if not mine:
                        del self._owners[owner]
                if self._active[name] > 0:
                    return
                del self._active[name]
                room = self.rooms.get(name)
                if room is not None and not room.failed and room.empty:
                    await self._unload(room)

    def _refuse(self, why: str) -> None:
        self.refused[why] += 1
        log.warning("connection refused: %s cap reached", why.replace("_", " "))

    async def _make_way(self) -> None:
        """At the room cap: unload the least recently used idle room, or refuse."""
        idle = [r for r in self.rooms.values() if not self._active[r.name]]
        if not idle:
            self._refuse("total")
            raise RoomRefused(CLOSE_LIMIT, f"relay at its room limit ({self.config.max_rooms})")
        await self._unload(min(idle, key=lambda r: r.idle_since))

    async def _unload(self, room: Room) -> None:
        """Flush and drop an idle room (called under the lock)."""
        try:
            with anyio.fail_after(self.config.flush_timeout):
                await room.close()
        except (StoreError, TimeoutError) as exc:
            if not room.failed:  # a failed room stays, so its clients keep getting the reason
                log.error("room %s could not be flushed before unloading (%s); kept loaded", room.name, exc)
                return
        del self.rooms[room.name]
        if not room.empty:
            self.evicted += 1
            log.info("room %s unloaded after %.1fs idle", room.name, time.monotonic() - room.idle_since)

    async def _sweep(self) -> None:
        period = min(5.0, (self.config.evict_idle_after or 5.0) / 4)
        while True:
            await anyio.sleep(period)
            if self.config.evict_idle_after is None:
                continue
            now = time.monotonic()
            async with self._lock:
                for room in list(self.rooms.values()):
                    if not self._active[room.name] and not room.failed and now - room.idle_since >= self.config.evict_idle_after:
                        await self._unload(room)

    async def flush(self) -> None:
        """Wait until every healthy room's store holds every update received so far."""
        for room in list(self.rooms.values()):
            await room.flush()  # a failed room returns at once

    async def close_rooms(self) -> dict[str, str]:
        """Flush and close every room; the rooms that could not be flushed, with why (never raises)."""
        async with self._lock:
            rooms, self.rooms = list(self.rooms.values()), {}
            for room in rooms:
                try:
                    with anyio.fail_after(self.config.flush_timeout):
                        await room.close()
                except StoreError as exc:
                    self.unflushed[room.name] = str(exc)
                except TimeoutError:
                    self.unflushed[room.name] = f"flush did not finish within {self.config.flush_timeout:g}s ({room.pending} writes pending)"
                except Exception as exc:  # one room's surprise must not stop the others' flush
                    self.unflushed[room.name] = f"{type(exc).__name__}: {exc}"
        for name, why in self.unflushed.items():
            log.error("room %s was NOT flushed: %s", name, why)
        return dict(self.unflushed)
