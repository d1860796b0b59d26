"""A scripted HTTP/1.1 server on 127.0.0.1 for testing the real HTTP clients.

It is a real socket server (anyio TCP listener): the anthropic SDK and httpx
talk to it exactly as to a provider. Each incoming request takes the next
scripted ``Step`` (or asks a responder callable), so a test can say "429, then
a stream that disconnects after 3 events, then success". Streams use chunked
transfer encoding, so an abrupt close mid-stream is a protocol error for the
client (as on a real dropped connection), not a clean end of body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream

__all__ = ["FakeServer", "JSONReply", "RecordedRequest", "SSEReply", "Step"]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable", 529: "Overloaded"}  # fmt: skip


@dataclass
class RecordedRequest:
    """A request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        return json.loads(self.body)


@dataclass
class JSONReply:
    """A plain JSON response (errors, non-streaming replies)."""

    status: int
    body: object
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class SSEReply:
    """A ``text/event-stream`` response made of pre-framed SSE events."""

    events: list[bytes]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_before_headers_s: float = 0.0
    """Wait before sending anything (a slow first byte; long enough = client timeout)."""
    delay_between_events_s: float = 0.0
    disconnect_after: int | None = None
    """Close the socket abruptly after this many events (no terminating chunk)."""
    stall_after: int | None = None
    """Stop sending (but keep the socket open) after this many events, for ``stall_s``."""
    stall_s: float = 60.0


Step = JSONReply | SSEReply
Responder = Callable[[RecordedRequest], Step]


class FakeServer:
    """``async with FakeServer(steps) as server``: serves on ``server.base_url`` until exit.

    ``steps`` is consumed one per request; when exhausted, requests get a 500
    naming the problem (a test that makes more calls than it scripted fails
    loudly). Alternatively pass ``responder`` to compute each step.
    """

    def __init__(self, steps: Iterable[Step] = (), *, responder: Responder | None = None, prefix: str = "") -> None:
        self._steps = list(steps)
        self._responder = responder
        self._prefix = prefix
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        """Requests being answered right now (read, response not yet fully sent)."""
        self.peak_in_flight = 0
        """The most requests ever answered at once: what a client-side concurrency cap must keep down."""
        self.port = 0
        self._tg: anyio.abc.TaskGroup | None = None
        self._listener: anyio.abc.Listener[anyio.abc.SocketStream] | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port><prefix>``."""
        return f"http://127.0.0.1:{self.port}{self._prefix}"

    def add(self, *steps: Step) -> None:
        """Script more responses."""
        self._steps.extend(steps)

    async def __aenter__(self) -> FakeServer:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self._listener = listener
        self.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(listener.serve, self._handle)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        assert self._tg is not None and self._listener is not None
        self._tg.cancel_scope.cancel()
        try:
            return await self._tg.__aexit__(exc_type, exc, tb)
        finally:
            await self._listener.aclose()

    def _next_step(self, request: RecordedRequest) -> Step:
        if self._responder is not None:
            return self._responder(request)
        if self._steps:
            return self._steps.pop(0)
        msg = f"fake server: no scripted response left for request #{len(self.requests)}"
        return JSONReply(500, {"error": {"type": "api_error", "message": msg}})

    async def _handle(self, client: anyio.abc.SocketStream) -> None:
        async with client:
            try:
                request = await _read_request(BufferedByteReceiveStream(client))
            except (anyio.IncompleteRead, anyio.EndOfStream, anyio.BrokenResourceError, ValueError):
                return
            self.requests.append(request)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                step = self._next_step(request)
                if isinstance(step, JSONReply):
                    await _send_json(client, step)
                else:
                    await _send_sse(client, step)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, ConnectionError):
                pass  # the client went away (e.g. its timeout fired): nothing to do
            finally:
                self.in_flight -= 1


async def _read_request(buffered: BufferedByteReceiveStream) -> RecordedRequest:
    head = await buffered.receive_until(b"\r\n\r\n", max_bytes=65536)
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await buffered.receive_exactly(length) if length else b""
    return RecordedRequest(method=method, path=path, headers=headers, body=body)


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send_json(client: anyio.abc.SocketStream, step: JSONReply) -> None:
    if step.delay_s:
        await anyio.sleep(step.delay_s)
    body = json.dumps(step.body).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body)), **step.headers}
    await client.send(_head(step.status, headers) + body)


async def _send_sse(client: anyio.abc.SocketStream, step: SSEReply) -> None:
    if step.delay_before_headers_s:
        await anyio.sleep(step.delay_before_headers_s)
    headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "Transfer-Encoding": "chunked", **step.headers}
    await client.send(_head(step.status, headers))
    for i, event in enumerate(step.events):
        if step.disconnect_after is not None and i >= step.disconnect_after:
            return  # abrupt close: `async with client` closes the socket without the final chunk
        if step.stall_after is not None and i >= step.stall_after:
            await anyio.sleep(step.stall_s)
            return
        if i and step.delay_between_events_s:
            await anyio.sleep(step.delay_between_events_s)
        await client.send(f"{len(event):x}\r\n".encode() + event + b"\r\n")
    await client.send(b"0\r\n\r\n")
