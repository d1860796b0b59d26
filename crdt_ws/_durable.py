"""What a relay link knows about durability: the store's state vector, as the relay last acknowledged it.

The relay (``crdt_ws`` relays with a store) sends message type
:data:`MESSAGE_DURABLE` to a client that connected with ``durable=1`` when it
joins and after every store commit holding that client's updates.  Other
relays never send it; a session that completed its sync without one means
the relay acknowledges nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
from pycrdt import read_message

from ._errors import NotDurable, ProtocolError
from ._workspace import decode_state_vector

__all__ = ["DurableState", "MESSAGE_DURABLE"]

MESSAGE_DURABLE = 100
"""Relay -> client message: this byte, then a length-prefixed Yjs state vector of what the room's store holds."""


class DurableState:
    """Per-connection tracker; :meth:`wait` is what ``WebsocketConnection.wait_durable`` runs."""

    def __init__(self) -> None:
        self.vector: dict[int, int] = {}
        self._acks = False  # the relay sent a durable-state message in this session
        self._synced = False  # this session completed its first sync
        self._changed = anyio.Event()

    def new_session(self) -> None:
        self.vector, self._acks, self._synced = {}, False, False
        self.news()

    def synced(self) -> None:
        if not self._synced:
            self._synced = True
            self.news()

    def received(self, message: bytes) -> None:
        """Apply a durable-state message (``message`` includes its type byte)."""
        try:
            state = decode_state_vector(read_message(message[1:]))
        except Exception as exc:
            raise ProtocolError(f"malformed durable-state message from relay: {exc!r}") from exc
        self._acks = True
        self.vector = {k: max(v, self.vector.get(k, 0)) for k, v in {**self.vector, **state}.items()}
        self.news()

    def news(self) -> None:
        """Wake waiters to re-check (new acknowledgement, new session, link stopped)."""
        self._changed.set()
        self._changed = anyio.Event()

    async def wait(self, client_id: int, target: int, timeout: float, *, connected: Callable[[], bool], fatal: Callable[[], object]) -> None:
        """Until ``vector[client_id] >= target``; ``connected``/``fatal`` are callables read at each wake-up."""
        try:
            with anyio.fail_after(timeout):
                while self.vector.get(client_id, 0) < target:
                    stopped = fatal()
                    if stopped is not None:
                        raise NotDurable(f"relay link stopped: {stopped}")
                    if connected() and self._synced and not self._acks:
                        raise NotDurable("the relay does not acknowledge durability (it keeps no store, or is not a crdt_ws relay)")
                    await self._changed.wait()
        except TimeoutError:
            raise NotDurable(
                f"the relay acknowledged this replica's updates up to clock {self.vector.get(client_id, 0)} of {target} "
                f"within {timeout}s" + ("" if connected() else " (not connected)")
            ) from None
