"""A real relay process (`python -m bench relay`) for attack tests: limits, output capture, RSS, signals."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import websockets
from anyio.abc import Process
from pycrdt import Doc, create_sync_message

WRITE = "write-tok-Ω"
READ = "read-tok"


class RelayProcess:
    """A running relay subprocess; its stdout and stderr are drained into :attr:`output` (never blocks it)."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.output: list[str] = []
        self.port = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def text(self) -> str:
        return "".join(self.output)

    def alive(self) -> bool:
        return self.process.returncode is None

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    async def _drain(self, stream: Any) -> None:
        async for chunk in stream:
            self.output.append(chunk.decode(errors="replace"))

    async def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.alive():
            self.process.send_signal(sig)
        with anyio.fail_after(timeout):
            return await self.process.wait()


@asynccontextmanager
async def relay_process(
    *args: str, nofile: int | None = None, fsize: int | None = None, env: dict[str, str] | None = None
) -> AsyncIterator[RelayProcess]:
    """Start ``python -m bench relay --port 0 *args`` (with optional rlimits) and wait until it listens."""
    limits = []
    if nofile is not None:
        limits.append(f"resource.setrlimit(resource.RLIMIT_NOFILE, ({nofile}, {nofile}))")
    if fsize is not None:
        limits.append(f"resource.setrlimit(resource.RLIMIT_FSIZE, ({fsize}, {fsize}))")
    boot = "; ".join(["import os, resource, sys", *limits, "os.execv(sys.executable, [sys.executable, '-m', 'bench', 'relay', *sys.argv[1:]])"])
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    process = await anyio.open_process([sys.executable, "-c", boot, "--port", "0", *args], env=full_env)
    relay = RelayProcess(process)
    async with anyio.create_task_group() as tg:
        assert process.stdout is not None and process.stderr is not None
        tg.start_soon(relay._drain, process.stdout)
        tg.start_soon(relay._drain, process.stderr)
        try:
            with anyio.fail_after(30):
                while (match := re.search(r"relay listening on ws://127\.0\.0\.1:(\d+)", relay.text)) is None:
                    if not relay.alive():
                        raise AssertionError(f"relay exited early: {relay.text}")
                    await anyio.sleep(0.02)
            relay.port = int(match.group(1))
            yield relay
        finally:
            if relay.alive():
                process.send_signal(signal.SIGKILL)
            with anyio.move_on_after(10):
                await process.wait()
            tg.cancel_scope.cancel()


async def raw_client(relay: RelayProcess, room: str, token: str = WRITE, *, sync: bool = True, query: str = "", **options: Any) -> Any:
    """A bare websocket in ``room`` that sent sync step 1 (unless ``sync=False``)."""
    options.setdefault("open_timeout", 5)
    ws = await websockets.connect(f"{relay.url}/{room}?token={token}{query}", max_size=None, **options)
    if sync:
        await ws.send(create_sync_message(Doc()))
    return ws


async def close_code(ws: Any, timeout: float = 10.0) -> tuple[int | None, str]:
    """Read until the relay closes ``ws``; its close code and reason."""
    with anyio.fail_after(timeout):
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed as exc:
            return (exc.rcvd.code, exc.rcvd.reason) if exc.rcvd is not None else (None, "")


def stored_doc(path: Path, room: str | None = None) -> Doc:
    """The document as rebuilt from a store file alone (read-only)."""
    doc = Doc()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        query, params = ("SELECT yupdate FROM yupdates WHERE path = ? ORDER BY timestamp, rowid", (room,)) if room else ("SELECT yupdate FROM yupdates ORDER BY timestamp, rowid", ())
        for (update,) in db.execute(query, params):
            doc.apply_update(update)
    return doc


async def until(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> None:
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(interval)
