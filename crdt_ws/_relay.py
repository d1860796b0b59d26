"""The relay: rooms = workspaces, served over websockets under uvicorn.

``async with Relay(RelayConfig(...)) as relay:`` binds 127.0.0.1 (by default),
serves ``ws://host:port/<room>?token=...`` and ``GET /health``, persists every
room to SQLite (one file per room, created on the first write, loaded before
the room accepts clients) and, on exit, flushes every room it can and names
those it could not (:attr:`Relay.unflushed`).

Refusals are websocket close codes with a fixed reason that never echoes
input: 4401 (``bad token`` / ``token expired``), 4404 (``bad room name``),
4400 (a malformed, oversized or unknown message; the reason says which),
4408 (no sync within ``sync_timeout``), 4429 (a cap on rooms or clients),
4503 (the room's store failed; the reason says how).  A token with
``expires_at`` is refused after that time and connections opened with it are
closed then; what such a client sends afterwards is not applied.  uvicorn's
log lines carry the query string: the token in them is masked.

``GET /health`` answers ``{"ok": true}`` to anyone (liveness); with a valid
token (``?token=`` or ``Authorization: Bearer``) it also lists the rooms.
Other HTTP requests go to an optional ASGI app (``Relay(config, http=app)`` or
``relay.http = app``), which is how the ``web`` viewer is served without this
package depending on it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, nullcontext
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import anyio
import uvicorn
from anyio.abc import TaskGroup

from ._channel import ClientChannel, RateLimiter, Role
from ._errors import AuthError
from ._redact import install_redaction
from ._relay_config import RelayConfig, Token, fingerprint
from ._relay_guard import LogRateLimit, accept_one_per_tick, guarded_http_protocol
from ._relay_room import CLOSE_NO_SYNC, CLOSE_ROOM_FAILED, MESSAGE_DURABLE, Room
from ._relay_rooms import CLOSE_LIMIT, RoomRefused, Rooms

__all__ = [
    "RelayConfig", "Relay", "ASGIApp", "HttpApp", "ROOM_NAME", "Token", "CLOSE_AUTH", "CLOSE_BAD_ROOM", "CLOSE_PROTOCOL",
    "CLOSE_LIMIT", "CLOSE_NO_SYNC", "CLOSE_ROOM_FAILED", "MESSAGE_DURABLE",
]

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
_ROOM_RE = re.compile(ROOM_NAME)  # used with fullmatch: `$` would accept a trailing newline
_LIMITED_LOGGERS = ("crdt_ws.relay", "asyncio", "uvicorn.error", "uvicorn.access")


def valid_room(name: str) -> bool:
    """Whether ``name`` is a room name the relay accepts (the whole string, no trailing newline)."""
    return _ROOM_RE.fullmatch(name) is not None


class ASGIApp:
    """ASGI entry: auth on connect, then hand the socket to its room as a ClientChannel."""

    def __init__(self, server: Rooms, http: HttpApp | None = None) -> None:
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
            body: dict[str, Any] = {"ok": True}
            if self.config.role_for(_request_token(scope)) is not None and not self.config.open:
                body["rooms"] = [r.describe() for r in self.server.rooms.values()]
            data, status = json.dumps(body).encode(), 200
        elif self.http is not None:
            await self.http(scope, receive, send)
            return
        else:
            data, status = b"not found\n", 404
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": data})

    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        room = scope["path"].strip("/")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = query.get("token", [None])[0]
        try:
            role, expires_at = self.config.authorize(token)
            code, why = (0, "") if valid_room(room) else (CLOSE_BAD_ROOM, "bad room name")
        except AuthError as exc:
            role, expires_at, code, why = Role.READ_ONLY, None, CLOSE_AUTH, str(exc)
        # Accept, then close with an application code: a handshake refusal
        # (HTTP 403) looks transient to y-websocket, which would retry forever.
        await send({"type": "websocket.accept"})
        if code:
            self.rejected += 1
            log.warning("rejected websocket for room %r: %s", room[:64], why)  # never log the token
            await send({"type": "websocket.close", "code": code, "reason": why})
            return
        client = scope.get("client") or ("?", 0)
        owner = fingerprint(token) if token is not None and not self.config.open else f"open:{client[0]}"
        channel = ClientChannel(
            receive,
            send,
            room,
            role,
            max_message_bytes=self.config.max_message_bytes,
            queue_size=self.config.client_queue,
            limiter=RateLimiter(self.config.rate_per_second, self.config.rate_burst),
            queue_bytes=self.config.client_queue_bytes,
            byte_limiter=RateLimiter(self.config.bytes_per_second, self.config.bytes_burst),
            durable_acks=query.get("durable", ["0"])[0] == "1",
            owner=owner,
        )
        try:
            served = await self.server.acquire(room, owner)
        except RoomRefused as refused:
            self.rejected += 1
            await send({"type": "websocket.close", "code": refused.code, "reason": refused.reason})
            return
        try:
            if expires_at is None:
                await served.serve(channel)
                return
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._expire, channel, room, expires_at, tg.cancel_scope)
                await served.serve(channel)
                tg.cancel_scope.cancel()
        finally:
            await self.server.release(room, owner)

    async def _expire(self, channel: ClientChannel, room: str, expires_at: float, scope: anyio.CancelScope) -> None:
        """Close a connection when its token expires; nothing it sends after that is applied."""
        await anyio.sleep(max(0.0, expires_at - time.time()))
        self.expired += 1
        log.warning("room %s: closing client %s: token expired", room, channel.key)
        await channel.close(CLOSE_AUTH, "token expired")
        await anyio.sleep(2.0)  # time for the close handshake; a client that ignores it is cut off
        scope.cancel()


def _request_token(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value.lower().startswith(b"bearer "):
            return value[7:].decode("latin-1").strip()
    return parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])[0]


class _Uvicorn(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # embedded: the host process owns signals
        pass

    def capture_signals(self):  # type: ignore[override]
        return nullcontext()


class Relay:
    """A running relay; an async context manager (``async with Relay(cfg) as r: r.url``)."""

    def __init__(self, config: RelayConfig | None = None, *, http: HttpApp | None = None) -> None:
        self.config = config or RelayConfig()
        self.server = Rooms(self.config)
        self.app = ASGIApp(self.server, http)
        self._uvicorn: _Uvicorn | None = None
        self._tg: TaskGroup | None = None
        self.port = self.config.port
        self.log_limit = LogRateLimit(self.config.log_burst, self.config.log_interval)
        self.unflushed: dict[str, str] = {}
        """After exit: the rooms that could not be flushed and why (empty: every room was flushed)."""

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
        return self.server.rooms.get(name)

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
            http=guarded_http_protocol(self.config.handshake_timeout),
            ws_max_size=self.config.max_message_bytes + 1024,
            ws_max_queue=4,
            ws_ping_interval=self.config.ping_interval,
            ws_ping_timeout=self.config.ping_interval * 2,
            ws_per_message_deflate=False,
            limit_concurrency=self.config.max_connections,
            timeout_graceful_shutdown=2,
        )
        # uvicorn logs each accepted websocket and request with its query string,
        # which holds the token: mask it (after Config, which (re)configures these loggers).
        install_redaction("uvicorn.error", "uvicorn.access")
        self.log_limit.install(*_LIMITED_LOGGERS)
        accept_one_per_tick()
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
        """Wait until every healthy room's store holds every update received so far."""
        await self.server.flush()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._tg is not None and self._uvicorn is not None
        try:
            with anyio.CancelScope(shield=True):
                # Stop accepting and close client sockets first, then flush every
                # room's store, and only then drop the rooms: the order that loses nothing.
                self._uvicorn.should_exit = True
                with anyio.move_on_after(10):
                    await self._served.wait()
                self.unflushed = await self.server.close_rooms()
            await self._stack.aclose()
        finally:
            self.log_limit.remove(*_LIMITED_LOGGERS)

    async def _serve(self) -> None:
        assert self._uvicorn is not None
        try:
            await self._uvicorn.serve()
        finally:
            self._served.set()
