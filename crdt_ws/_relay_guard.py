"""Connection-level guards of the relay: a handshake deadline, and logs that cannot flood.

uvicorn's h11 protocol has no deadline before the first request: a TCP
connection that never sends a request (or sends half of one) held a file
descriptor forever, and 200 of them, no token needed, starved good clients
at the file limit.  :func:`guarded_http_protocol` closes any connection whose
request has not arrived within the deadline.  When accept() itself fails
(no descriptors left), asyncio logs one record per attempt; hundreds of
thousands of identical lines were measured: asyncio's accept loop tries
``backlog`` (uvicorn: 2048) accepts per readiness event and, on each EMFILE,
logs and schedules its own retry, so the retries multiply.
:func:`accept_one_per_tick` makes that loop take one connection per event
(one error, one retry), and :class:`LogRateLimit` lets a burst of each kind of
record through per window and then summarises.
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import logging
import re
import time
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["guarded_http_protocol", "LogRateLimit", "accept_one_per_tick"]

_loop_class: Any = asyncio.selector_events.BaseSelectorEventLoop
_original_accept = _loop_class._accept_connection


def _accept_one(self: Any, protocol_factory: Any, sock: Any, sslcontext: Any = None, server: Any = None, backlog: int = 100, *args: Any) -> None:
    # The listen() backlog was set when serving started; only the batch per event shrinks.
    _original_accept(self, protocol_factory, sock, sslcontext, server, 1, *args)


def accept_one_per_tick() -> None:
    """Patch asyncio's selector loop to accept one connection per readiness event (idempotent).

    Without it, at the file limit one readiness event costs ``backlog`` log
    records and ``backlog`` retry timers, each of which repeats the round.
    """
    _loop_class._accept_connection = _accept_one


def guarded_http_protocol(handshake_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol, closing connections that send no complete request within ``handshake_timeout``."""

    class GuardedH11Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._handshake_timer = self.loop.call_later(handshake_timeout, self._handshake_expired)

        def connection_lost(self, exc: Exception | None) -> None:
            self._handshake_timer.cancel()
            super().connection_lost(exc)

        def _handshake_expired(self) -> None:
            # After a websocket upgrade the transport belongs to the websocket protocol;
            # after a complete request uvicorn's keep-alive timeout takes over.
            if self.cycle is None and self.transport.get_protocol() is self and not self.transport.is_closing():
                self.transport.close()

    return GuardedH11Protocol


_NUMBERS = re.compile(r"(0x)?[0-9a-f]*[0-9][0-9a-f]*", re.IGNORECASE)


class LogRateLimit(logging.Filter):
    """At most ``burst`` records of one kind (logger + message template) per ``interval`` seconds."""

    def __init__(self, burst: int, interval: float) -> None:
        super().__init__()
        self.burst = burst
        self.interval = interval
        self._windows: dict[tuple[str, Any], list[float]] = {}  # key -> [window start, passed, suppressed]
        self.suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        # One kind = same logger, same first line with numbers and addresses blanked
        # (asyncio formats the socket and timer into its message).
        head = str(record.msg).split("\n", 1)[0][:80]
        key = (record.name, _NUMBERS.sub("#", head))
        now = time.monotonic()
        window = self._windows.get(key)
        if window is None or now - window[0] >= self.interval:
            dropped = int(window[2]) if window is not None else 0
            self._windows[key] = [now, 1, 0]
            if len(self._windows) > 1000:  # bounded memory even under a flood of distinct messages
                self._windows = {k: w for k, w in self._windows.items() if now - w[0] < self.interval}
            if dropped:
                record.msg = f"{record.msg} [{dropped} more like this suppressed in the last {self.interval:g}s]"
            return True
        if window[1] < self.burst:
            window[1] += 1
            return True
        window[2] += 1
        self.suppressed += 1
        return False

    def install(self, *names: str) -> None:
        for name in names:
            logging.getLogger(name).addFilter(self)

    def remove(self, *names: str) -> None:
        for name in names:
            logging.getLogger(name).removeFilter(self)
