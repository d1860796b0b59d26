"""The relay's per-client channel: authenticated role, bounded queue, a send that never raises.

A client that floods updates and then vanishes used to take the relay down
(DESIGN.md): a broadcast awaited a dead socket and the exception escaped.
Here :meth:`ClientChannel.send` only enqueues; one writer task per client
drains the queue, and any failure just marks the channel closed.  A client too
slow to keep up is disconnected instead of growing the relay's memory; it
loses nothing, because it resyncs (sync step 1/2) when it reconnects.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

import anyio

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
        self._out_send, self._out_receive = anyio.create_memory_object_stream[bytes](queue_size)
        self.closed = False
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
        """Queue a message for this client; never raises, never blocks."""
        if self.closed:
            return
        # Over budget *before* this message: one message beyond it is always let in, or a
        # sync step 2 of a document larger than the budget could never be delivered.
        if self.queued_bytes > self._max_queue_bytes:
            log.warning("client %s too slow (%d bytes queued): disconnecting; it resyncs on reconnect", self.key, self.queued_bytes)
            self._drop()
            return
        try:
            self._out_send.send_nowait(message)
            self.queued_bytes += len(message)
        except anyio.WouldBlock:
            log.warning("client %s too slow (queue full): disconnecting; it resyncs on reconnect", self.key)
            self._drop()
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self.closed = True

    def _drop(self) -> None:
        self.closed = True
        self._out_send.close()
        if self.scope is not None:
            self.scope.cancel()

    async def run_writer(self) -> None:
        async with self._out_receive:
            async for message in self._out_receive:
                self.queued_bytes -= len(message)
                try:
                    await self._send({"type": "websocket.send", "bytes": message})
                    self.sent += 1
                except Exception:  # the peer is gone; the reader will see the disconnect
                    self.closed = True
                    return

    def close_writer(self) -> None:
        self._out_send.close()

    def add_byte_limiter(self, limiter: RateLimiter) -> None:
        """Also pace this client's reads by ``limiter`` (a room's shared budget)."""
        self._byte_limiters.append(limiter)

    async def close(self, code: int, reason: str) -> None:
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        self.closed = True
        self._out_send.close()
        try:
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
        except Exception:
            pass

    # -- incoming -----------------------------------------------------------

    def __aiter__(self) -> ClientChannel:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self.closed:
                raise StopAsyncIteration
            if await self._limiter.acquire() and not self._warned_rate:
                self._warned_rate = True
                log.warning(
                    "client %s over the rate limit (%g messages/s, burst %d): its reads are slowed, nothing is dropped",
                    self.key, self._limiter.rate, self._limiter.burst,
                )
            message = await self._receive()
            kind = message["type"]
            if kind == "websocket.disconnect" or self.closed:
                # Closed meanwhile (token expired, too slow): what it sent after that is not applied.
                self.closed = True
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

