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

    async def acquire(self) -> bool:
        """Take one message's token, sleeping first if the bucket is empty; True if it had to wait."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1:
            wait = (1 - self._tokens) / self.rate
            self.throttled += wait
            await anyio.sleep(wait)
            self._tokens = 1
            self._last = time.monotonic()
            self._tokens -= 1
            return True
        self._tokens -= 1
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
    ) -> None:
        self.key = next(_ids)
        self.path = path
        self.role = role
        self._receive = receive
        self._send = send
        self._max = max_message_bytes
        self._limiter = limiter
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
        try:
            self._out_send.send_nowait(message)
        except anyio.WouldBlock:
            log.warning("client %s too slow (queue full): disconnecting; it resyncs on reconnect", self.key)
            self.closed = True
            self._out_send.close()
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            self.closed = True

    async def run_writer(self) -> None:
        async with self._out_receive:
            async for message in self._out_receive:
                try:
                    await self._send({"type": "websocket.send", "bytes": message})
                    self.sent += 1
                except Exception:  # the peer is gone; the reader will see the disconnect
                    self.closed = True
                    return

    def close_writer(self) -> None:
        self._out_send.close()

    async def close(self, code: int, reason: str) -> None:
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
            return data

    async def recv(self) -> bytes:
        return await self.__anext__()

