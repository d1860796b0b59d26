"""Transports: how a replica reaches its peers, behind one Protocol and a registry.

Two ship here: ``memory`` (:class:`MemoryHub`, in-process) and ``websocket``
(:class:`WebsocketTransport`, through the relay).  Both hand out a connection
that is an async context manager with a ``synced`` event, so every test and
every agent can run unchanged over either.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, runtime_checkable

import anyio

from ._workspace import Workspace

__all__ = ["Connection", "Transport"]


@runtime_checkable
class Connection(Protocol):
    """A replica's live link; entering it completes the initial sync."""

    synced: anyio.Event
    connected: bool

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc: Any) -> Any: ...

    async def round_trip(self, timeout: float = 5.0) -> float:
        """Seconds for one sync round trip to the peers' side and back (feeds the claim wait)."""
        ...


class Transport(Protocol):
    """Something that links a Workspace's Doc to its peers."""

    name: str

    def connect(self, workspace: Workspace) -> AbstractAsyncContextManager[Any]: ...
