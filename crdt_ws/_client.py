"""Websocket transport: one replica talking to the relay, robust where pycrdt's Provider is not.

pycrdt's ``Provider`` never reconnects, never notices a dead server and echoes
every applied update back.  This client:

* reconnects with capped exponential backoff (with jitter) on the *same* Doc,
  and resyncs with sync step 1/2, which is also how edits made while offline
  reach the relay;
* notices a dead server through websocket pings (``ping_timeout``);
* sends only local transactions (remote ones carry this client's origin marker);
* batches queued local updates into one merged update per send;
* tracks what the relay has *acknowledged as durable* (the state vector of
  its store, sent after every committed write to clients that connect with
  ``durable=1``): :meth:`WebsocketConnection.wait_durable` returns once this
  replica's own updates are in the relay's store, i.e. survive ``kill -9``.
"""

from __future__ import annotations

import logging
import math
import random
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any

import anyio
import websockets
from anyio.abc import TaskGroup
from pycrdt import (
    TransactionEvent,
    YMessageType,
    YSyncMessageType,
    create_awareness_message,
    create_sync_message,
    create_update_message,
    handle_sync_message,
    read_message,
)
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from ._client_config import ConnectionStats, WebsocketConfig
from ._compat import RemoteOrigin, origin_key, update_batches
from ._durable import MESSAGE_DURABLE, DurableState
from ._relay_room import CLOSE_ROOM_FAILED
from ._relay_rooms import CLOSE_LIMIT
from ._errors import AuthError, NotDurable, ProtocolError, RelayUnavailable, TransportError
from ._redact import install_redaction, redact
from ._workspace import Workspace, decode_state_vector

__all__ = ["WebsocketTransport", "WebsocketConnection"]

log = logging.getLogger("crdt_ws.client")
_wire_log = logging.getLogger("crdt_ws.client.wire")
"""What the websockets library logs for our connections (its DEBUG request line carries the token: masked)."""
install_redaction(_wire_log.name)


class WebsocketConnection:
    """A live link between one Workspace replica and the relay."""

    def __init__(self, workspace: Workspace, config: WebsocketConfig) -> None:
        self.workspace = workspace
        self.config = config
        self.origin = RemoteOrigin("relay")
        self._origin_key = hash(self.origin)  # what pycrdt reports as the origin inside doc.observe
        self.stats = ConnectionStats()
        self.synced = anyio.Event()  # set on the first completed sync
        self.connected = False
        self._ws: Any = None
        self._closing = False
        self._unsent = 0  # local updates queued for the relay and not yet written to the socket
        self._fatal: TransportError | None = None
        self.fatal: TransportError | None = None
        """Why the link stopped for good (a rejected or expired token), if it did."""
        self._tg: TaskGroup | None = None
        self._out_send, self._out_receive = anyio.create_memory_object_stream[bytes](math.inf)
        self._subs: list[Any] = []
        self._settled = anyio.Event()  # first sync done, or a fatal error
        self._probes: list[anyio.Event] = []  # round trips waiting for the relay's sync step 2
        self._durable = DurableState()
        self._warned: set[str] = set()  # refusal reasons already logged (a retry loop must not flood the log)

    async def __aenter__(self) -> WebsocketConnection:
        doc = self.workspace.doc
        self._subs.append(doc.observe(self._on_local_update))
        self._awareness_sub = self.workspace.awareness.observe(self._on_awareness)
        self._stack = AsyncExitStack()
        self._tg = await self._stack.enter_async_context(anyio.create_task_group())
        self._stack.callback(self._tg.cancel_scope.cancel)
        self._tg.start_soon(self._run)
        self._tg.start_soon(self._sender)
        try:
            with anyio.fail_after(self.config.connect_timeout):
                await self._settled.wait()
            if self._fatal is not None:
                raise self._fatal
        except TimeoutError:
            await self.__aexit__(None, None, None)
            raise RelayUnavailable(
                f"no sync with {self.config.url} room {self.config.room!r} within {self.config.connect_timeout}s"
                + (f" (last error: {self.stats.last_error})" if self.stats.last_error else "")
            ) from None
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._closing:
            return
        self._closing = True
        for sub in self._subs:
            self.workspace.doc.unobserve(sub)
        self.workspace.awareness.unobserve(self._awareness_sub)
        with anyio.CancelScope(shield=True):
            await self._flush_and_close()
        await self._stack.aclose()

    async def _flush_and_close(self) -> None:
        """Send what is queued, then close politely (bounded: the relay may be gone)."""
        with anyio.move_on_after(2):
            while self.connected and self._pending_local():
                await anyio.sleep(0.005)
            if self._ws is not None:
                try:
                    await self._ws.close()
                except Exception:
                    pass

    def _pending_local(self) -> bool:
        # Not the stream's buffer: a memory stream hands an item straight to a waiting
        # receiver, so an update can be neither buffered nor sent yet.
        return self._unsent > 0

    async def round_trip(self, timeout: float = 5.0) -> float:
        """Seconds for a sync step 1 to come back as the relay's step 2 (a real sync round trip).

        It goes through the relay's room like any update, so it measures what
        the claim protocol's verify wait must cover.
        """
        if not self.connected:
            raise RelayUnavailable("not connected to the relay")
        answered = anyio.Event()
        self._probes.append(answered)
        start = anyio.current_time()
        await self._send(create_sync_message(self.workspace.doc))
        try:
            with anyio.fail_after(timeout):
                await answered.wait()
        except TimeoutError:
            raise RelayUnavailable(f"no sync round trip within {timeout}s") from None
        finally:
            if answered in self._probes:
                self._probes.remove(answered)
        return anyio.current_time() - start

    @property
    def durable(self) -> dict[int, int]:
        """The state vector the relay's store holds, as last acknowledged in this session."""
        return self._durable.vector

    async def wait_durable(self, timeout: float = 10.0) -> None:
        """Return once every update this replica made so far is in the relay's store.

        That is the relay's promise: an acknowledged update survives the relay
        being killed (``kill -9``).  It waits across reconnects (after a relay
        restart the resync carries the updates, and the new process
        acknowledges them).  Raises :class:`NotDurable` after ``timeout``
        seconds, if the link stopped for good, or at once if the relay keeps no
        store (or is not a crdt_ws relay) and so acknowledges nothing.
        """
        doc = self.workspace.doc
        target = decode_state_vector(doc.get_state()).get(doc.client_id, 0)
        if target == 0:
            return
        if not self.config.durable_acks:
            raise NotDurable("durable acknowledgements are off (WebsocketConfig.durable_acks)")
        await self._durable.wait(doc.client_id, target, timeout, connected=lambda: self.connected, fatal=lambda: self.fatal)

    # -- local -> relay ------------------------------------------------------

    def _on_local_update(self, event: TransactionEvent) -> None:
        # The origin is only readable inside the callback (pycrdt pitfall).
        if origin_key(event) == self._origin_key:
            return
        try:
            self._out_send.send_nowait(event.update)
            self._unsent += 1
        except anyio.ClosedResourceError:
            pass

    def _on_awareness(self, kind: str, event: tuple[dict[str, Any], Any]) -> None:
        changes, origin = event
        if kind != "update" or origin != "local":
            return
        awareness = self.workspace.awareness
        ids = [*changes["added"], *changes["updated"], *changes["removed"]]
        message = create_awareness_message(awareness.encode_awareness_update(ids))
        self._send_soon(message)

    def _send_soon(self, message: bytes) -> None:
        if self._tg is not None and self.connected:
            self._tg.start_soon(self._send, message)

    async def _sender(self) -> None:
        async for merged, count in update_batches(self._out_receive):
            try:
                if self.connected:  # if not, the resync on reconnect carries these edits
                    await self._send(create_update_message(merged))
            finally:
                self._unsent -= count

    async def _send(self, message: bytes) -> None:
        ws = self._ws
        if ws is None:
            return
        try:
            await ws.send(message)
            self.stats.messages_sent += 1
            self.stats.bytes_sent += len(message)
        except (ConnectionClosed, OSError) as exc:
            self._note_error(exc)

    # -- connection loop -----------------------------------------------------

    async def _run(self) -> None:
        delay = self.config.backoff_initial
        while not self._closing:
            try:
                async with websockets.connect(
                    self.config.endpoint(),
                    ping_interval=self.config.ping_interval,
                    ping_timeout=self.config.ping_timeout,
                    max_size=self.config.max_message_bytes,
                    compression=None,
                    open_timeout=self.config.connect_timeout,
                    # A dead peer never answers the close handshake: don't wait long for it.
                    close_timeout=self.config.ping_timeout,
                    logger=_wire_log,
                ) as ws:
                    self._ws = ws
                    self.connected = True
                    self.stats.connects += 1
                    delay = self.config.backoff_initial
                    try:
                        await self._session(ws)
                    finally:
                        self.connected = False  # now, not after the close handshake
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in (401, 403):
                    self._fail(AuthError(f"relay refused the connection (HTTP {status})"))
                    return
                self._note_error(exc)  # e.g. a proxy's 502: worth retrying
            except InvalidURI as exc:
                # Not str(exc): it quotes the whole endpoint, token included.
                self._fail(TransportError(f"bad relay URL {self.config.url!r}: {exc.msg}"))
                return
            except (InvalidHandshake, ProtocolError) as exc:
                # InvalidHandshake: e.g. a proxy in front of a dead relay accepts the TCP
                # connection and closes it before any HTTP response. Transient: retry.
                self._note_error(exc)
            except (ConnectionClosed, OSError, TimeoutError) as exc:
                code = exc.rcvd.code if isinstance(exc, ConnectionClosed) and exc.rcvd is not None else None
                if code == 4401:
                    # The relay's reason is one of its fixed strings ("bad token", "token expired").
                    reason = exc.rcvd.reason if isinstance(exc, ConnectionClosed) and exc.rcvd is not None else ""
                    self._fail(AuthError(f"relay rejected the token ({reason or 'no reason given'})"))
                    return
                if code == 4404:
                    self._fail(TransportError(f"relay rejected room name {self.config.room!r}"))
                    return
                if code in (CLOSE_ROOM_FAILED, CLOSE_LIMIT) and isinstance(exc, ConnectionClosed) and exc.rcvd is not None:
                    # Transient for the relay's part (a store may be repaired, a cap frees up): retry, but say so.
                    if exc.rcvd.reason not in self._warned:
                        self._warned.add(exc.rcvd.reason)
                        log.warning("relay refused room %r: %s (code %d); retrying", self.config.room, exc.rcvd.reason, code)
                self._note_error(exc)
            finally:
                self._ws = None
                self.connected = False
            if self._closing:
                return
            await anyio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, self.config.backoff_max)

    async def _session(self, ws: Any) -> None:
        self._durable.new_session()
        doc = self.workspace.doc
        await self._send(create_sync_message(doc))
        awareness = self.workspace.awareness
        if awareness.get_local_state() is not None:
            await self._send(create_awareness_message(awareness.encode_awareness_update([awareness.client_id])))
        async for message in ws:
            if isinstance(message, str):
                raise ProtocolError("relay sent a text frame")
            self.stats.messages_received += 1
            self.stats.bytes_received += len(message)
            await self._handle(message)

    async def _handle(self, message: bytes) -> None:
        if not message:
            return
        if message[0] == YMessageType.SYNC:
            sync_type = message[1] if len(message) > 1 else -1
            try:
                with self.workspace.doc.transaction(origin=self.origin):
                    reply = handle_sync_message(message[1:], self.workspace.doc)
            except Exception as exc:
                raise ProtocolError(f"malformed sync message from relay: {exc!r}") from exc
            if reply is not None:
                await self._send(reply)
            if sync_type == YSyncMessageType.SYNC_STEP2:
                self._durable.synced()
                self.synced.set()
                self._settled.set()
                if self._probes:  # the relay answers step 1s in order
                    self._probes.pop(0).set()
            elif sync_type == YSyncMessageType.SYNC_UPDATE:
                self.stats.updates_applied += 1
        elif message[0] == MESSAGE_DURABLE:
            self._durable.received(message)
        elif message[0] == YMessageType.AWARENESS:
            try:
                self.workspace.awareness.apply_awareness_update(read_message(message[1:]), self.origin)
            except Exception as exc:
                raise ProtocolError(f"malformed awareness message from relay: {exc!r}") from exc

    def _fail(self, error: TransportError) -> None:
        """A condition retrying cannot fix (bad token, bad URL): stop and report it."""
        self._fatal = error
        self.fatal = error
        self._note_error(error)
        if self.synced.is_set():  # no caller is waiting in __aenter__ to raise it: say it loudly
            log.error("relay link to room %r stopped: %s", self.config.room, error)
        self._settled.set()
        self._durable.news()

    def _note_error(self, exc: BaseException) -> None:
        text = redact(f"{type(exc).__name__}: {exc}")
        if self.config.token is not None and self.config.token.get_secret_value():  # whatever shape a library's message has
            text = text.replace(self.config.token.get_secret_value(), "***")
        self.stats.last_error = text
        self.stats.errors.append(text)
        del self.stats.errors[:-20]
        log.debug("relay link: %s", text)


class WebsocketTransport:
    """Factory for websocket connections to one relay room (the ``websocket`` transport)."""

    name = "websocket"

    def __init__(self, config: WebsocketConfig) -> None:
        self.config = config

    def connect(self, workspace: Workspace) -> WebsocketConnection:
        return WebsocketConnection(workspace, self.config)
