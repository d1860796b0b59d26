"""A client process of ``bench.micro.relay_load``: writers (real workspaces) or viewers (bare websockets).

    python -m bench.micro._load_client URL ROOM WRITERS VIEWERS RATE NAME

Tokens come from ``$CRDT_WS_TOKEN`` (writers) and ``$CRDT_WS_READ_TOKEN``
(viewers).  The process connects its clients, prints ``{"ready": true}``, and
on ``go`` (a line on stdin) the writers each append
``<NAME.i:seq:monotonic_ns>`` to a buffer ``RATE`` times a second; a viewer
notes, for every marker in every update it receives, ``now - monotonic_ns``
(one system-wide monotonic clock: the processes share a machine).  On
``count`` it prints ``{"count": N}``, the (update, viewer) pairs received so
far; on ``stop`` it prints one JSON line: the latency samples (ms), what each viewer
received and what went wrong.  Viewers are bare websockets that never build a
document, so the figures measure the relay, not the viewers' CRDT work.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from typing import Any

import anyio
import websockets
from pycrdt import Doc, create_sync_message

from crdt_ws import WebsocketConfig, WebsocketTransport, Workspace

MARK = re.compile(rb"<([\w.-]+):(\d+):(\d+)>")


class _Stats:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.received: dict[str, set[tuple[str, int]]] = {}
        self.errors: list[str] = []
        self.sent: dict[str, int] = {}
        self.durable_ms: list[float] = []
        self.acked: dict[str, int] = {}  # writer -> updates acknowledged as durable (a prefix: it waits for each)
        self.links: dict[str, dict[str, Any]] = {}  # writer -> its link's reconnect count and last errors


async def _viewer(url: str, room: str, key: str, stats: _Stats, ready: anyio.Event, counter: list[int], total: int) -> None:
    token = os.environ.get("CRDT_WS_READ_TOKEN", "")
    seen = stats.received.setdefault(key, set())
    try:
        async with websockets.connect(f"{url}/{room}?token={token}", max_size=None, open_timeout=60, ping_interval=None) as ws:
            await ws.send(create_sync_message(Doc()))
            joined = False
            async for message in ws:
                if isinstance(message, str):
                    continue
                if not joined and message[:2] == b"\x00\x01":
                    # The relay's answer to our sync step 1: only now is this viewer in the room and
                    # sure to get every broadcast (counting it ready at connect missed first updates).
                    joined = True
                    counter[0] += 1
                    if counter[0] == total:
                        ready.set()
                if message[:2] != b"\x00\x02":
                    continue
                now = time.monotonic_ns()
                for match in MARK.finditer(message):
                    seen.add((match.group(1).decode(), int(match.group(2))))
                    stats.latencies_ms.append((now - int(match.group(3))) / 1e6)
    except Exception as exc:
        stats.errors.append(f"viewer {key}: {type(exc).__name__}: {exc}"[:200])


async def _writer(
    url: str, room: str, name: str, rate: float, stats: _Stats, ready: anyio.Event, go: anyio.Event, stop: anyio.Event, counter: list[int], total: int
) -> None:
    ws = Workspace(name)
    token = os.environ.get("CRDT_WS_TOKEN") or None  # this script is its own command line: it reads the token
    config = WebsocketConfig(url=url, room=room, token=token, connect_timeout=60)  # type: ignore[arg-type]
    link = None
    try:
        async with WebsocketTransport(config).connect(ws) as link:
            path = f"{name}.txt"
            ws.create_file(path, "")
            counter[0] += 1
            if counter[0] == total:
                ready.set()
            await go.wait()
            seq = 0
            # Each writer its own phase: 20 agents do not all commit on the same tick.
            next_at = time.monotonic() + random.random() / rate
            while True:
                next_at += 1 / rate
                with anyio.move_on_after(max(0.0, next_at - time.monotonic())):
                    await stop.wait()
                if stop.is_set():
                    break  # leave the link normally: it sends what is queued before closing
                text = ws.text(path)
                start = time.monotonic_ns()
                with ws.transaction():
                    text.insert(len(text), f"<{name}:{seq}:{start}>\n")
                stats.sent[name] = seq + 1
                seq += 1
                try:
                    await link.wait_durable(timeout=5)
                    stats.durable_ms.append((time.monotonic_ns() - start) / 1e6)
                    stats.acked[name] = seq
                except Exception as exc:
                    stats.errors.append(f"writer {name}: {type(exc).__name__}: {exc}"[:200])
    except Exception as exc:
        stats.errors.append(f"writer {name}: {type(exc).__name__}: {exc}"[:200])
    finally:
        # After the link closed: what a missing update's writer went through (also: this writer is done).
        stats.links[name] = {"connects": link.stats.connects, "errors": link.stats.errors[-3:]} if link is not None else {"connects": 0, "errors": []}


async def _main(url: str, room: str, writers: int, viewers: int, rate: float, name: str) -> None:
    stats = _Stats()
    ready, go, stop = anyio.Event(), anyio.Event(), anyio.Event()
    counter = [0]
    total = writers + viewers
    if total == 0:
        ready.set()
    stdin = anyio.wrap_file(sys.stdin)
    async with anyio.create_task_group() as tg:
        for i in range(viewers):
            tg.start_soon(_viewer, url, room, f"{name}.v{i}", stats, ready, counter, total)
        for i in range(writers):
            tg.start_soon(_writer, url, room, f"{name}.w{i}", rate, stats, ready, go, stop, counter, total)
        await ready.wait()
        print(json.dumps({"ready": True}), flush=True)
        await stdin.readline()  # go
        go.set()
        while (await stdin.readline()).strip() == "count":  # anything else (stop, EOF): report and exit
            print(json.dumps({"count": sum(len(seen) for seen in stats.received.values())}), flush=True)
        # Writers finish their durable wait and leave their links normally (cancelling them
        # would cancel the links' own sender tasks too: a last edit could stay unsent).
        stop.set()
        with anyio.move_on_after(30):
            while len(stats.links) < writers:
                await anyio.sleep(0.02)
        tg.cancel_scope.cancel()
    out: dict[str, Any] = {
        "latencies_ms": [round(x, 3) for x in stats.latencies_ms],
        "durable_ms": [round(x, 3) for x in stats.durable_ms],
        "received": {k: sorted(f"{w}:{s}" for w, s in v) for k, v in stats.received.items()},
        "sent": stats.sent,
        "acked": stats.acked,
        "links": stats.links,
        "errors": stats.errors,
    }
    print(json.dumps(out), flush=True)


def main() -> None:
    url, room, writers, viewers, rate, name = sys.argv[1:7]
    anyio.run(_main, url, room, int(writers), int(viewers), float(rate), name)


if __name__ == "__main__":
    main()
