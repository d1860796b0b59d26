"""A relay that also serves the viewer page: ``async with Viewer(relay_config) as v: v.page_url(room, token)``."""

from __future__ import annotations

from types import TracebackType
from typing import Literal
from urllib.parse import quote, urlencode

from crdt_ws import Relay, RelayConfig

from ._app import ViewerApp
from ._config import ViewerConfig

__all__ = ["Viewer"]


class Viewer:
    """The relay plus the viewer's HTTP side; an async context manager."""

    def __init__(self, relay_config: RelayConfig | None = None, config: ViewerConfig | None = None) -> None:
        self.config = config or ViewerConfig()
        self.relay = Relay(relay_config)
        self.app = ViewerApp(self.relay, self.config)
        self.relay.http = self.app

    @property
    def base_url(self) -> str:
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        host = self.relay.config.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"  # a wildcard bind is reachable on loopback
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.relay.port}"

    def page_url(self, room: str, token: str | None = None, *, mode: Literal["view", "replay"] = "view", name: str | None = None) -> str:
        """The page for ``room``, with the token in the query so a person can click it."""
        query = {k: v for k, v in (("token", token), ("name", name)) if v}
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{self.base_url}/{mode}/{quote(room, safe='')}{suffix}"

    async def __aenter__(self) -> Viewer:
        await self.relay.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.relay.__aexit__(exc_type, exc, tb)
