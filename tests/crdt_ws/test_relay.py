"""The relay for real: tokens, read-only clients, restarts with persistence, hostile frames."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest
import websockets
from pycrdt import Doc, Map, Text, create_sync_message, create_update_message
from pydantic import SecretStr

from crdt_ws import AuthError, NotDurable, Presence, TransportError, Region, Relay, RelayConfig, WebsocketConfig, WebsocketTransport, Workspace

from ._harness import RelayTask, converge

pytestmark = pytest.mark.anyio

def secured(**options: Any) -> RelayConfig:
    """A relay config with one read-write and one read-only token."""
    return RelayConfig(write_tokens=[SecretStr("write-secret")], read_tokens=[SecretStr("read-secret")], **options)


def client(relay: Relay, ws: Workspace, token: str | None = "write-secret", **kw: object):
    config = WebsocketConfig(url=relay.url, room="room", token=token, **kw)  # type: ignore[arg-type]
    return WebsocketTransport(config).connect(ws)


async def test_wrong_or_missing_token_is_rejected() -> None:
    async with Relay(secured(port=0)) as relay:
        for token in ["nope", None, "write-secret-but-longer"]:
            with pytest.raises(AuthError):
                async with client(relay, Workspace("intruder"), token, connect_timeout=3):
                    pass
        with pytest.raises(TransportError, match="room name"):
            async with WebsocketTransport(WebsocketConfig(url=relay.url, room="../etc", token="write-secret")).connect(Workspace("x")):  # type: ignore[arg-type]
                pass
        assert relay.app.rejected == 4
        assert relay.room("room") is None  # a rejected client never creates a room


async def test_read_only_client_sees_everything_and_changes_nothing() -> None:
    async with Relay(secured(port=0)) as relay:
        writer, reader, other = Workspace("w"), Workspace("r"), Workspace("o")
        async with client(relay, writer), client(relay, reader, "read-secret"), client(relay, other):
            writer.create_file("a.py", "x = 'é'\n")
            await converge([writer, reader, other])
            reader.edit("a.py", 0, 0, "import os; os.system('rm -rf /')\n")
            reader.set_meta(hijacked=True)
            writer.edit("a.py", 0, 0, "# ok\n")
            with anyio.fail_after(3):
                while "# ok" not in reader.read("a.py") or "# ok" not in other.read("a.py"):
                    await anyio.sleep(0.01)
            await anyio.sleep(0.1)
        room = relay.room("room")
        assert room is not None
        served = room.ydoc.get("files", type=Map)["a.py"]
        assert str(served) == "# ok\nx = 'é'\n" == other.read("a.py")
        assert "hijacked" not in room.ydoc.get("meta", type=Map)
        assert room.stats["dropped_readonly"] >= 2


async def test_restart_reconnects_merges_offline_edits_and_loses_nothing(tmp_path: Path) -> None:
    a, b = Workspace("a"), Workspace("b")
    async with anyio.create_task_group() as tg:
        first = RelayTask(secured(port=0, store_dir=tmp_path))
        relay: Relay = await tg.start(first.run)
        async with client(relay, a, backoff_max=0.2) as ca, client(relay, b, backoff_max=0.2) as cb:
            a.create_file("log.py", "")
            await converge([a, b])
            for i in range(50):
                (a if i % 2 else b).edit("log.py", 0, 0, f"line {i} ✓\n")
            await converge([a, b])
            await first.stop()
            assert _stored_lines(tmp_path) == 50  # every edit the relay received is on disk

            with anyio.fail_after(10):  # both notice the dead relay
                while ca.connected or cb.connected:
                    await anyio.sleep(0.02)
            for i in range(50, 70):  # offline edits on both sides
                (a if i % 2 else b).edit("log.py", 0, 0, f"offline {i}\n")

            # Same port, same store: the room is loaded before it accepts anyone.
            second = RelayTask(first.config.model_copy(update={"port": relay.port}))
            relay2: Relay = await tg.start(second.run)
            await converge([a, b], timeout=15)
            fresh = Workspace("late")
            async with client(relay2, fresh):
                await converge([a, b, fresh])
            assert ca.stats.connects >= 2 and cb.stats.connects >= 2
        await second.stop()

    text = fresh.read("log.py")
    assert all(f"line {i} ✓\n" in text for i in range(50))
    assert all(f"offline {i}\n" in text for i in range(50, 70))
    assert _stored_text(tmp_path) == text  # the store alone holds everything
    assert _stored_lines(tmp_path) == 70


def _stored_text(store_dir: Path) -> str:
    """The file as rebuilt from the relay's SQLite store alone."""
    restored = Doc()
    with sqlite3.connect(store_dir / "room.sqlite") as db:
        rows = db.execute("SELECT yupdate FROM yupdates ORDER BY timestamp").fetchall()
    for (update,) in rows:
        restored.apply_update(update)
    return str(restored.get("files", type=Map)["log.py"])


def _stored_lines(store_dir: Path) -> int:
    return len(_stored_text(store_dir).splitlines())


async def _raw(relay: Relay, room: str = "room", token: str = "write-secret"):
    return websockets.connect(f"{relay.url}/{room}?token={token}", max_size=None)


async def test_hostile_frames_close_only_the_sender() -> None:
    async with Relay(secured(port=0, max_message_bytes=64 * 1024)) as relay:
        good = Workspace("good")
        async with client(relay, good):
            good.create_file("a.py", "ok = True\n")
            for payload in [b"\x00\x02\xff\xff\xff\xff\x0f garbage", b"\x00\x07", b"", b"\x01\x05\x00", "text frame", b"\x00\x02" + b"x" * 100_000]:
                async with await _raw(relay) as raw:
                    await raw.send(payload)
                    with anyio.fail_after(3):
                        with pytest.raises(websockets.ConnectionClosed) as closed:
                            while True:
                                await raw.recv()
                    assert closed.value.rcvd is None or closed.value.rcvd.code in (4400, 1009), closed.value
            good.edit("a.py", 0, 0, "# still served\n")
            fresh = Workspace("fresh")
            async with client(relay, fresh):
                await converge([good, fresh])
        room = relay.room("room")
        assert room is not None and room.stats["malformed"] >= 4
        assert str(room.ydoc.get("files", type=Map)["a.py"]) == "# still served\nok = True\n"


async def test_flood_then_vanish_does_not_kill_the_relay() -> None:
    async with Relay(secured(port=0)) as relay:
        doc = Doc()
        text = doc.get("flood", type=Text)
        updates: list[bytes] = []
        doc.observe(lambda event: updates.append(event.update))
        for i in range(3000):
            text.insert(0, f"{i},")
        async with await _raw(relay) as raw:
            await raw.send(create_sync_message(Doc()))  # step 1 of a replica that knows nothing
            for update in updates:
                await raw.send(create_update_message(update))
            raw.transport.abort()  # vanish without a close handshake
        survivor = Workspace("survivor")
        async with client(relay, survivor):
            with anyio.fail_after(5):
                while survivor.doc.get("flood", type=Text).to_py().count(",") < 3000:
                    await anyio.sleep(0.02)
        await relay.flush()
        assert relay.room("room").stats["persisted"] >= 3000  # type: ignore[union-attr]


async def test_presence_of_a_departed_client_is_cleared() -> None:
    async with Relay(secured(port=0)) as relay:
        stayer, leaver = Workspace("stayer"), Workspace("leaver")
        async with client(relay, stayer):
            async with client(relay, leaver):
                leaver.set_presence(Presence(agent="leaver", region=Region(file="a.py", start=0, end=3)))
                with anyio.fail_after(5):
                    while not any(p.agent == "leaver" for p in stayer.presences().values()):
                        await anyio.sleep(0.01)
            with anyio.fail_after(5):  # the relay tells the others when a client leaves
                while any(p.agent == "leaver" for p in stayer.presences().values()):
                    await anyio.sleep(0.01)


async def test_idle_persisted_room_is_unloaded_and_reloaded(tmp_path: Path) -> None:
    async with Relay(secured(port=0, store_dir=tmp_path, evict_idle_after=0.2)) as relay:
        first = Workspace("first")
        async with client(relay, first):
            first.create_file("log.py", "kept — ✓\n")
            await anyio.sleep(0.05)
        with anyio.fail_after(5):
            while relay.room("room") is not None:
                await anyio.sleep(0.02)
        assert relay.server.evicted == 1
        second = Workspace("second")
        async with client(relay, second):  # the room comes back from its store
            assert second.read("log.py") == "kept — ✓\n"


async def test_a_reader_too_slow_for_its_byte_budget_is_disconnected(caplog: pytest.LogCaptureFixture) -> None:
    """Queues are bounded in bytes, not only messages: a peer that never reads is dropped, the writer goes on."""
    config = secured(
        port=0, client_queue_bytes=256 * 1024, bytes_per_second=1e9, bytes_burst=1 << 30, max_message_bytes=64 << 20,
        ping_interval=60,  # so it is the byte budget that drops the peer, not a missed pong
    )
    async with Relay(config) as relay:
        async with websockets.connect(f"{relay.url}/room?token=write-secret", max_size=None, max_queue=1) as stuck:
            await stuck.send(create_sync_message(Doc()))
            writer = Workspace("writer")
            async with client(relay, writer):
                writer.create_file("big.py", "")
                for i in range(24):  # 24 x 512 KiB: more than loopback buffers plus the 256 KiB budget
                    writer.edit("big.py", 0, 0, f"# {i} " + "x" * 512 * 1024 + "\n")
                    await anyio.sleep(0)
                room = relay.room("room")
                assert room is not None
                with anyio.fail_after(20):
                    while len(room.clients) > 1:
                        await anyio.sleep(0.02)
                assert "too slow" in caplog.text and "bytes queued" in caplog.text
                fresh = Workspace("fresh")
                async with client(relay, fresh):  # the relay and the room are fine
                    with anyio.fail_after(20):
                        while len(fresh.read("big.py")) != len(writer.read("big.py")):
                            await anyio.sleep(0.05)


async def test_wait_durable_needs_a_store() -> None:
    async with Relay(secured(port=0)) as relay:
        ws = Workspace("w")
        async with client(relay, ws) as link:
            ws.create_file("a.py", "x = 1\n")
            with pytest.raises(NotDurable, match="does not acknowledge durability"):
                await link.wait_durable(timeout=5)


async def test_wait_durable_returns_once_the_update_is_in_the_store(tmp_path: Path) -> None:
    async with Relay(secured(port=0, store_dir=tmp_path)) as relay:
        ws = Workspace("w")
        async with client(relay, ws) as link:
            for i in range(20):
                ws.create_file(f"f{i}.py", f"n = {i}\n")
                await link.wait_durable(timeout=5)
                # Read the store file directly (another connection): the update is already committed.
                doc = Doc()
                with sqlite3.connect(f"file:{tmp_path / 'room.sqlite'}?mode=ro", uri=True) as db:
                    for (update,) in db.execute("SELECT yupdate FROM yupdates"):
                        doc.apply_update(update)
                assert str(doc.get("files", type=Map)[f"f{i}.py"]) == f"n = {i}\n"
