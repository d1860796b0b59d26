"""Issue 20, findings 1 and 2: a room whose store fails, fails alone, refuses writes and is named at shutdown.

Every test attacks a real relay process (`python -m bench relay`), with real
rlimits where the attack needs them.  Before the fix: a store that could not
open (no file descriptors left) cancelled the whole relay, and a corrupt store
accepted and broadcast writes it never kept while shutdown claimed "every
room was flushed".
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
import websockets
from pycrdt import Doc, Map, Text, create_update_message
from pydantic import SecretStr

from crdt_ws import CLOSE_LIMIT, CLOSE_ROOM_FAILED, MESSAGE_DURABLE, NotDurable, RelayUnavailable, WebsocketConfig, WebsocketTransport, Workspace

from ._relay_proc import READ, WRITE, close_code, raw_client, relay_process, stored_doc, until

pytestmark = pytest.mark.anyio


def link(url: str, room: str, **options: object) -> WebsocketConfig:
    return WebsocketConfig(url=url, room=room, token=SecretStr(WRITE), backoff_max=0.2, **options)  # type: ignore[arg-type]


async def write_and_ack(url: str, room: str, text: str) -> None:
    ws = Workspace(f"writer-{room}")
    async with WebsocketTransport(link(url, room)).connect(ws) as connection:
        ws.create_file("a.py", text)
        await connection.wait_durable(timeout=10)


async def test_read_only_client_opening_many_rooms_cannot_kill_the_relay(tmp_path: Path) -> None:
    """Finding 1 as reported: a read-only token opening empty rooms with 256 descriptors allowed."""
    async with relay_process("--store", str(tmp_path), "--token", WRITE, "--read-token", READ, nofile=256) as relay:
        held = []
        for i in range(300):
            held.append(await raw_client(relay, f"empty-{i}", READ, sync=False, open_timeout=3))
        codes = [await close_code(ws) for ws in held[100:]]  # beyond the per-token cap
        assert relay.alive()
        assert all(code == (CLOSE_LIMIT, "too many rooms for one token (limit 100)") for code in codes), codes[:3]
        for ws in held[:100]:  # the first 100 are served: each gets the room's sync step 1
            with anyio.fail_after(5):
                assert (await ws.recv())[0] == 0
        assert list(tmp_path.glob("*.sqlite")) == []  # read-only clients never create store files
        for ws in held:
            await ws.close()
        await write_and_ack(relay.url, "good", "ok = 1\n")  # the relay still serves and persists
        assert await relay.stop() == 0
    assert "every room was flushed" in relay.text
    assert str(stored_doc(tmp_path / "good.sqlite").get("files", type=Map)["a.py"]) == "ok = 1\n"


@pytest.mark.slow  # ~20 s: connections beyond the file limit wait for asyncio's 1 s accept retry
async def test_stores_failing_to_open_fail_alone_and_shutdown_names_them(tmp_path: Path) -> None:
    """Finding 1, the failure itself: stores that cannot open (EMFILE) fail their rooms, not the relay."""
    async with relay_process("--store", str(tmp_path), "--token", WRITE, "--max-rooms-per-token", "1000", nofile=64) as relay:
        held, failed = [], []
        doc = Doc()
        text = doc.get("t", type=Text)
        updates: list[bytes] = []
        doc.observe(lambda event: updates.append(event.update))
        text.insert(0, "x")
        durable = 0
        for i in range(40):
            try:
                ws = await raw_client(relay, f"room-{i}", query="&durable=1", open_timeout=3)
            except (OSError, TimeoutError, websockets.InvalidHandshake):
                break  # no descriptor left even to accept: the relay must still be alive
            await ws.send(create_update_message(updates[0]))
            held.append(ws)
        for ws in held:  # each room either acknowledges the write as durable or fails with 4503
            try:
                with anyio.fail_after(10):
                    while (message := await ws.recv())[0] != MESSAGE_DURABLE or message[1:] == b"\x01\x00":
                        pass
                durable += 1
            except websockets.ConnectionClosed as exc:
                assert exc.rcvd is not None
                failed.append((exc.rcvd.code, exc.rcvd.reason))
        assert relay.alive()
        assert failed and all(code == CLOSE_ROOM_FAILED and reason.startswith("room unavailable: store") for code, reason in failed), failed[:3]
        for ws in held:
            await ws.close()
        assert await relay.stop() == 1  # some rooms could not be flushed, and it says so
    out = relay.text
    assert "could NOT be flushed" in out and "every room was flushed" not in out
    assert sum(1 for line in out.splitlines() if line.startswith("  room-")) >= len(failed)
    # Every room that did not fail is on disk with its update.
    named = {line.split(":")[0].strip() for line in out.splitlines() if line.startswith("  room-")}
    kept = [p for p in tmp_path.glob("room-*.sqlite") if p.stem not in named]
    assert len(kept) == durable > 0 and all(str(stored_doc(p).get("t", type=Text)) == "x" for p in kept)


async def test_corrupt_store_refuses_writes_and_keeps_the_file(tmp_path: Path) -> None:
    """Finding 2: a corrupt room is refused with 4503 and a reason; other rooms are served; shutdown names it."""
    corrupt = tmp_path / "broken.sqlite"
    garbage = b"SQLite format 3\x00" + bytes(range(256)) * 64
    corrupt.write_bytes(garbage)
    async with relay_process("--store", str(tmp_path), "--token", WRITE) as relay:
        ws = await raw_client(relay, "broken")
        assert await close_code(ws) == (CLOSE_ROOM_FAILED, "room unavailable: store corrupt")
        victim = Workspace("victim")
        with pytest.raises(RelayUnavailable, match="4503.*room unavailable: store corrupt"):  # retried until the deadline
            async with WebsocketTransport(link(relay.url, "broken", connect_timeout=2)).connect(victim):
                pass
        await write_and_ack(relay.url, "healthy", "fine = True\n")
        assert await relay.stop() == 1
    assert corrupt.read_bytes() == garbage  # never overwritten: whoever repairs it has the original
    assert "1 room(s) could NOT be flushed" in relay.text and "  broken: store of room 'broken' cannot be opened: DatabaseError" in relay.text
    assert str(stored_doc(tmp_path / "healthy.sqlite").get("files", type=Map)["a.py"]) == "fine = True\n"


async def test_disk_full_fails_the_room_and_nothing_acknowledged_is_lost(tmp_path: Path) -> None:
    """Finding 2 with a full disk (RLIMIT_FSIZE): writes stop being acknowledged, the room closes with 4503,
    and every update acknowledged as durable is in the store."""
    async with relay_process("--store", str(tmp_path), "--token", WRITE, fsize=256 * 1024) as relay:
        ws = Workspace("filler")
        async with WebsocketTransport(link(relay.url, "full")).connect(ws) as connection:
            ws.create_file("log.py", "")
            acked = 0
            for i in range(2000):
                ws.edit("log.py", 0, 0, f"{i:05d} " + "y" * 400 + "\n")
                try:
                    await connection.wait_durable(timeout=3)
                    acked = i + 1
                except NotDurable:
                    break
            assert 0 < acked < 2000
            await until(lambda: any("room unavailable: store write failed" in e for e in connection.stats.errors), timeout=10)
            assert relay.alive()
        assert await relay.stop() == 1
    assert "full: store of room 'full' refused a write" in relay.text
    stored = str(stored_doc(tmp_path / "full.sqlite").get("files", type=Map)["log.py"])
    assert all(f"{i:05d} " in stored for i in range(acked))
