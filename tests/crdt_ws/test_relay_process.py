"""The relay as a real process (`crdt-bench relay`): killed with SIGKILL and restarted."""

from __future__ import annotations

import re
import signal
import sqlite3
import sys
from pathlib import Path

import anyio
import pytest
from anyio.abc import Process
from pycrdt import Doc, Map

from crdt_ws import WebsocketConfig, WebsocketTransport, Workspace

from ._harness import converge

pytestmark = pytest.mark.anyio


async def start_relay(store: Path, port: int = 0) -> tuple[Process, int]:
    process = await anyio.open_process(
        [sys.executable, "-m", "bench", "relay", "--port", str(port), "--store", str(store), "--token", "tok"],
    )
    assert process.stdout is not None
    buffer = b""
    with anyio.fail_after(20):
        while (match := re.search(rb"ws://127\.0\.0\.1:(\d+)", buffer)) is None:
            buffer += await process.stdout.receive()
    return process, int(match.group(1))


def stored_text(store: Path) -> str:
    doc = Doc()
    if not (store / "room.sqlite").is_file():
        return ""  # the relay creates a room's store with its first write
    with sqlite3.connect(f"file:{store / 'room.sqlite'}?mode=ro", uri=True) as db:
        for (update,) in db.execute("SELECT yupdate FROM yupdates ORDER BY timestamp"):
            doc.apply_update(update)
    files = doc.get("files", type=Map)
    return str(files["log.py"]) if "log.py" in files else ""


async def test_sigkill_and_restart_keeps_everything_persisted(tmp_path: Path) -> None:
    process, port = await start_relay(tmp_path)
    link = WebsocketConfig(url=f"ws://127.0.0.1:{port}", room="room", token="tok", backoff_max=0.2)  # type: ignore[arg-type]
    a, b = Workspace("a"), Workspace("b")
    try:
        async with WebsocketTransport(link).connect(a) as ca, WebsocketTransport(link).connect(b):
            a.create_file("log.py", "")
            await converge([a, b])
            for i in range(40):
                (a if i % 2 else b).edit("log.py", 0, 0, f"edit {i} — ✓\n")
            await converge([a, b])
            with anyio.fail_after(5):  # the relay's writer catches up
                while stored_text(tmp_path).count("\n") < 40:
                    await anyio.sleep(0.05)
            persisted = stored_text(tmp_path)

            process.send_signal(signal.SIGKILL)
            await process.wait()
            with anyio.fail_after(10):
                while ca.connected:
                    await anyio.sleep(0.02)
            a.edit("log.py", 0, 0, "while the relay was dead\n")

            process, _ = await start_relay(tmp_path, port)
            await converge([a, b], timeout=15)
            with anyio.fail_after(5):
                while "while the relay was dead" not in stored_text(tmp_path):
                    await anyio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        with anyio.move_on_after(5):
            await process.wait()
        if process.returncode is None:
            process.kill()
    final = b.read("log.py")
    assert all(line in final.splitlines() for line in persisted.splitlines())
    assert len(final.splitlines()) == 41
    assert stored_text(tmp_path) == final


async def test_a_frozen_relay_is_noticed_and_rejoined(tmp_path: Path) -> None:
    """SIGSTOP keeps the TCP connection open but silent: only pings can tell."""
    process, port = await start_relay(tmp_path)
    link = WebsocketConfig(
        url=f"ws://127.0.0.1:{port}", room="room", token="tok", ping_interval=0.2, ping_timeout=0.5, backoff_max=0.2  # type: ignore[arg-type]
    )
    a, b = Workspace("a"), Workspace("b")
    try:
        async with WebsocketTransport(link).connect(a) as ca, WebsocketTransport(link).connect(b):
            a.create_file("log.py", "before\n")
            await converge([a, b])
            process.send_signal(signal.SIGSTOP)
            with anyio.fail_after(5):
                while ca.connected:
                    await anyio.sleep(0.02)
            a.edit("log.py", 0, 0, "during the freeze\n")
            process.send_signal(signal.SIGCONT)
            await converge([a, b], timeout=15)
            assert ca.stats.connects >= 2
    finally:
        process.send_signal(signal.SIGCONT)
        process.send_signal(signal.SIGTERM)
        with anyio.move_on_after(5):
            await process.wait()
        if process.returncode is None:
            process.kill()
    assert b.read("log.py") == "during the freeze\nbefore\n"
