"""A small Language Server Protocol client over a subprocess's stdio (anyio).

Just enough JSON-RPC for pyright: requests with ids, notifications, replies to
the server's own requests (``workspace/configuration`` and friends), and a
hook for incoming notifications such as ``publishDiagnostics``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
from anyio.abc import ByteReceiveStream, ByteSendStream, Process

from ._errors import PyrightProtocolError, PyrightTimeoutError

JSON = Any


class _Pending:
    def __init__(self) -> None:
        self.event = anyio.Event()
        self.result: JSON = None
        self.error: JSON = None


class LspClient:
    """JSON-RPC endpoint bound to a running language server process."""

    def __init__(
        self,
        process: Process,
        *,
        on_notification: Callable[[str, JSON], None],
        on_request: Callable[[str, JSON], JSON],
    ) -> None:
        if process.stdin is None or process.stdout is None:
            raise PyrightProtocolError("language server process has no stdio pipes")
        self._send: ByteSendStream = process.stdin
        self._recv: ByteReceiveStream = process.stdout
        self._on_notification = on_notification
        self._on_request = on_request
        self._next_id = 0
        self._pending: dict[int, _Pending] = {}
        self._lock = anyio.Lock()
        self._closed: str | None = None

    async def _write(self, message: dict[str, JSON]) -> None:
        body = json.dumps(message).encode("utf-8")
        async with self._lock:
            try:
                await self._send.send(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
                raise PyrightProtocolError(f"language server pipe closed: {exc}") from exc

    async def notify(self, method: str, params: JSON) -> None:
        await self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def request(self, method: str, params: JSON, timeout: float = 30.0) -> JSON:
        if self._closed is not None:
            raise PyrightProtocolError(f"language server is gone: {self._closed}")
        self._next_id += 1
        msg_id = self._next_id
        pending = self._pending[msg_id] = _Pending()
        try:
            await self._write({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
            with anyio.move_on_after(timeout):
                await pending.event.wait()
            if not pending.event.is_set():
                raise PyrightTimeoutError(f"{method}: no answer within {timeout} s")
        finally:
            self._pending.pop(msg_id, None)
        if pending.error is not None:
            raise PyrightProtocolError(f"{method} failed: {pending.error}")
        return pending.result

    async def read_loop(self) -> None:
        """Read messages until EOF; run as a background task."""
        buffer = bytearray()
        try:
            async for chunk in self._recv:
                buffer += chunk
                while True:
                    header_end = buffer.find(b"\r\n\r\n")
                    if header_end < 0:
                        break
                    length = None
                    for line in bytes(buffer[:header_end]).split(b"\r\n"):
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    if length is None:
                        raise PyrightProtocolError(f"LSP header without Content-Length: {bytes(buffer[:header_end])!r}")
                    start = header_end + 4
                    if len(buffer) < start + length:
                        break
                    body = bytes(buffer[start : start + length])
                    del buffer[: start + length]
                    await self._dispatch(json.loads(body))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass
        finally:
            self._closed = "stdout closed"
            for pending in self._pending.values():
                pending.error = "language server exited"
                pending.event.set()

    async def _dispatch(self, message: dict[str, JSON]) -> None:
        if "method" in message and "id" in message:
            try:
                result = self._on_request(message["method"], message.get("params"))
                reply: dict[str, JSON] = {"jsonrpc": "2.0", "id": message["id"], "result": result}
            except Exception as exc:  # tell the server instead of dying
                reply = {"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32603, "message": str(exc)}}
            await self._write(reply)
        elif "method" in message:
            self._on_notification(message["method"], message.get("params"))
        elif "id" in message:
            pending = self._pending.get(int(message["id"]))
            if pending is not None:
                pending.result = message.get("result")
                pending.error = message.get("error")
                pending.event.set()
