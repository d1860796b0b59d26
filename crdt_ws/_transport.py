"""Transports: how a replica reaches its peers, behind one Protocol and a registry.

Two ship here: ``memory`` (:class:`MemoryHub`, in-process) and ``websocket``
(:class:`WebsocketTransport`, through the relay).  Both hand out a connection
that is an async context manager with a ``synced`` event, so every test and
every agent can run unchanged over either.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, runtime_checkable

import anyio

from ._workspace import Workspace

__all__ = ["Connection", "Transport", "register_transport", "transport_names", "create_transport"]


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


_REGISTRY: dict[str, Callable[..., Transport]] = {}


def register_transport(name: str, factory: Callable[..., Transport]) -> None:
    """Make ``create_transport(name, ...)`` build transports with ``factory``."""
    _REGISTRY[name] = factory


def transport_names() -> list[str]:
    return sorted(_REGISTRY)


def create_transport(name: str, **options: Any) -> Transport:
    """Build a transport by short name (``memory``, ``websocket``)."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown transport {name!r}; known: {', '.join(transport_names())}") from None
    return factory(**options)


def _websocket(**options: Any) -> Transport:
    from ._client import WebsocketConfig, WebsocketTransport

    return WebsocketTransport(WebsocketConfig(**options))


def _memory(**options: Any) -> Transport:
    from ._memory import MemoryHub

    return MemoryHub(**options)


register_transport("memory", _memory)
register_transport("websocket", _websocket)
