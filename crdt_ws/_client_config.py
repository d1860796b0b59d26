"""The websocket client's settings and counters: where the relay is, how to stay linked, what crossed the wire.

:class:`WebsocketConfig` is what a caller (the CLI, an embedded session, a
benchmark) fills in; :class:`ConnectionStats` is what a
:class:`crdt_ws.WebsocketConnection` reports.  Both are plain data, kept apart
from the connection loop in ``_client.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, Field, SecretStr

__all__ = ["WebsocketConfig", "ConnectionStats"]


class WebsocketConfig(BaseModel):
    """Where the relay is and how hard to try to stay connected."""

    url: str = Field(description="Relay base URL, e.g. ws://127.0.0.1:8765.")
    room: str = Field(description="Room (workspace) name.")
    token: SecretStr | None = Field(
        default=None,
        description="Access token, sent as the `token` query parameter (the CLI reads it from $CRDT_WS_TOKEN "
        "or a token file, so it never has to sit in a config that is logged or saved with results).",
    )
    connect_timeout: float = Field(default=10.0, gt=0, description="Seconds to wait for the first sync before failing.")
    backoff_initial: float = Field(default=0.05, gt=0, description="First reconnect delay (seconds).")
    backoff_max: float = Field(default=2.0, gt=0, description="Cap on the reconnect delay (seconds).")
    ping_interval: float = Field(default=1.0, gt=0, description="Seconds between pings to the relay.")
    ping_timeout: float = Field(default=3.0, gt=0, description="Seconds without a pong before the relay is declared dead.")
    max_message_bytes: int = Field(default=64 * 1024 * 1024, gt=0, description="Largest message accepted from the relay.")
    durable_acks: bool = Field(
        default=True,
        description="Ask the relay for durable-state messages (`durable=1`), which `wait_durable` needs. "
        "Other relays ignore the parameter; `wait_durable` then says the relay does not acknowledge durability.",
    )

    def endpoint(self) -> str:
        """The websocket URL: the room appended to the URL's path, the token added to its query.

        A query already in ``url`` is kept (servers behind a gateway often need
        their own parameters), and the token is URL-encoded.  This is the
        y-websocket convention, so Node's y-websocket server works unchanged.
        """
        parts = urlsplit(self.url)
        path = parts.path.rstrip("/") + "/" + quote(self.room, safe="")
        query = parse_qsl(parts.query, keep_blank_values=True)
        if self.token is not None:
            query.append(("token", self.token.get_secret_value()))
        if self.durable_acks:
            query.append(("durable", "1"))
        return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


@dataclass
class ConnectionStats:
    """Counters for reports: what crossed the wire and how often we reconnected."""

    connects: int = 0
    messages_sent: int = 0
    messages_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    updates_applied: int = 0
    last_error: str | None = None
    errors: list[str] = field(default_factory=list)
