"""Run one :class:`crdt_ws.Relay` in its own process, for benchmarks.

``python -m bench.micro._relay_host`` binds 127.0.0.1 on a free port, prints
one JSON line ``{"url": "ws://127.0.0.1:PORT", "pid": ...}`` on stdout, and
serves until its standard input closes (how the parent says "stop": no signal
handling needed, and an orphaned relay dies with its parent's pipe).  The
write token comes from ``$CRDT_WS_BENCH_TOKEN`` so it never shows in ``ps``;
``$CRDT_WS_BENCH_STORE`` (a directory) gives the relay a store and
``$CRDT_WS_BENCH_ACKS=0`` turns its durable acknowledgements off.

:func:`relay_process` is the parent side, as an async context manager.
"""

from __future__ import annotations

from bench._errors import BenchError

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from anyio.streams.buffered import BufferedByteReceiveStream

from crdt_ws import Relay, RelayConfig

__all__ = ["RelayProcessError", "relay_process"]

TOKEN_ENV = "CRDT_WS_BENCH_TOKEN"
STORE_ENV = "CRDT_WS_BENCH_STORE"
ACKS_ENV = "CRDT_WS_BENCH_ACKS"
_REPO = Path(__file__).resolve().parents[2]


class RelayProcessError(BenchError, RuntimeError):
    """The relay subprocess did not start or did not report its address."""


async def _serve() -> None:
    token = os.environ.get(TOKEN_ENV)
    store = os.environ.get(STORE_ENV)
    config = RelayConfig(
        port=0,
        write_tokens=[token] if token else [],  # type: ignore[list-item]
        store_dir=Path(store) if store else None,
        durable_acks=os.environ.get(ACKS_ENV, "1") != "0",
    )
    async with Relay(config) as relay:
        print(json.dumps({"url": relay.url, "pid": os.getpid()}), flush=True)
        # Blocks in a worker thread until the parent closes our stdin.
        await anyio.to_thread.run_sync(sys.stdin.buffer.read, abandon_on_cancel=True)


@asynccontextmanager
async def relay_process(
    token: str | None = None, start_timeout: float = 20.0, *, store: Path | None = None, durable_acks: bool = True
) -> AsyncIterator[str]:
    """Start a relay subprocess (with a store in ``store``, if given); yield its base URL; stop it on exit."""
    env = dict(os.environ)
    if token:
        env[TOKEN_ENV] = token
    if store is not None:
        env[STORE_ENV] = str(store)
    env[ACKS_ENV] = "1" if durable_acks else "0"
    process = await anyio.open_process(
        [sys.executable, "-m", "bench.micro._relay_host"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,  # relay warnings go straight to our stderr
        cwd=_REPO,
        env=env,
    )
    async with process:
        assert process.stdout is not None and process.stdin is not None
        try:
            with anyio.fail_after(start_timeout):
                line = await BufferedByteReceiveStream(process.stdout).receive_until(b"\n", 65536)
            url = json.loads(line)["url"]
        except (TimeoutError, anyio.EndOfStream, anyio.IncompleteRead, ValueError, KeyError) as exc:
            process.kill()
            raise RelayProcessError(f"relay subprocess did not report its URL: {exc!r}") from exc
        try:
            yield url
        finally:
            with anyio.CancelScope(shield=True):
                await process.stdin.aclose()
                with anyio.move_on_after(10):
                    await process.wait()
                if process.returncode is None:
                    process.kill()
                    await process.wait()


if __name__ == "__main__":
    anyio.run(_serve)
