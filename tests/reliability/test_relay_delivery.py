"""Delivery under load: nothing a client sent is dropped, and a viewer too slow to read is cut off, not grown.

Each test runs against a real relay process (`python -m bench relay`) over
real websockets.  The first reproduces the loss behind the load benchmark's
"2 updates no viewer received": a client that sends an update and closes at
once, while the relay is busy sending to it, lost that update.  uvicorn had
already received the update (and the close after it); the relay's send to the
closing client failed first, which marked the channel closed, and the reader
then discarded the update it had in hand as "sent after the relay closed it".
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
import websockets
from pycrdt import Doc, Map, Text, create_update_message

from ._relay_proc import READ, WRITE, raw_client, relay_process, stored_doc

pytestmark = pytest.mark.anyio


def _update(doc: Doc, change: object) -> bytes:
    updates: list[bytes] = []
    sub = doc.observe(lambda event: updates.append(event.update))
    change()  # type: ignore[operator]
    doc.unobserve(sub)
    assert len(updates) == 1
    return updates[0]


async def _flood(url_ws: object, stop: anyio.Event) -> int:
    """Send bursts of small updates, so the relay always has messages queued for every client."""
    doc = Doc()
    text = doc.get("flood", type=Text)
    sent = 0
    while not stop.is_set():
        await url_ws.send(create_update_message(_update(doc, lambda: text.insert(len(text), "x"))))  # type: ignore[attr-defined]
        sent += 1
        if sent % 100 == 0:  # bursts of 100 (~500/s): the relay queues 100 messages for each client at once
            await anyio.sleep(0.2)
    return sent


async def test_update_sent_just_before_close_is_kept_while_relay_sends_to_that_client(tmp_path: Path) -> None:
    victims = 60
    async with relay_process("--store", str(tmp_path), "--token", WRITE, "--read-token", READ) as relay:
        flooder = await raw_client(relay, "busy", open_timeout=30)
        stop = anyio.Event()
        async with anyio.create_task_group() as tg:
            tg.start_soon(_flood, flooder, stop)
            for i in range(victims):
                ws = await raw_client(relay, "busy", open_timeout=30)
                with anyio.fail_after(30):  # generous: the machine may be loaded
                    await ws.recv()  # the relay's sync step 1: from here on it broadcasts the flood to us
                doc = Doc()
                update = _update(doc, lambda: doc.get("victims", type=Map).__setitem__(f"v{i}", i))
                await ws.send(create_update_message(update))
                await ws.close()  # at once: the update and the close reach the relay together
            stop.set()
        await flooder.close()
        # A fresh client's view of the room: every victim's last update is there.
        reader = await raw_client(relay, "busy", READ, open_timeout=30)
        doc = Doc()
        with anyio.fail_after(30):  # generous: the machine may be loaded
            while True:
                message = await reader.recv()
                if isinstance(message, bytes) and message[:2] == b"\x00\x01":  # sync step 2: the whole room
                    doc.apply_update(_sync_payload(message))
                    break
        seen = set(doc.get("victims", type=Map).keys())
        await reader.close()
        assert await relay.stop() == 0
    expected = {f"v{i}" for i in range(victims)}
    assert seen == expected, f"lost: {sorted(expected - seen, key=lambda k: int(k[1:]))}"
    stored = set(stored_doc(tmp_path / "busy.sqlite").get("victims", type=Map).keys())
    assert stored == expected


def _sync_payload(message: bytes) -> bytes:
    """The update inside a sync step 2 message (type, sync type, varint length, payload)."""
    i, length, shift = 2, 0, 0
    while True:
        byte = message[i]
        length |= (byte & 0x7F) << shift
        shift += 7
        i += 1
        if byte < 0x80:
            break
    return message[i : i + length]



async def _read_updates(ws: object, count: int, marks: list[int]) -> None:
    """Read until ``count`` update messages arrived, noting each one's size."""
    while len(marks) < count:
        message = await ws.recv()  # type: ignore[attr-defined]
        if isinstance(message, bytes) and message[:2] == b"\x00\x02":
            marks.append(len(message))


@pytest.mark.slow  # ~20-40 s: 48 MB through the relay to two readers in lockstep
async def test_a_viewer_that_never_reads_is_cut_off_and_the_others_get_everything(tmp_path: Path) -> None:
    """The slow-consumer policy: each client's queue is bounded (32 MB by default), beyond it the client is dropped."""
    updates, size = 48, 1024 * 1024  # 48 MB: more than the queue budget plus loopback's socket buffers
    async with relay_process("--token", WRITE, "--read-token", READ) as relay:
        stuck = await raw_client(relay, "fan", READ, max_queue=1)  # reads one message, then never again
        healthy = [await raw_client(relay, "fan", READ) for _ in range(2)]
        writers = [await raw_client(relay, "fan") for _ in range(2)]  # two, so the per-client byte rate is no bottleneck
        marks: list[list[int]] = [[] for _ in healthy]
        async with anyio.create_task_group() as tg:
            for ws, got in zip(healthy, marks):
                tg.start_soon(_read_updates, ws, updates, got)
            doc = Doc()
            text = doc.get("big", type=Text)
            for i in range(updates):
                update = _update(doc, lambda: text.insert(len(text), chr(65 + i % 26) * size))
                await writers[i % 2].send(create_update_message(update))
                # Lockstep: the readers keep up (never more than one update queued for them), the stuck one cannot.
                with anyio.fail_after(30):
                    while min(len(got) for got in marks) <= i:
                        await anyio.sleep(0.005)
        assert [len(got) for got in marks] == [updates, updates]
        # The relay closed the stuck viewer: once its buffered messages are read, the connection ends.
        with anyio.fail_after(30):
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await stuck.recv()
        assert "too slow" in relay.text and "disconnecting" in relay.text
        for ws in [*healthy, *writers]:
            await ws.close()
        assert relay.alive()

