"""A real Node Yjs peer (npm ``yjs`` 13.6 + ``y-websocket`` 3.1) against the real Python relay.

Yjs in JavaScript indexes text in UTF-16 code units, pycrdt in UTF-8 bytes and
``crdt_ws`` in Python characters; the wire format carries none of them, so the
positions must still agree. These tests put characters that are 2 and 4 bytes
in UTF-8 and 2 code units in UTF-16 before every edit point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from crdt_ws import Relay, RelayConfig, WebsocketConfig, WebsocketTransport, Workspace

pytestmark = [pytest.mark.node, pytest.mark.anyio]

TOKEN = "interop-write-token"
READ_TOKEN = "interop-read-token"
SOURCE = "def check():\n    return 'é → ✓ 🙂'  # façade\n"


def utf16_index(source: str, index: int) -> int:
    """Where Python character ``index`` is for Yjs in JavaScript."""
    return len(source[:index].encode("utf-16-le")) // 2


async def wait_for_text(ws: Workspace, path: str, expected: str, timeout: float = 5.0) -> None:
    try:
        with anyio.fail_after(timeout):
            while path not in ws.files or ws.read(path) != expected:
                await anyio.sleep(0.005)
    except TimeoutError:
        seen = ws.read(path) if path in ws.files else None
        raise AssertionError(f"{path!r} never became {expected!r}; last seen {seen!r}") from None


def relay_config() -> RelayConfig:
    return RelayConfig(port=0, write_tokens=[TOKEN], read_tokens=[READ_TOKEN])  # type: ignore[list-item]


async def test_text_syncs_both_ways(node_peer: Callable[..., Any]) -> None:
    room = "interop-both-ways"
    async with Relay(relay_config()) as relay:
        ws = Workspace("py-agent")
        transport = WebsocketTransport(WebsocketConfig(url=relay.url, room=room, token=TOKEN))  # type: ignore[arg-type]
        async with transport.connect(ws):
            ws.create_file("app.py", SOURCE)

            async with node_peer(relay.url, room, TOKEN) as peer:
                await peer.wait_event("synced")
                # Python -> Node: the non-ASCII text arrives exactly.
                seen = await peer.request("wait_text", path="app.py", text=SOURCE)
                assert seen["utf16_length"] == utf16_index(SOURCE, len(SOURCE))

                # Node -> Python: insert right after the emoji, at Yjs's UTF-16 index.
                after_emoji = SOURCE.index("🙂") + 1
                js_index = utf16_index(SOURCE, after_emoji)
                # The three ways of counting disagree here, or this test would prove nothing.
                assert len({after_emoji, js_index, len(SOURCE[:after_emoji].encode())}) == 3
                expected = SOURCE[:after_emoji] + " ✔ node" + SOURCE[after_emoji:]
                reply = await peer.request("insert", path="app.py", index=js_index, text=" ✔ node")
                assert reply["text"] == expected
                await wait_for_text(ws, "app.py", expected)

                # Python edits *after* Node's non-ASCII insert (str indices in, bytes inside).
                start = expected.index("façade")
                python_edit = expected[:start] + "façades — ünïcode" + expected[start + len("façade") :]
                ws.edit("app.py", start, start + len("façade"), "façades — ünïcode")
                assert ws.read("app.py") == python_edit
                await peer.request("wait_text", path="app.py", text=python_edit)

                # A file created by Node reaches Python whole.
                await peer.request("create", path="node.py", text="# ñ 日本 𝄞\n")
                await wait_for_text(ws, "node.py", "# ñ 日本 𝄞\n")

                # Concurrent inserts on both sides converge to one text on both.
                ws.edit("app.py", 0, 0, "# py ⇒\n")
                await peer.request("insert", path="app.py", index=utf16_index(python_edit, len(python_edit)), text="# js ⇐\n")
                final = "# py ⇒\n" + python_edit + "# js ⇐\n"
                await wait_for_text(ws, "app.py", final)
                await peer.request("wait_text", path="app.py", text=final)
                node_files = (await peer.request("read"))["files"]
                assert node_files == {path: ws.read(path) for path in ws.paths()}


async def test_wrong_token_is_rejected(node_peer: Callable[..., Any]) -> None:
    room = "interop-auth"
    async with Relay(relay_config()) as relay:
        ws = Workspace("py-agent")
        transport = WebsocketTransport(WebsocketConfig(url=relay.url, room=room, token=TOKEN))  # type: ignore[arg-type]
        async with transport.connect(ws):
            ws.create_file("secret.py", "KEY = 'ß'\n")
            async with node_peer(relay.url, room, "not-the-token") as peer:
                event = await peer.wait_event("connection-error", "closed")
                # The relay refuses before accepting: uvicorn answers the handshake with
                # HTTP 403 (a server that accepts first would close with 4401 instead).
                detail = str(event.get("message", "")) + str(event.get("code", ""))
                assert "403" in detail or "4401" in detail, event
                # Give a wrongly accepted socket time to sync, then check nothing leaked.
                await anyio.sleep(0.3)
                assert not peer.saw("synced")
                assert (await peer.request("read"))["files"] == {}
            assert relay.app.rejected >= 1
            assert ws.read("secret.py") == "KEY = 'ß'\n"


async def test_read_only_token_sees_but_cannot_write(node_peer: Callable[..., Any]) -> None:
    room = "interop-read-only"
    async with Relay(relay_config()) as relay:
        ws = Workspace("py-agent")
        transport = WebsocketTransport(WebsocketConfig(url=relay.url, room=room, token=TOKEN))  # type: ignore[arg-type]
        async with transport.connect(ws):
            ws.create_file("view.py", "x = 'ü'\n")
            async with node_peer(relay.url, room, READ_TOKEN) as peer:
                await peer.wait_event("synced")
                await peer.request("wait_text", path="view.py", text="x = 'ü'\n")
                await peer.request("insert", path="view.py", index=0, text="# vandal\n")
                # A later write from Python proves the link is live while Node's write was dropped.
                ws.edit("view.py", 8, 8, "y = 'ø'\n")
                await peer.request("wait_text", path="view.py", text="# vandal\nx = 'ü'\ny = 'ø'\n")
                await anyio.sleep(0.2)
                assert ws.read("view.py") == "x = 'ü'\ny = 'ø'\n"
                room_stats = relay.room(room)
                assert room_stats is not None and room_stats.stats["dropped_readonly"] >= 1


async def test_claim_protocol_fields_keep_their_document_keys_for_other_clients(node_peer: Callable[..., Any]) -> None:
    """Typed ``TodoEntry`` fields (done_by, lease_s, doubles, repaired) are the same flat keys a Yjs client sees.

    A Node client reads what the claim protocol writes, and what it writes
    itself in the old layout (``double.<agent>``, ``repaired.<agent>``) reads
    back as typed fields; old documents need no migration.
    """
    from claim_protocol import ClaimBoard, ClaimConfig
    from crdt_ws import TodoEntry

    room = "interop-todo-fields"
    async with Relay(relay_config()) as relay:
        ws = Workspace("py-agent")
        transport = WebsocketTransport(WebsocketConfig(url=relay.url, room=room, token=TOKEN))  # type: ignore[arg-type]
        async with transport.connect(ws):
            ws.create_file("jobs.py", "class Jobs:\n    def job(self):\n        pass\n")
            ws.add_todo(TodoEntry(id="t", file="jobs.py", symbol="Jobs.job"))
            board = ClaimBoard(ws, ClaimConfig(min_wait=0.01, max_wait=0.01))
            claim = board.claim("t", 0.0)
            assert board.verify(claim, 1.0)
            board.complete(claim, "    def job(self):\n        return 'é'\n", 1.0)
            ws.update_todo("t", doubles={"ghost": "py-agent"})
            async with node_peer(relay.url, room, TOKEN) as peer:
                await peer.wait_event("synced")
                with anyio.fail_after(5):
                    while (todos := (await peer.request("todos"))["todos"]).get("t", {}).get("status") != "done":
                        await anyio.sleep(0.01)
                seen = todos["t"]
                assert seen["done_by"] == "py-agent" and seen["double.ghost"] == "py-agent" and seen["lease_s"] > 0
                assert "doubles" not in seen and "repaired" not in seen, "typed fields must not add keys"
                # The Node client writes the old layout; Python reads typed fields.
                assert (await peer.request("set_todo", todo="t", key="repaired.ghost", value="node-peer"))["ok"]
                assert (await peer.request("set_todo", todo="t", key="double.other", value="py-agent"))["ok"]
                with anyio.fail_after(5):
                    while "other" not in ws.todo("t").doubles or "ghost" not in ws.todo("t").repaired:
                        await anyio.sleep(0.01)
                entry = ws.todo("t")
                assert entry.doubles == {"ghost": "py-agent", "other": "py-agent"} and entry.repaired == {"ghost": "node-peer"}
                assert entry.done_by == "py-agent" and not {k for k in entry.model_extra or {} if "." in k}
            board.close()
