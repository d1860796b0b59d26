"""Bad input at the relay, from raw websocket clients: each is refused clearly, and the room loses nothing.

Every case runs against a real relay on 127.0.0.1 with a well-behaved client
editing before and after; the hostile client must get a close code and a
reason that says what was wrong, the relay must keep serving, and the room's
document must hold every good edit and none of the hostile ones.
(tests/crdt_ws/test_relay.py covers the basic hostile frames and a flood
that vanishes; these go further.)
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import anyio
import pytest
import websockets
from pycrdt import Doc, Map, Text, create_sync_message, create_update_message
from pydantic import SecretStr

from crdt_ws import (
    CLOSE_AUTH,
    CLOSE_PROTOCOL,
    AuthError,
    Relay,
    RelayConfig,
    Role,
    Token,
    WebsocketConfig,
    WebsocketTransport,
    Workspace,
)

pytestmark = pytest.mark.anyio

WRITE = "write-secret-Ω"
LIMIT = 64 * 1024


def config(**options: Any) -> RelayConfig:
    return RelayConfig(port=0, write_tokens=[SecretStr(WRITE)], max_message_bytes=LIMIT, **options)


def client(relay: Relay, ws: Workspace, token: str = WRITE, **kw: Any):
    return WebsocketTransport(WebsocketConfig(url=relay.url, room="room", token=SecretStr(token), **kw)).connect(ws)


def raw(relay: Relay, token: str = WRITE):
    return websockets.connect(f"{relay.url}/room?token={token}", max_size=None)


def served(relay: Relay, path: str = "a.py") -> str:
    room = relay.room("room")
    assert room is not None
    return str(room.ydoc.get("files", type=Map)[path])


async def closed_with(connection: Any, timeout: float = 5.0) -> tuple[int | None, str]:
    """Read until the relay closes the connection; its close code and reason."""
    with anyio.fail_after(timeout):
        try:
            while True:
                await connection.recv()
        except websockets.ConnectionClosed as exc:
            return (exc.rcvd.code, exc.rcvd.reason) if exc.rcvd is not None else (None, "")


async def until(predicate: Any, timeout: float = 5.0) -> None:
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.01)


def _update_bytes() -> bytes:
    doc = Doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    doc.get("files", type=Map)["evil.py"] = Text("import os\n" * 20)
    return updates[0]


def _frame(payload: bytes, kind: bytes = b"\x00\x02") -> bytes:
    """``kind`` + varint length + payload: a well-framed message around any payload."""
    length, out = len(payload), bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        out.append(byte | (0x80 if length else 0))
        if not length:
            break
    return kind + bytes(out) + payload


HOSTILE: list[tuple[str, bytes | str, str]] = [
    ("truncated varint length", b"\x00\x02\x80\x80", "truncated length prefix"),
    ("varint that never ends", b"\x00\x02" + b"\xff" * 12, "truncated length prefix"),
    ("awareness with truncated varint", b"\x01\x80", "truncated length prefix"),
    ("unknown message type", b"\x07\x00\x01\x02", "unknown message type 7"),
    ("unknown sync type", b"\x00\x09\x00", "unknown sync message type 9"),
    ("length prefix larger than the frame", b"\x00\x02\x10abc", "declares 16 bytes"),
    ("text frame", '{"type": "update"}', "text frame"),
    ("empty frame", b"", "empty message"),
    ("invalid Yjs update", _frame(b"\xff\xfe\xfd not an update"), "malformed sync message"),
    ("truncated Yjs update", _frame(_update_bytes()[:-9]), "malformed sync message"),
    ("invalid sync step 2", _frame(b"\x05\x05\x05\x05", b"\x00\x01"), "malformed sync message"),
    ("invalid awareness payload", _frame(b"\x03\xff\xff", b"\x01"), "malformed awareness message"),
    ("just over the size limit", b"\x00\x02" + b"x" * (LIMIT + 10), f"over the {LIMIT}-byte limit"),
]


@pytest.mark.parametrize(("case", "payload", "reason"), HOSTILE, ids=[c for c, _, _ in HOSTILE])
async def test_malformed_message_closes_only_its_sender(case: str, payload: bytes | str, reason: str) -> None:
    async with Relay(config()) as relay:
        good, watcher = Workspace("good"), Workspace("watcher")
        async with client(relay, good), client(relay, watcher):
            good.create_file("a.py", "before = 'é'\n")
            await until(lambda: "a.py" in watcher.files)
            async with raw(relay) as hostile:
                await hostile.send(create_sync_message(Doc()))
                await hostile.send(payload)
                code, why = await closed_with(hostile)
            assert code == CLOSE_PROTOCOL, (case, code, why)
            assert reason in why, (case, why)
            good.edit("a.py", 0, 0, "after = '日本'\n")
            await until(lambda: watcher.read("a.py") == "after = '日本'\nbefore = 'é'\n")
        assert served(relay) == "after = '日本'\nbefore = 'é'\n"
        room = relay.room("room")
        assert room is not None and room.stats["malformed"] == 1
        assert "evil.py" not in room.ydoc.get("files", type=Map)


async def test_frame_beyond_the_transport_limit_is_refused_by_the_websocket_layer() -> None:
    async with Relay(config()) as relay:
        good = Workspace("good")
        async with client(relay, good):
            good.create_file("a.py", "x = 1\n")
            async with raw(relay) as hostile:
                await hostile.send(b"\x00\x02" + b"x" * (4 * LIMIT))
                code, why = await closed_with(hostile)
            assert code == 1009, why  # message too big
            good.edit("a.py", 0, 0, "y = 2\n")
            await until(lambda: relay.room("room") is not None and served(relay) == "y = 2\nx = 1\n")


async def test_random_garbage_never_harms_the_room() -> None:
    rng = random.Random(1234)
    async with Relay(config()) as relay:
        good = Workspace("good")
        async with client(relay, good):
            good.create_file("a.py", "")
            for i in range(25):
                garbage = bytes([rng.choice((0, 1, 7, 255))]) + rng.randbytes(rng.randint(0, 200))
                async with raw(relay) as hostile:
                    await hostile.send(garbage)
                    await hostile.send(create_sync_message(Doc()))  # answered only if the garbage was harmless
                    with anyio.move_on_after(0.3):
                        code, _ = await closed_with(hostile)
                        assert code == CLOSE_PROTOCOL
                good.edit("a.py", 0, 0, f"line {i}\n")
            fresh = Workspace("fresh")
            async with client(relay, fresh):
                await until(lambda: fresh.read("a.py") == good.read("a.py"))
        text = served(relay)
        assert all(f"line {i}\n" in text for i in range(25))


async def test_flood_beyond_the_rate_limit_is_slowed_not_dropped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="crdt_ws.relay")
    flood = 400
    async with Relay(config(rate_per_second=200, rate_burst=20)) as relay:
        good, watcher = Workspace("good"), Workspace("watcher")
        async with client(relay, good), client(relay, watcher):
            good.create_file("a.py", "")
            await until(lambda: "a.py" in watcher.files)
            source = Doc()
            text = source.get("flood", type=Text)
            updates: list[bytes] = []
            source.observe(lambda event: updates.append(event.update))
            for i in range(flood):
                text.insert(len(str(text)), f"{i};")
            async with raw(relay) as hostile:
                await hostile.send(create_sync_message(Doc()))
                started = time.monotonic()
                for update in updates:
                    await hostile.send(create_update_message(update))
                # While the flood is being throttled, a good client's edit still gets through at once.
                good.edit("a.py", 0, 0, "served during the flood\n")
                await until(lambda: watcher.read("a.py") == "served during the flood\n", timeout=1.0)
                seen_flood = watcher.doc.get("flood", type=Text).to_py() or ""
                assert seen_flood.count(";") < flood  # the flood really was still being held back
                await until(lambda: (watcher.doc.get("flood", type=Text).to_py() or "").count(";") == flood, timeout=10)
                elapsed = time.monotonic() - started
                room = relay.room("room")
                assert room is not None
                throttled = [c.throttled_s for c in room.clients if getattr(c, "throttled_s", 0) > 0]  # type: ignore[attr-defined]
                assert throttled and max(throttled) > 1.0
        assert elapsed >= (flood - 20) / 200 * 0.9  # the limit held: about 1.9 s for 380 messages past the burst
        assert str(watcher.doc.get("flood", type=Text)) == str(text)  # nothing dropped, in order
        assert any("over the rate limit" in r.getMessage() for r in caplog.records)


async def test_wrong_and_expired_tokens_are_refused_with_a_reason() -> None:
    now = time.time()
    tokens = [Token(secret=SecretStr("old"), expires_at=now - 1), Token(secret=SecretStr("ro-old"), role=Role.READ_ONLY, expires_at=now - 60)]
    async with Relay(config(tokens=tokens)) as relay:
        for token, why in [("nope", "bad token"), ("", "bad token"), ("old", "token expired"), ("ro-old", "token expired")]:
            async with raw(relay, token) as conn:
                assert await closed_with(conn) == (CLOSE_AUTH, why)
            with pytest.raises(AuthError, match=why):
                async with client(relay, Workspace("late"), token, connect_timeout=3):
                    pass
        assert relay.app.rejected == 8 and relay.room("room") is None


async def test_expiry_closes_open_connections_and_keeps_their_earlier_edits(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    expires = time.time() + 1.0
    tokens = [Token(secret=SecretStr("short"), expires_at=expires), Token(secret=SecretStr("short-ro"), role=Role.READ_ONLY, expires_at=expires)]
    async with Relay(config(tokens=tokens)) as relay:
        good, temp = Workspace("good"), Workspace("temp")
        async with client(relay, good), client(relay, temp, "short") as temp_link:
            good.create_file("a.py", "base\n")
            await until(lambda: "a.py" in temp.files)
            temp.edit("a.py", 0, 0, "temp before expiry\n")
            await until(lambda: good.read("a.py").startswith("temp before expiry"))
            async with raw(relay, "short-ro") as reader:
                code, why = await closed_with(reader, timeout=5)
            assert (code, why) == (CLOSE_AUTH, "token expired")
            await until(lambda: temp_link.fatal is not None)
            assert isinstance(temp_link.fatal, AuthError) and "token expired" in str(temp_link.fatal)
            temp.edit("a.py", 0, 0, "temp after expiry\n")  # goes nowhere: the link is closed for good
            good.edit("a.py", len(good.read("a.py")), len(good.read("a.py")), "good after expiry\n")
            await anyio.sleep(0.3)
            assert temp_link.stats.connects == 1  # an expired token is not retried
        assert served(relay) == "temp before expiry\nbase\ngood after expiry\n"
        assert relay.app.expired == 2  # the live client and the raw reader
        assert any("token expired" in r.getMessage() for r in caplog.records)


async def test_updates_sent_after_expiry_are_not_applied() -> None:
    async with Relay(config(tokens=[Token(secret=SecretStr("short"), expires_at=time.time() + 0.5)])) as relay:
        good = Workspace("good")
        async with client(relay, good):
            good.create_file("a.py", "kept\n")
            doc = Doc()
            updates: list[bytes] = []
            doc.observe(lambda event: updates.append(event.update))
            async with raw(relay, "short") as conn:
                await conn.send(create_sync_message(doc))
                await anyio.sleep(0.8)  # past expiry: the relay has sent its close
                doc.get("meta", type=Map)["hijacked"] = True
                try:
                    await conn.send(create_update_message(updates[-1]))
                except websockets.ConnectionClosed:
                    pass
                assert (await closed_with(conn))[0] == CLOSE_AUTH
            await anyio.sleep(0.2)
        room = relay.room("room")
        assert room is not None and "hijacked" not in room.ydoc.get("meta", type=Map)
        assert served(relay) == "kept\n"
