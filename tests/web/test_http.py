"""The viewer's HTTP side: page, assets, whoami, history — auth, 404s, no path traversal."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from pycrdt import Doc, Text

from crdt_ws import RelayConfig
from web import AssetsMissing, HistoryEntry, Viewer, ViewerConfig, bucket

from ._helpers import RO, ROOM, RW, eventually

pytestmark = pytest.mark.anyio


async def raw_get(viewer: Viewer, target: str) -> tuple[int, bytes]:
    """A GET with the request target sent byte for byte (clients normalise ``..`` away)."""
    async with await anyio.connect_tcp("127.0.0.1", viewer.relay.port) as stream:
        await stream.send(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        async for chunk in stream:
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def test_pages_and_assets(viewer: Viewer) -> None:
    async with httpx.AsyncClient(base_url=viewer.base_url) as client:
        for path in ("/", f"/view/{ROOM}", f"/replay/{ROOM}/", f"/run/{ROOM}"):
            response = await client.get(path, params={"token": RO})
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            assert '<script src="/static/viewer.js">' in response.text
        script = await client.get("/static/viewer.js")
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        assert script.content == (Path(__file__).parents[2] / "web" / "static" / "viewer.js").read_bytes()
        assert (await client.get("/static/viewer.css")).headers["content-type"] == "text/css; charset=utf-8"
        assert (await client.get("/static/favicon.svg")).headers["content-type"] == "image/svg+xml"
        head = await client.head("/static/viewer.js")
        assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) == len(script.content)
        assert (await client.post("/static/viewer.js")).status_code == 405
        assert (await client.get("/static/nope.js")).status_code == 404
        assert (await client.get("/view/bad%20room")).status_code == 404
        assert (await client.get("/run/bad%20room")).status_code == 404
        assert (await client.get("/run/")).status_code == 404
        assert (await client.get("/health")).json()["ok"] is True  # the relay's own route still answers


@pytest.mark.parametrize(
    "target",
    [
        "/static/../_app.py",
        "/static/../../crdt_ws/_relay.py",
        "/static/%2e%2e/_app.py",
        "/static/..%2f__init__.py",
        "/static/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/static//etc/passwd",
        "/static/frontend/package.json",
        "/view/../static/viewer.js",
        "/run/../static/viewer.js",
        "/run/%2e%2e/web/_app.py",
        "/api/rooms/..%2f..%2fetc/history?token=" + RW,
        "/api/rooms/../viewer-test/history?token=" + RW,
    ],
)
async def test_no_path_traversal(viewer: Viewer, target: str) -> None:
    status, body = await raw_get(viewer, target)
    assert status == 404, (target, body[:200])


async def test_whoami(viewer: Viewer) -> None:
    async with httpx.AsyncClient(base_url=viewer.base_url) as client:
        assert (await client.get("/api/whoami", params={"token": RW})).json() == {"role": "rw"}
        assert (await client.get("/api/whoami", params={"token": RO})).json() == {"role": "ro"}
        assert (await client.get("/api/whoami", params={"token": "nope"})).status_code == 401
        assert (await client.get("/api/whoami")).status_code == 401


async def test_history_auth_and_unknown_rooms(viewer: Viewer, connect: Any) -> None:
    async with connect("agent") as ws:
        ws.create_file("a.py", "x = 1\n")
        ws.edit("a.py", 4, 5, "2")
        await eventually(lambda: _persisted(viewer) >= 1, what="an update stored")
    async with httpx.AsyncClient(base_url=viewer.base_url) as client:
        url = f"/api/rooms/{ROOM}/history"
        assert (await client.get(url, params={"token": "wrong"})).status_code == 401
        assert (await client.get(url)).status_code == 401
        assert (await client.get("/api/rooms/no-such-room/history", params={"token": RO})).status_code == 404
        assert (await client.get("/api/rooms/bad%20name/history", params={"token": RO})).status_code == 404
        response = await client.get(url, params={"token": RO})  # read tokens suffice
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["room"] == ROOM and body["stored_updates"] == len(body["updates"]) >= 1
        times = [u["time"] for u in body["updates"]]
        assert times == sorted(times)
        doc = Doc()
        for entry in body["updates"]:
            doc.apply_update(base64.b64decode(entry["update"]))
        assert str(doc.get("files", type=_files_map()).get("a.py")) == "x = 2\n"


async def test_history_of_a_room_not_loaded(tmp_path: Path) -> None:
    """A finished run from an earlier relay process: replayed straight from its store file."""
    config = RelayConfig(port=0, store_dir=tmp_path, write_tokens=[], read_tokens=[])
    async with Viewer(config) as first:
        async with httpx.AsyncClient(base_url=first.base_url) as client:
            assert (await client.get("/api/whoami")).json() == {"role": "rw"}  # an open relay
        from crdt_ws import WebsocketConfig, WebsocketTransport, Workspace

        ws = Workspace("agent")
        async with WebsocketTransport(WebsocketConfig(url=first.relay.url, room="old-run")).connect(ws):
            ws.create_file("old.py", "done = True\n")
    assert (tmp_path / "old-run.sqlite").is_file()
    async with Viewer(config) as second, httpx.AsyncClient(base_url=second.base_url) as client:
        assert second.relay.room("old-run") is None
        body = (await client.get("/api/rooms/old-run/history")).json()
        doc = Doc()
        for entry in body["updates"]:
            doc.apply_update(base64.b64decode(entry["update"]))
        assert str(doc.get("files", type=_files_map())["old.py"]) == "done = True\n"
        assert second.relay.room("old-run") is None  # replay does not load the room


async def test_history_without_store_is_404(tmp_path: Path) -> None:
    async with Viewer(RelayConfig(port=0)) as viewer, httpx.AsyncClient(base_url=viewer.base_url) as client:
        response = await client.get("/api/rooms/anything/history")
        assert response.status_code == 404 and "no store" in response.json()["error"]


def test_bucket_keeps_the_final_state() -> None:
    doc = Doc()
    text = doc.get("t", type=Text)
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    for i in range(25):
        text += f"{i},"
    entries = [HistoryEntry(float(i), u) for i, u in enumerate(updates)]
    grouped = bucket(entries, 4)
    assert len(grouped) == 4 and [e.time for e in grouped] == [6.0, 13.0, 20.0, 24.0]
    replica = Doc()
    for entry in grouped:
        replica.apply_update(entry.update)
    assert str(replica.get("t", type=Text)) == str(text)
    assert bucket(entries, 100) is entries


def test_missing_assets_are_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    with pytest.raises(AssetsMissing, match="viewer.js, viewer.css.*npm run build"):
        Viewer(RelayConfig(port=0), ViewerConfig(static_dir=tmp_path))


def test_page_url_carries_room_and_token() -> None:
    viewer = Viewer(RelayConfig(host="0.0.0.0", port=8765))
    assert viewer.page_url("run-1", "s3cret") == "http://127.0.0.1:8765/view/run-1?token=s3cret"
    assert viewer.page_url("run-1", "a&b", mode="replay", name="ada") == "http://127.0.0.1:8765/replay/run-1?token=a%26b&name=ada"
    assert json.loads(json.dumps(viewer.config.model_dump(mode="json")))["max_history_updates"] > 0


def _files_map() -> Any:
    from pycrdt import Map

    return Map


def _persisted(viewer: Viewer) -> int:
    room = viewer.relay.room(ROOM)
    return 0 if room is None else room.stats["persisted"]
