"""The relay's per-client channel: authenticated role, bounded queue, a send that never raises.

A client that floods updates and then vanishes used to take the relay down
(DESIGN.md): a broadcast awaited a dead socket and the exception escaped.
Here :meth:`ClientChannel.send` only enqueues; one writer task per client
drains the queue, and a failed send only stops sending: what the client sent
before it left is still applied.  A client too
slow to keep up is disconnected instead of growing the relay's memory; it
loses nothing, because it resyncs (sync step 1/2) when it reconnects.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

import anyio
import anyio.lowlevel

from ._errors import ProtocolError

__all__ = ["Role", "ClientChannel", "RateLimiter"]

log = logging.getLogger("crdt_ws.relay")

_ids = itertools.count(1)


class Role(str, Enum):
    """What a token lets a client do."""

    READ_WRITE = "rw"
    READ_ONLY = "ro"


class RateLimiter:
    """Token bucket that *delays* reads instead of dropping messages.

    Slowing the reader pushes back through TCP onto the flooding client, so
    nothing it sent is lost and other clients keep their share of the relay.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self.throttled = 0.0

    async def acquire(self, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens (one message, or its bytes), sleeping off any debt first; True if it had to wait."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate) - cost
        self._last = now
        if self._tokens < 0:
            # A cost above the burst is allowed (one big message), paid for by waiting.
            wait = -self._tokens / self.rate
            self.throttled += wait
            await anyio.sleep(wait)
            return True
        return False


class ClientChannel:
    """One websocket client of one room (implements pycrdt's ``Channel`` shape)."""

    def __init__(
        self,
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
        path: str,
        role: Role,
        *,
        max_message_bytes: int,
        queue_size: int,
        limiter: RateLimiter,
        queue_bytes: int = 64 * 1024 * 1024,
        byte_limiter: RateLimiter | None = None,
        durable_acks: bool = False,
        owner: str = "",
    ) -> None:
        self.key = next(_ids)
        self.path = path
        self.role = role
        self._receive = receive
        self._send = send
        self._max = max_message_bytes
        self._limiter = limiter
        self._byte_limiters = [byte_limiter] if byte_limiter is not None else []
        self._max_queue_bytes = queue_bytes
        self.queued_bytes = 0
        self.durable_acks = durable_acks
        """Whether this client asked for the relay's durable-state messages (``durable=1``)."""
        self.owner = owner
        """Who opened the connection (a token's fingerprint), for per-token room caps."""
        self.close_code: int | None = None
        self.close_reason = ""
        self.scope: anyio.CancelScope | None = None
        """The scope serving this client: cancelled to drop a client too slow to read (frees its queue at once)."""
        self._queue: deque[bytes] = deque()
        self._queue_size = queue_size
        self._wake: anyio.Event | None = None  # set while the writer sleeps on an empty queue
        self._ending = False  # the writer sends what is queued, then stops
        self.closed = False
        """Nothing more is sent to this client (it left, a send failed, or the relay closed it)."""
        self.refused = False
        """The relay closed this client (token expired, too slow, bad message, room failed): what it sends is not applied."""
        self.sent = 0
        self.received = 0
        self._warned_rate = False

    @property
    def throttled_s(self) -> float:
        """Seconds this client's reads were delayed by the rate limit."""
        return self._limiter.throttled

    @property
    def can_write(self) -> bool:
        return self.role is Role.READ_WRITE

    # -- outgoing -----------------------------------------------------------

    def send(self, message: bytes) -> None:
        """Queue a message for this client; never raises, never blocks.

        A broadcast calls this once per client with the *same* bytes object:
        queueing costs no copy, and the frame is built only by the writer.
        """
        if self.closed:
            return
        # Over budget *before* this message: one message beyond it is always let in, or a
        # sync step 2 of a document larger than the budget could never be delivered.
        if self.queued_bytes > self._max_queue_bytes or len(self._queue) >= self._queue_size:
            log.warning(
                "client %s too slow (%d messages, %d bytes queued): disconnecting; it resyncs on reconnect",
                self.key, len(self._queue), self.queued_bytes,
            )
            self._drop()
            return
        self._queue.append(message)
        self.queued_bytes += len(message)
        wake = self._wake
        if wake is not None:
            self._wake = None
            wake.set()

    def _drop(self) -> None:
        self.closed = self.refused = True
        self._queue.clear()
        self.queued_bytes = 0
        self._stop_writer()
        if self.scope is not None:
            self.scope.cancel()

    def _stop_writer(self) -> None:
        self._ending = True
        wake = self._wake
        if wake is not None:
            self._wake = None
            wake.set()

    async def run_writer(self) -> None:
        """Send what is queued, in order, until :meth:`close_writer` (or a failed send).

        uvicorn's send returns without suspending while the socket accepts
        data: a broadcast costs each viewer (read-only) one wake-up and one
        send, with no stream machinery in between; a client whose socket is full suspends
        only its own writer, and one whose queue outgrows its budget is dropped
        (:meth:`send`).
        """
        queue = self._queue
        while True:
            while not queue:
                if self._ending or self.closed:
                    return
                self._wake = wake = anyio.Event()
                await wake.wait()
            burst = 0
            while queue:
                # A read-write peer: one loop turn before each send, so uvicorn reads what it sent
                # first. A peer that sent a burst and reset the connection still has that burst in
                # the kernel, and a write to the reset socket closes the transport before it is read
                # (measured: 3000 updates then an abort lost up to half of them without this turn).
                # A read-only peer sends nothing the relay applies: a turn per 64 messages is
                # enough to keep a long backlog from starving the other clients.
                if self.can_write or burst % 64 == 63:
                    await anyio.lowlevel.checkpoint()
                    if not queue:
                        break
                burst += 1
                message = queue.popleft()
                self.queued_bytes -= len(message)
                try:
                    await self._send({"type": "websocket.send", "bytes": message})
                except Exception:
                    # The peer is gone. Only sending stops: the reader still applies what
                    # the peer sent before it left (an update followed at once by a close).
                    self.closed = True
                    queue.clear()
                    self.queued_bytes = 0
                    return
                self.sent += 1

    def close_writer(self) -> None:
        """Let the writer send what is queued, then stop."""
        self._stop_writer()

    def add_byte_limiter(self, limiter: RateLimiter) -> None:
        """Also pace this client's reads by ``limiter`` (a room's shared budget)."""
        self._byte_limiters.append(limiter)

    async def close(self, code: int, reason: str) -> None:
        """The relay closes this client: nothing more is sent or applied."""
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        self.closed = self.refused = True
        self._queue.clear()
        self.queued_bytes = 0
        self._stop_writer()
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except Exception:
            pass

    # -- incoming -----------------------------------------------------------

    def __aiter__(self) -> ClientChannel:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self.refused:
                raise StopAsyncIteration
            if await self._limiter.acquire() and not self._warned_rate:
                self._warned_rate = True
                log.warning(
                    "client %s over the rate limit (%g messages/s, burst %d): its reads are slowed, nothing is dropped",
                    self.key, self._limiter.rate, self._limiter.burst,
                )
            message = await self._receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                self.closed = True
                raise StopAsyncIteration
            if self.refused:
                # The relay closed it meanwhile (token expired, too slow): what it sent after that is not applied.
                raise StopAsyncIteration
            if kind != "websocket.receive":
                continue
            data = message.get("bytes")
            if data is None:
                text = message.get("text")
                if text is not None:
                    raise ProtocolError(f"text frame of {len(text)} chars (Yjs messages are binary)")
                continue
            if len(data) > self._max:
                raise ProtocolError(f"message of {len(data)} bytes over the {self._max}-byte limit")
            self.received += 1
            for limiter in self._byte_limiters:
                await limiter.acquire(len(data))
            return data

    async def recv(self) -> bytes:
        return await self.__anext__()

