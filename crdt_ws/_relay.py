"""The relay: a pycrdt-websocket server under uvicorn, rooms = workspaces.

``async with Relay(RelayConfig(...)) as relay:`` binds 127.0.0.1 (by default),
serves ``ws://host:port/<room>?token=...`` and ``GET /health``, persists every
room to SQLite (one file per room, loaded before the room accepts clients)
and, on exit, flushes every room's store before anything is dropped.

Refusals are websocket close codes with a fixed reason that never echoes
input: 4401 (``bad token`` / ``token expired``), 4404 (``bad room name``),
4400 (a malformed, oversized or unknown message; the reason says which).  A
token with ``expires_at`` is refused after that time and connections opened
with it are closed then; what such a client sends afterwards is not applied.
uvicorn's log lines carry the query string: the token in them is masked.

Other HTTP requests go to an optional ASGI app (``Relay(config, http=app)`` or
``relay.http = app``), which is how the ``web`` viewer is served without this
package depending on it.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from contextlib import AsyncExitStack, nullcontext
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import anyio
import uvicorn
from anyio.abc import TaskGroup
from pydantic import BaseModel, Field, SecretStr
from pycrdt.websocket import WebsocketServer

from ._channel import ClientChannel, RateLimiter, Role
from ._errors import AuthError
from ._redact import install_redaction
from ._relay_room import Room

__all__ = ["RelayConfig", "Relay", "ASGIApp", "HttpApp", "ROOM_NAME", "Token", "CLOSE_AUTH", "CLOSE_BAD_ROOM", "CLOSE_PROTOCOL"]

CLOSE_AUTH = 4401
"""Close code for a missing, wrong or expired token (the reason says which; it never echoes the token)."""
CLOSE_BAD_ROOM = 4404
"""Close code for an invalid room name."""
CLOSE_PROTOCOL = 4400
"""Close code for a malformed, oversized or unknown message (the reason says what was wrong)."""

HttpApp = Callable[[dict[str, Any], Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]
"""An ASGI app for HTTP requests (``scope, receive, send``) other than ``/health``."""

log = logging.getLogger("crdt_ws.relay")

ROOM_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
"""Valid room names (a room is also a file name in the store), as a regex without anchors."""
_ROOM_RE = re.compile(rf"^{ROOM_NAME}$")


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
    client_queue: int = Field(default=10000, gt=0, description="Outgoing messages queued per client before a too-slow client is disconnected.")
    ping_interval: float = Field(default=5.0, gt=0, description="Seconds between websocket pings the relay sends to detect dead clients.")
    evict_idle_after: float | None = Field(default=300.0, gt=0, description="Seconds a persisted room may sit with no clients before it is flushed and unloaded (reloaded from its store on the next connect). Rooms without a store are never unloaded: that would lose them.")

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


class _Server(WebsocketServer):
    """Rooms that load their store before they are ready and are unloaded only after a flush."""

    def __init__(self, config: RelayConfig) -> None:
        super().__init__(rooms_ready=False, auto_clean_rooms=False, exception_handler=_log_exception, log=log)
        self.config = config
        self._rooms_lock = anyio.Lock()
        # Connections being served per room, counted under the lock from before
        # get_room: an idle room is only unloaded when nobody is about to use it.
        self._active: dict[str, int] = {}
        self.evicted = 0

    async def get_room(self, name: str) -> Room:  # type: ignore[override]
        async with self._rooms_lock:
            room = self.rooms.get(name)
            if room is None:
                store = self.config.store_path(name)
                if store is not None:
                    store.parent.mkdir(parents=True, exist_ok=True)
                room = Room(name, store)
                self.rooms[name] = room
                await self.start_room(room)
                await room.load()
        assert isinstance(room, Room)
        return room

    async def serve(self, websocket: Any) -> None:
        name = websocket.path
        async with self._rooms_lock:
            self._active[name] = self._active.get(name, 0) + 1
        try:
            await super().serve(websocket)
        finally:
            with anyio.CancelScope(shield=True):
                async with self._rooms_lock:
                    self._active[name] -= 1
                    idle = self._active[name] == 0
            if idle and self.config.store_dir is not None and self.config.evict_idle_after is not None:
                assert self._task_group is not None
                self._task_group.start_soon(self._evict_when_idle, name)

    async def _evict_when_idle(self, name: str) -> None:
        assert self.config.evict_idle_after is not None
        await anyio.sleep(self.config.evict_idle_after)
        async with self._rooms_lock:
            room = self.rooms.get(name)
            if self._active.get(name, 0) or not isinstance(room, Room):
                return
            await room.close()  # flushes the store first
            del self.rooms[name]
            del self._active[name]
            self.evicted += 1
            log.info("room %s unloaded after %ss idle", name, self.config.evict_idle_after)

    async def close_rooms(self) -> None:
        # Under the lock, so an eviction in progress finishes first and none starts after.
        async with self._rooms_lock:
            rooms, self.rooms = list(self.rooms.values()), {}
            for room in rooms:
                assert isinstance(room, Room)
                await room.close()


def _log_exception(exc: Exception, logger: logging.Logger) -> bool:
    logger.error("relay error: %r", exc)
    return True


class ASGIApp:
    """ASGI entry: auth on connect, then hand the socket to the room as a ClientChannel."""

    def __init__(self, server: _Server, http: HttpApp | None = None) -> None:
        self.server = server
        self.config = server.config
        self.http = http
        self.rejected = 0
        self.expired = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["path"] == "/health":
            rooms = [r.describe() for r in self.server.rooms.values() if isinstance(r, Room)]
            body, status = json.dumps({"ok": True, "rooms": rooms}).encode(), 200
        elif self.http is not None:
            await self.http(scope, receive, send)
            return
        else:
            body, status = b"not found\n", 404
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        room = scope["path"].strip("/")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = query.get("token", [None])[0]
        try:
            role, expires_at = self.config.authorize(token)
            code, why = (0, "") if _ROOM_RE.match(room) else (CLOSE_BAD_ROOM, "bad room name")
        except AuthError as exc:
            role, expires_at, code, why = Role.READ_ONLY, None, CLOSE_AUTH, str(exc)
        if code:
            self.rejected += 1
            log.warning("rejected websocket for room %r: %s", room[:64], why)  # never log the token
            # Accept, then close with an application code: a handshake refusal
            # (HTTP 403) looks transient to y-websocket, which would retry forever.
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": code, "reason": why})
            return
        await send({"type": "websocket.accept"})
        channel = ClientChannel(
            receive,
            send,
            room,
            role,
            max_message_bytes=self.config.max_message_bytes,
            queue_size=self.config.client_queue,
            limiter=RateLimiter(self.config.rate_per_second, self.config.rate_burst),
        )
        if expires_at is None:
            await self.server.serve(channel)  # type: ignore[arg-type]
            return
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._expire, channel, room, expires_at, tg.cancel_scope)
            await self.server.serve(channel)  # type: ignore[arg-type]
            tg.cancel_scope.cancel()

    async def _expire(self, channel: ClientChannel, room: str, expires_at: float, scope: anyio.CancelScope) -> None:
        """Close a connection when its token expires; nothing it sends after that is applied."""
        await anyio.sleep(max(0.0, expires_at - time.time()))
        self.expired += 1
        log.warning("room %s: closing client %s: token expired", room, channel.key)
        await channel.close(CLOSE_AUTH, "token expired")
        await anyio.sleep(2.0)  # time for the close handshake; a client that ignores it is cut off
        scope.cancel()


class _Uvicorn(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # embedded: the host process owns signals
        pass

    def capture_signals(self):  # type: ignore[override]
        return nullcontext()


class Relay:
    """A running relay; an async context manager (``async with Relay(cfg) as r: r.url``)."""

    def __init__(self, config: RelayConfig | None = None, *, http: HttpApp | None = None) -> None:
        self.config = config or RelayConfig()
        self.server = _Server(self.config)
        self.app = ASGIApp(self.server, http)
        self._uvicorn: _Uvicorn | None = None
        self._tg: TaskGroup | None = None
        self.port = self.config.port

    @property
    def url(self) -> str:
        return f"ws://{self.config.host}:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def http(self) -> HttpApp | None:
        """The ASGI app serving HTTP paths other than ``/health`` (None: they are 404)."""
        return self.app.http

    @http.setter
    def http(self, app: HttpApp | None) -> None:
        self.app.http = app

    def room(self, name: str) -> Room | None:
        room = self.server.rooms.get(name)
        return room if isinstance(room, Room) else None

    async def __aenter__(self) -> Relay:
        self._stack = AsyncExitStack()
        self._tg = await self._stack.enter_async_context(anyio.create_task_group())
        self._stack.callback(self._tg.cancel_scope.cancel)
        await self._stack.enter_async_context(self.server)
        config = uvicorn.Config(
            self.app,
            host=self.config.host,
            port=self.config.port,
            log_level="warning",
            lifespan="on",
            ws_max_size=self.config.max_message_bytes + 1024,
            ws_ping_interval=self.config.ping_interval,
            ws_ping_timeout=self.config.ping_interval * 2,
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=2,
        )
        # uvicorn logs each accepted websocket and request with its query string,
        # which holds the token: mask it (after Config, which (re)configures these loggers).
        install_redaction("uvicorn.error", "uvicorn.access")
        self._uvicorn = _Uvicorn(config)
        self._served = anyio.Event()
        self._tg.start_soon(self._serve)
        with anyio.fail_after(10):
            while not self._uvicorn.started:
                if self._uvicorn.should_exit:
                    raise OSError(f"relay could not bind {self.config.host}:{self.config.port}")
                await anyio.sleep(0.005)
        self.port = self._uvicorn.servers[0].sockets[0].getsockname()[1]
        log.info("relay listening on %s", self.url)
        return self

    async def flush(self) -> None:
        """Wait until every room's store holds every update received so far."""
        for room in list(self.server.rooms.values()):
            if isinstance(room, Room):
                await room.flush()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._tg is not None and self._uvicorn is not None
        with anyio.CancelScope(shield=True):
            # Stop accepting and close client sockets first, then flush every
            # room's store, and only then drop the rooms: the order that loses nothing.
            self._uvicorn.should_exit = True
            with anyio.move_on_after(10):
                await self._served.wait()
            await self.server.close_rooms()
        await self._stack.aclose()

    async def _serve(self) -> None:
        assert self._uvicorn is not None
        try:
            await self._uvicorn.serve()
        finally:
            self._served.set()
