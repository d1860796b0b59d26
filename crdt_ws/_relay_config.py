"""The relay's configuration: where it listens, who may connect, and every limit it enforces."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from ._channel import Role
from ._errors import AuthError

__all__ = ["RelayConfig", "Token"]


class Token(BaseModel):
    """An access token with its role and, optionally, when it stops being valid."""

    secret: SecretStr = Field(description="The token clients send (the `token` query parameter).")
    role: Role = Field(default=Role.READ_WRITE, description="What the token lets a client do.")
    expires_at: float | None = Field(
        default=None,
        description="Unix time (seconds) after which the token is refused at connect and connections opened with it "
        "are closed (code 4401, reason 'token expired'). None: never expires.",
    )


class RelayConfig(BaseModel):
    """How the relay listens, authenticates, limits and persists."""

    host: str = Field(default="127.0.0.1", description="Interface to bind; loopback unless you mean otherwise.")
    port: int = Field(default=8765, ge=0, le=65535, description="TCP port; 0 picks a free one.")
    store_dir: Path | None = Field(default=None, description="Directory for per-room SQLite stores; None keeps rooms in memory only.")
    write_tokens: list[SecretStr] = Field(default_factory=list, description="Tokens granting read-write access. Empty and no read tokens = open relay.")
    read_tokens: list[SecretStr] = Field(default_factory=list, description="Tokens granting read-only access (document changes dropped).")
    tokens: list[Token] = Field(default_factory=list, description="Further tokens, each with its own role and optional expiry.")
    max_message_bytes: int = Field(default=8 * 1024 * 1024, gt=0, description="Largest websocket message accepted from a client.")
    rate_per_second: float = Field(default=2000.0, gt=0, description="Sustained messages per second read from one client; excess is delayed, not dropped.")
    rate_burst: int = Field(default=4000, gt=0, description="Messages a client may send in a burst before being slowed.")
    bytes_per_second: float = Field(default=4 * 1024 * 1024, gt=0, description="Sustained bytes per second read from one client; excess is delayed (TCP pushes back), not dropped.")
    bytes_burst: int = Field(default=16 * 1024 * 1024, gt=0, description="Bytes a client may send in a burst before being slowed.")
    room_bytes_per_second: float = Field(default=16 * 1024 * 1024, gt=0, description="Sustained bytes per second read from all clients of one room together.")
    room_pending_bytes: int = Field(default=64 * 1024 * 1024, gt=0, description="Bytes of updates a room may hold waiting for its store before it stops reading its writers.")
    client_queue: int = Field(default=10000, gt=0, description="Outgoing messages queued per client before a too-slow client is disconnected.")
    client_queue_bytes: int = Field(default=32 * 1024 * 1024, gt=0, description="Outgoing bytes queued per client before a too-slow client is disconnected (it resyncs on reconnect).")
    max_presence_bytes: int = Field(default=16 * 1024, gt=0, description="Largest presence (awareness) state a read-write client may set, as JSON bytes.")
    max_presence_bytes_read_only: int = Field(default=0, ge=0, description="Largest presence state a read-only client may set; 0 (default): read-only clients set none, so a viewer cannot pose as an agent.")
    ping_interval: float = Field(default=5.0, gt=0, description="Seconds between websocket pings the relay sends to detect dead clients.")
    handshake_timeout: float = Field(default=5.0, gt=0, description="Seconds a TCP connection may take to complete its HTTP request / websocket handshake before it is closed.")
    sync_timeout: float = Field(default=10.0, gt=0, description="Seconds after the handshake within which a client must send sync step 1; otherwise it is closed (4408).")
    load_timeout: float = Field(default=30.0, gt=0, description="Seconds a room's store may take to load before its clients are refused (4503).")
    flush_timeout: float = Field(default=10.0, gt=0, description="Seconds each room may take to flush at shutdown or eviction before it is reported as not flushed.")
    max_rooms: int = Field(default=1000, gt=0, description="Rooms loaded at once; at the cap the least recently used idle room is unloaded, or the client is refused (4429).")
    max_rooms_per_token: int = Field(default=100, gt=0, description="Rooms one token (one client address on an open relay) may have connections in at once (4429 beyond).")
    max_clients_per_room: int = Field(default=1000, gt=0, description="Connections one room serves at once (4429 beyond).")
    max_connections: int = Field(default=2000, gt=0, description="Connections and requests the relay serves at once; beyond, HTTP 503.")
    evict_idle_after: float | None = Field(default=300.0, gt=0, description="Seconds a room may sit with no clients before it is flushed and unloaded (a stored room reloads from its store on the next connect; a room without a store lives on only in its clients, which resync it). A room nobody wrote to is unloaded as soon as its last client leaves. None: never.")
    retry_failed_room_after: float = Field(default=10.0, gt=0, description="Seconds a failed room (store unusable) refuses clients before the next connection tries to open it again.")
    durable_acks: bool = Field(default=True, description="Send read-write clients that ask for it (`durable=1`) the state vector their room's store holds, after every committed write.")
    log_burst: int = Field(default=20, gt=0, description="Log records of one kind let through per `log_interval` before the rest are counted and summarised.")
    log_interval: float = Field(default=10.0, gt=0, description="Window of the log rate limit, in seconds.")

    def store_path(self, room: str) -> Path | None:
        """Where ``room`` is persisted, or None for a relay without a store."""
        return None if self.store_dir is None else self.store_dir / f"{room}.sqlite"

    @property
    def open(self) -> bool:
        return not self.write_tokens and not self.read_tokens and not self.tokens

    def authorize(self, token: str | None, now: float | None = None) -> tuple[Role, float | None]:
        """The role ``token`` grants and when it expires (Unix time, or None).

        Raises :class:`AuthError` with ``"bad token"`` or ``"token expired"``
        (never the token itself).  Every configured token is compared, in
        constant time, so timing does not tell which one nearly matched.
        """
        if self.open:
            return Role.READ_WRITE, None
        if token is None:
            raise AuthError("bad token")
        given = token.encode()
        grants = [
            *(Token(secret=t, role=Role.READ_WRITE) for t in self.write_tokens),
            *(Token(secret=t, role=Role.READ_ONLY) for t in self.read_tokens),
            *self.tokens,
        ]
        matches = [g for g in grants if hmac.compare_digest(given, g.secret.get_secret_value().encode())]
        if not matches:
            raise AuthError("bad token")
        now = time.time() if now is None else now
        valid = [g for g in matches if g.expires_at is None or g.expires_at > now]
        if not valid:
            raise AuthError("token expired")
        # The strongest role, then the latest expiry, among the grants this token matches.
        best = max(valid, key=lambda g: (g.role is Role.READ_WRITE, g.expires_at is None, g.expires_at or 0.0))
        return best.role, best.expires_at

    def role_for(self, token: str | None) -> Role | None:
        """The role a token grants now, or None to reject (wrong, missing or expired)."""
        try:
            return self.authorize(token)[0]
        except AuthError:
            return None


def fingerprint(token: str) -> str:
    """A short, non-reversible name for a token (per-token caps and logs never hold the token)."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]
