"""Run Node's stock y-websocket server (npm ``@y/websocket-server``) as a relay subprocess.

:func:`node_relay_process` starts ``tests/node_relay/node_modules/@y/websocket-server/src/server.js``
(``npm ci --prefix tests/node_relay``) on a free 127.0.0.1 port and yields its
``ws://`` URL; rooms live in the server's memory (``YPERSISTENCE`` is cleared).
"""

from __future__ import annotations

from bench._errors import BenchError

import os
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from anyio.streams.buffered import BufferedByteReceiveStream

__all__ = ["NODE_RELAY_DIR", "NodeRelayError", "node_relay_missing", "node_relay_process"]

NODE_RELAY_DIR = Path(__file__).resolve().parents[2] / "tests" / "node_relay"
_SERVER = NODE_RELAY_DIR / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"


class NodeRelayError(BenchError, RuntimeError):
    """The Node server is not installed, did not start, or did not say where it listens."""


def node_relay_missing() -> str | None:
    """Why the Node server cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed (Node >= 18 is needed)"
    if not _SERVER.is_file():
        return f"{_SERVER.relative_to(NODE_RELAY_DIR.parents[1])} missing: run `npm ci --prefix tests/node_relay`"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def node_relay_process(start_timeout: float = 15.0) -> AsyncIterator[str]:
    """Start the y-websocket server; yield ``ws://127.0.0.1:PORT``; stop it on exit."""
    missing = node_relay_missing()
    if missing is not None:
        raise NodeRelayError(missing)
    node = shutil.which("node")
    assert node is not None
    port = _free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    env.pop("YPERSISTENCE", None)  # in-memory rooms: nothing written outside the caller's control
    process = await anyio.open_process([node, str(_SERVER)], env=env, cwd=NODE_RELAY_DIR, stderr=subprocess.STDOUT)
    async with process:
        try:
            assert process.stdout is not None
            try:
                with anyio.fail_after(start_timeout):
                    line = await BufferedByteReceiveStream(process.stdout).receive_until(b"\n", 65536)
            except (TimeoutError, anyio.EndOfStream, anyio.IncompleteRead) as exc:
                raise NodeRelayError(f"the y-websocket server did not start: {exc!r}") from exc
            if b"running at" not in line:
                raise NodeRelayError(f"the y-websocket server did not start: {line.decode(errors='replace')[:500]}")
            yield f"ws://127.0.0.1:{port}"
        finally:
            with anyio.CancelScope(shield=True):
                process.terminate()
                with anyio.move_on_after(3):
                    await process.wait()
                if process.returncode is None:
                    process.kill()
                    await process.wait()
