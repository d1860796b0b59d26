"""A TCP forwarder on 127.0.0.1 that can cut every connection at once.

Clients connect to the proxy instead of the relay; each accepted connection
is bridged to a fresh upstream connection.  :meth:`CuttingProxy.cut` closes
both sides of every live bridge (the client sees its socket drop with no
websocket close frame, exactly as when a network path dies), after which
clients must reconnect by themselves.  Because every client goes through it,
the proxy is also where reconnects are counted and recovery is timed: it
knows at each moment how many clients are connected to a live relay.
"""

from __future__ import annotations

import math
from contextlib import AsyncExitStack
from types import TracebackType

import anyio
from anyio.abc import SocketStream, TaskGroup

__all__ = ["CuttingProxy"]


class CuttingProxy:
    """``async with CuttingProxy(relay_port) as proxy:`` clients use ``proxy.port``."""

    def __init__(self, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.upstream_port = upstream_port
        self.port = 0
        self.accepted = 0
        """Connections clients opened to the proxy."""
        self.bridged = 0
        """Of those, connections that reached the relay (the rest found it down and were closed)."""
        self.cuts = 0
        self.cut_connections = 0
        self._live: dict[int, anyio.CancelScope] = {}
        self._changed = anyio.Event()
        self._tg: TaskGroup | None = None

    @property
    def live(self) -> int:
        """Clients bridged to the relay right now."""
        return len(self._live)

    async def __aenter__(self) -> CuttingProxy:
        self._stack = AsyncExitStack()
        listener = await anyio.create_tcp_listener(local_host=self.host, local_port=0)
        await self._stack.enter_async_context(listener)
        self.port = int(listener.extra(anyio.abc.SocketAttribute.local_port))
        self._tg = await self._stack.enter_async_context(anyio.create_task_group())
        self._stack.callback(self._tg.cancel_scope.cancel)
        self._tg.start_soon(listener.serve, self._bridge, self._tg)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    def cut(self) -> int:
        """Close every live connection now; returns how many were cut."""
        scopes = list(self._live.values())
        for scope in scopes:
            scope.cancel()
        self.cuts += 1
        self.cut_connections += len(scopes)
        return len(scopes)

    async def wait_live(self, count: int, timeout: float = math.inf) -> float | None:
        """Seconds until at least ``count`` clients are bridged (None if not within ``timeout``)."""
        start = anyio.current_time()
        with anyio.move_on_after(timeout):
            while self.live < count:
                changed = self._changed
                await changed.wait()
            return anyio.current_time() - start
        return None

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def _bridge(self, client: SocketStream) -> None:
        self.accepted += 1
        async with client:
            try:
                upstream = await anyio.connect_tcp(self.host, self.upstream_port)
            except OSError:
                return  # the relay is down: the client sees its connection close and retries
            key = id(client)
            async with upstream:
                with anyio.CancelScope() as scope:
                    self.bridged += 1
                    self._live[key] = scope
                    self._notify()
                    try:
                        async with anyio.create_task_group() as tg:
                            tg.start_soon(_pump, client, upstream, tg.cancel_scope)
                            tg.start_soon(_pump, upstream, client, tg.cancel_scope)
                    finally:
                        self._live.pop(key, None)
                        self._notify()


async def _pump(source: SocketStream, sink: SocketStream, scope: anyio.CancelScope) -> None:
    """Copy one direction until either side ends; then end the whole bridge."""
    try:
        async for chunk in source:
            await sink.send(chunk)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        pass
    finally:
        scope.cancel()
