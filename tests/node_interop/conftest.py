"""Fixtures for the Node interop tests: a real Node Yjs peer run as a subprocess.

The peer (``peer.mjs``) uses npm ``yjs`` + ``y-websocket`` + ``ws`` from
``tests/node_interop/node_modules`` (``npm ci --prefix tests/node_interop``).
Tests skip, saying why, when ``node`` or those modules are missing.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process, TaskGroup
from anyio.streams.buffered import BufferedByteReceiveStream

HERE = Path(__file__).resolve().parent
PEER = HERE / "peer.mjs"


class NodePeerError(RuntimeError):
    """The Node peer answered a command with ``ok: false`` or went away."""


class NodePeer:
    """Talks to one running ``peer.mjs``: JSON commands on stdin, JSON lines back."""

    def __init__(self, process: Process, tg: TaskGroup) -> None:
        self.process = process
        self.events: list[dict[str, Any]] = []
        self.stderr = b""
        self._ids = itertools.count(1)
        self._replies: dict[int, dict[str, Any]] = {}
        self._changed = anyio.Event()
        self._eof = False
        tg.start_soon(self._read_stdout)
        tg.start_soon(self._read_stderr)

    async def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        stream = BufferedByteReceiveStream(self.process.stdout)
        try:
            while True:
                line = await stream.receive_until(b"\n", 1 << 20)
                message = json.loads(line)
                if "reply" in message:
                    self._replies[message["reply"]] = message
                else:
                    self.events.append(message)
                self._wake()
        except (anyio.EndOfStream, anyio.IncompleteRead, anyio.ClosedResourceError):
            self._eof = True
            self._wake()

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        async for chunk in self.process.stderr:
            self.stderr += chunk

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def request(self, cmd: str, timeout: float = 5.0, **args: Any) -> dict[str, Any]:
        """Send one command; return the peer's reply, raising if it says ``ok: false``."""
        assert self.process.stdin is not None
        request_id = next(self._ids)
        await self.process.stdin.send(json.dumps({"id": request_id, "cmd": cmd, **args}).encode() + b"\n")
        with anyio.fail_after(timeout):
            while request_id not in self._replies:
                if self._eof:
                    raise NodePeerError(f"node peer exited during {cmd!r}; stderr: {self.stderr.decode()[-2000:]}")
                await self._changed.wait()
        reply = self._replies.pop(request_id)
        if not reply.get("ok"):
            raise NodePeerError(f"node peer failed {cmd!r}: {reply}")
        return reply

    async def wait_event(self, *names: str, timeout: float = 5.0) -> dict[str, Any]:
        """The first event (already seen or still to come) whose name is one of ``names``."""
        with anyio.fail_after(timeout):
            while True:
                for event in self.events:
                    if event["event"] in names:
                        return event
                if self._eof:
                    raise NodePeerError(f"node peer exited before {names}; stderr: {self.stderr.decode()[-2000:]}")
                await self._changed.wait()

    def saw(self, name: str) -> bool:
        return any(event["event"] == name for event in self.events)


@pytest.fixture(scope="session")
def node_bin() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the Node interop tests need Node >= 18)")
    if not (HERE / "node_modules" / "y-websocket").is_dir() or not (HERE / "node_modules" / "yjs").is_dir():
        pytest.skip("tests/node_interop/node_modules missing: run `npm ci --prefix tests/node_interop`")
    return node


@pytest.fixture
def node_peer(node_bin: str) -> Callable[[str, str, str], Any]:
    """``async with node_peer(relay_url, room, token) as peer:`` runs ``peer.mjs``."""

    @asynccontextmanager
    async def start(url: str, room: str, token: str) -> AsyncIterator[NodePeer]:
        process = await anyio.open_process(
            [node_bin, str(PEER), url, room, token],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=HERE,
        )
        async with process, anyio.create_task_group() as tg:
            peer = NodePeer(process, tg)
            try:
                yield peer
            finally:
                with anyio.CancelScope(shield=True):
                    # Closing stdin asks the peer to destroy its provider and exit.
                    if process.stdin is not None:
                        await process.stdin.aclose()
                    with anyio.move_on_after(3):
                        await process.wait()
                    if process.returncode is None:
                        process.kill()
                        await process.wait()
                tg.cancel_scope.cancel()

    return start
