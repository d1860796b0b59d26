"""The viewer's HTTP side: the page, its static assets, and two small JSON endpoints.

Routes (GET or HEAD; everything else 405)::

    /                                    the page (explains the URLs below)
    /view/<room>?token=…                 the page, live mode
    /replay/<room>?token=…               the page, replay mode
    /run/<index room>?token=…            the page, watching a benchmark run (``crdt-bench run --watch``)
    /static/<name>                       a shipped asset, by exact file name
    /api/whoami?token=…                  {"role": "rw" | "ro"}; 401 for a bad token
    /api/rooms/<room>/history?token=…    stored updates for replay; 401 / 404

Static files are served from a whitelist read once at start-up, so no request
path ever reaches the file system (no traversal).  Tokens are never logged.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
from typing import Any
from urllib.parse import parse_qs

from crdt_ws import ROOM_NAME, Relay

from ._config import ViewerConfig
from ._errors import AssetsMissing, HistoryError
from ._history import bucket, encode_history, read_history

__all__ = ["ViewerApp"]

log = logging.getLogger("web.viewer")

_PAGE = re.compile(rf"^/(?:view|replay|run)/({ROOM_NAME})/?$")
_HISTORY = re.compile(rf"^/api/rooms/({ROOM_NAME})/history$")
_REQUIRED = ("index.html", "viewer.js", "viewer.css")
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8"}

Headers = list[tuple[bytes, bytes]]


class ViewerApp:
    """ASGI app for the relay's non-websocket HTTP paths (``Relay(config, http=...)``)."""

    def __init__(self, relay: Relay, config: ViewerConfig | None = None) -> None:
        self.relay = relay
        self.config = config or ViewerConfig()
        self.assets = self._load_assets()

    def _load_assets(self) -> dict[str, tuple[bytes, str]]:
        directory = self.config.static_dir
        missing = [name for name in _REQUIRED if not (directory / name).is_file()]
        if missing:
            raise AssetsMissing(
                f"viewer assets missing in {directory}: {', '.join(missing)} "
                "(build them with `npm ci --prefix web/frontend && npm run build --prefix web/frontend`)"
            )
        assets: dict[str, tuple[bytes, str]] = {}
        for path in directory.iterdir():
            if path.is_file() and not path.name.startswith("."):
                kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                assets[path.name] = (path.read_bytes(), kind)
        return assets

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        method = scope.get("method", "GET")
        head = method == "HEAD"
        if method not in ("GET", "HEAD"):
            await _respond(send, 405, b"method not allowed\n", "text/plain; charset=utf-8", head, [(b"allow", b"GET, HEAD")])
            return
        path: str = scope["path"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        token = query.get("token", [None])[0]
        if path == "/" or _PAGE.match(path):
            body, kind = self.assets["index.html"]
            await _respond(send, 200, body, kind, head)
        elif path.startswith("/static/"):
            asset = self.assets.get(path.removeprefix("/static/"))
            if asset is None:
                await _respond(send, 404, b"not found\n", "text/plain; charset=utf-8", head)
            else:
                await _respond(send, 200, asset[0], asset[1], head)
        elif path == "/api/whoami":
            role = self.relay.config.role_for(token)
            if role is None:
                await _json(send, 401, {"error": "bad or missing token"}, head)
            else:
                await _json(send, 200, {"role": role.value}, head)
        elif match := _HISTORY.match(path):
            await self._history(send, match.group(1), token, head)
        else:
            await _respond(send, 404, b"not found\n", "text/plain; charset=utf-8", head)

    async def _history(self, send: Any, room: str, token: str | None, head: bool) -> None:
        if self.relay.config.role_for(token) is None:
            await _json(send, 401, {"error": "bad or missing token"}, head)
            return
        path = self.relay.config.store_path(room)
        if path is None:
            await _json(send, 404, {"error": "this relay keeps no store, so no history"}, head)
            return
        live = self.relay.room(room)
        if live is not None:
            await live.flush()  # what the room has received is in the store before we read it
        if not path.is_file():
            await _json(send, 404, {"error": f"unknown room {room!r}"}, head)
            return
        try:
            entries = await read_history(path, room)
        except HistoryError as exc:
            log.warning("history of room %s: %s", room, exc)
            await _json(send, 500, {"error": str(exc)}, head)
            return
        if not entries:
            await _json(send, 404, {"error": f"room {room!r} has no stored updates"}, head)
            return
        body = encode_history(room, bucket(entries, self.config.max_history_updates), len(entries))
        await _json(send, 200, body, head)


async def _json(send: Any, status: int, value: object, head: bool) -> None:
    await _respond(send, status, json.dumps(value).encode(), "application/json", head)


async def _respond(send: Any, status: int, body: bytes, kind: str, head: bool, extra: Headers | None = None) -> None:
    headers: Headers = [
        (b"content-type", kind.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-cache"),
        (b"x-content-type-options", b"nosniff"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})
