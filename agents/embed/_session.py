"""An embedded session: another agent system's replica of one workspace room.

A :class:`Session` owns one ``Workspace`` replica linked to the relay, a
:class:`claim_protocol.ClaimLoop` holding its claims (the same driver our
implementers' ``Claimer`` runs, used pull-style) and two small background
tasks: sync round-trip probes (they size the claim's verify wait) and a
ticker that samples other agents' heartbeats on this agent's clock (so stale
claims can be reclaimed), bumps the heartbeats of every held claim and
repairs double claims.  Everything an agent does goes through the same code
paths as our own implementers: the claim protocol for claims,
``merge.extract`` + ``merge.commit_to_text`` for commits,
``agents.roles.build_context`` for prompts.

A claim is only won through the relay: the sync round trip before the claim
and the one before the verify must succeed (within ``connect_timeout``),
otherwise the claim is handed back and :class:`ClaimLost` raised.  A replica
cut off from the relay would otherwise verify against itself and win.
"""

from __future__ import annotations

import secrets
from contextlib import AsyncExitStack
from types import TracebackType

import anyio
from anyio.abc import TaskGroup

import claim_protocol
from claim_protocol import Claim, ClaimBoard, ClaimLoop
from crdt_ws import (
    Presence,
    TodoEntry,
    TransportError,
    WebsocketConfig,
    WebsocketConnection,
    WebsocketTransport,
    Workspace,
    WorkspaceError,
)
from merge import ExtractError, MergeError, extract

from agents.roles import Implementation

from ._config import EmbedConfig
from ._handles import ClaimHandle, Committed, _ClaimRequest, _Held, code_defines
from ._errors import (
    ClaimLost,
    CodeRejected,
    ConnectFailed,
    EmbedError,
    NotClaimable,
    NotHolding,
    ReadOnlySession,
)
from ._session_reads import SessionReads

__all__ = ["Session", "connect"]

_OFFLINE_RETRY_S = 0.05
"""How often a session cut off from the relay tries a sync round trip again before claiming or verifying."""



class Session(SessionReads):
    """One agent's live replica of a workspace room; build it with :func:`connect`.

    What it reads (TODOs, files, meta, events, prompts, changes) comes from :class:`SessionReads`.
    """

    def __init__(self, config: EmbedConfig) -> None:
        self.config = config
        self.agent_id = config.agent_id
        self.workspace = Workspace(config.agent_id)
        self.loop = ClaimLoop(ClaimBoard(self.workspace, config.claim))
        self.board = self.loop.board
        self._read_only: str | None = "opened as an observer" if config.role == "observer" else None
        self._claims: dict[str, _Held] = {}
        self._connection: WebsocketConnection | None = None
        self._tg: TaskGroup | None = None
        self._stack = AsyncExitStack()
        link = WebsocketConfig.model_validate(
            # No token given: leave WebsocketConfig's own default (the environment) in charge.
            {"url": config.url, "room": config.room, "connect_timeout": config.connect_timeout}
            | ({} if config.token is None else {"token": config.token})
        )
        self._transport = WebsocketTransport(link)

    # -- lifecycle ------------------------------------------------------------

    async def __aenter__(self) -> Session:
        try:
            try:
                self._connection = await self._stack.enter_async_context(self._transport.connect(self.workspace))
            except TransportError as exc:
                raise ConnectFailed(f"cannot join room {self.config.room!r} at {self.config.url}: {exc}") from exc
            for _ in range(self.config.claim.initial_probes):
                await self._probe()
            if self._read_only is None and self.config.check_write_access:
                await self._check_write_access()
            self._tg = await self._stack.enter_async_context(anyio.create_task_group())
            self._stack.callback(self._tg.cancel_scope.cancel)
            self._tg.start_soon(self._probe_forever)
            self._tg.start_soon(self._tick_forever)
            self._present(None)
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with anyio.CancelScope(shield=True):
            for todo_id in list(self._claims):
                # Hand unfinished work back now: others need not wait for the lease to run out.
                await self.release(todo_id, "session closed")
            self.loop.close()
        await self._stack.aclose()

    async def _check_write_access(self) -> None:
        """Write a ``join`` event and read it back through a second replica.

        The relay drops a read-only token's writes without telling the writer;
        this is the one way to learn it that works against any relay.
        """
        nonce = secrets.token_hex(8)
        self.workspace.log("join", role="embedded", nonce=nonce)
        probe = Workspace(f"{self.agent_id}~probe")
        async with self._transport.connect(probe):
            with anyio.move_on_after(self.config.write_check_timeout):
                while not any(e.type == "join" and e.data.get("nonce") == nonce for e in probe.read_events()):
                    await anyio.sleep(0.01)
                return
        self._read_only = "the relay dropped this agent's writes (is the token read-only?)"

    # -- writing ----------------------------------------------------------------

    def claim(self, todo_id: str) -> _ClaimRequest:
        """Claim ``todo_id`` through the claim protocol (write, wait, verify); returns a :class:`ClaimHandle`.

        ``await session.claim(id)``, or ``async with session.claim(id) as claim:``
        to release it on exit unless committed.  Raises :class:`NotClaimable`
        (held by a live agent, done, out of attempts), :class:`ClaimLost`
        (another agent won the verify) or :class:`ReadOnlySession`.
        """
        return _ClaimRequest(self, todo_id)

    async def _claim(self, todo_id: str) -> ClaimHandle:
        if self._tg is None:
            raise EmbedError("the session is not connected: use `async with connect(config) as session:`")
        self._require_write("claim")
        entry = self.todo(todo_id)
        held = self._claims.get(todo_id)
        if held is not None and held.lost is None:
            return ClaimHandle(self, entry, held)
        if self.config.claim.sync_before_claim and not await self._linked():
            raise NotClaimable(f"{self.agent_id} cannot claim {todo_id!r}: {self._cut_off()}")
        try:
            claim = self.loop.claim(todo_id, anyio.current_time())
        except claim_protocol.NotClaimable as exc:
            raise NotClaimable(str(exc)) from exc
        await anyio.sleep(max(0.0, claim.verify_at - anyio.current_time()))
        # A barrier: every claim that reached the relay before ours is applied here now.
        # Without it this replica only knows its own claim, and would win it.
        if not await self._linked():
            self.loop.release(claim, "could not verify the claim through the relay", anyio.current_time())
            raise ClaimLost(f"{self.agent_id} could not verify its claim on {todo_id!r}: {self._cut_off()}; not claimed")
        try:
            won = self.loop.verify(claim, anyio.current_time())
        except claim_protocol.ClaimError as exc:
            raise NotClaimable(str(exc)) from exc
        if not won:
            winner = self.board.entry(todo_id)
            raise ClaimLost(
                f"{self.agent_id} lost the claim on {todo_id!r} to {winner.assignee!r} "
                f"(status {winner.status.value}); pick another TODO"
            )
        held = _Held(claim)
        self._claims[todo_id] = held
        entry = self.board.entry(todo_id)
        self._present(entry)
        return ClaimHandle(self, entry, held)

    async def commit(self, todo_id: str, code: str) -> Committed:
        """Merge ``code`` (a reply or a bare definition) into the symbol's region and mark the TODO done.

        Only the TODO's symbol (plus the imports and helpers next to it) is
        written.  :class:`CodeRejected` leaves the buffer untouched and the
        claim held; :class:`ClaimLost` means someone else holds it now.
        """
        self._require_write("commit")
        held = self._holding(todo_id)
        entry = self.board.entry(todo_id)
        try:
            extraction = await anyio.to_thread.run_sync(extract, code, entry.symbol)
        except (ExtractError, ValueError) as exc:
            raise CodeRejected(f"code for TODO {todo_id!r} rejected, nothing written: {exc}{code_defines(code)}") from exc
        try:
            # The extraction carries the imports and helpers written next to the function.
            done = self.loop.commit(held.claim, Implementation(extraction), anyio.current_time())
        except claim_protocol.NotHolder as exc:
            self._drop(todo_id, held, f"lost before the commit: {exc}")
            raise ClaimLost(f"{self.agent_id} no longer holds {todo_id!r}; the code was not committed") from exc
        except claim_protocol.CommitFailed as exc:
            raise CodeRejected(f"code for TODO {todo_id!r} cannot be merged, nothing written: {exc.__cause__ or exc}") from exc
        self._drop(todo_id, held, None)
        self._present(None)
        return Committed(todo_id=todo_id, file=done.file, symbol=done.symbol, code=done.result or "")

    async def release(self, todo_id: str, reason: str = "released") -> None:
        """Give a held TODO back as pending at once (others may claim it)."""
        self._require_write("release")
        held = self._holding(todo_id, allow_lost=True)
        if held.lost is None:
            self.loop.release(held.claim, reason, anyio.current_time())
        self._drop(todo_id, held, held.lost)
        self._present(None)

    # -- internals ----------------------------------------------------------------

    def _require_write(self, what: str) -> None:
        if self._read_only is not None:
            raise ReadOnlySession(f"{self.agent_id} cannot {what}: this session is read-only ({self._read_only})")

    def _holding(self, todo_id: str, *, allow_lost: bool = False) -> _Held:
        held = self._claims.get(todo_id)
        if held is None:
            self.todo(todo_id)  # an unknown id is TodoNotFound, not NotHolding
            raise NotHolding(f"{self.agent_id} holds no claim on {todo_id!r}; claim it first")
        if held.lost is not None and not allow_lost:
            self._drop(todo_id, held, held.lost)
            raise ClaimLost(f"{self.agent_id} lost TODO {todo_id!r}: {held.lost}")
        return held

    def _drop(self, todo_id: str, held: _Held, lost: str | None) -> None:
        held.lost = held.lost or lost
        if self._claims.get(todo_id) is held:
            del self._claims[todo_id]

    async def _tick_forever(self) -> None:
        # Sampling others' heartbeats on this clock is what makes a dead holder's claim stale;
        # the same tick keeps every claim this session holds alive.
        while True:
            try:
                lost = self.loop.tick(anyio.current_time())
            except (claim_protocol.ClaimError, MergeError, WorkspaceError):
                lost = []  # a malformed entry mid-sync: the next round sees the fixed one
            for claim in lost:
                self._lost(claim)
            await anyio.sleep(self.config.claim.heartbeat_interval / 2)

    def _lost(self, claim: Claim) -> None:
        held = self._claims.get(claim.todo)
        if held is not None and held.claim is claim:
            entry = self.board.entry(claim.todo)
            held.lost = f"taken over by {entry.assignee!r} (status {entry.status.value})"

    async def _linked(self) -> bool:
        """A sync round trip through the relay, retried until it succeeds or ``connect_timeout`` runs out."""
        if self._connection is None:
            return False
        with anyio.move_on_after(self.config.connect_timeout):
            while not await self._probe():
                await anyio.sleep(_OFFLINE_RETRY_S)
            return True
        return False

    def _cut_off(self) -> str:
        return f"no sync round trip with the relay at {self.config.url} within {self.config.connect_timeout:g}s (link down?)"

    async def _probe(self) -> bool:
        """One sync round trip feeding the estimator; False if the relay did not answer."""
        if self._connection is None:
            return False
        try:
            rtt = await self._connection.round_trip(timeout=min(5.0, self.config.connect_timeout))
        except TransportError:
            return False  # disconnected: the estimate keeps its last value
        self.board.estimator.record(rtt)
        if self._tg is not None and not self.read_only:
            self.board.estimator.publish(self.workspace)  # the run's results report every agent's sync bound
        return True

    async def _probe_forever(self) -> None:
        while True:
            await anyio.sleep(self.config.claim.probe_interval)
            await self._probe()

    def _present(self, entry: TodoEntry | None) -> None:
        region = self.workspace.region(entry.file, entry.symbol) if entry is not None else None
        role = "observer" if self.read_only else "implementer"
        self.workspace.set_presence(Presence(agent=self.agent_id, role=role, color=self.config.color, region=region))


def connect(config: EmbedConfig) -> Session:
    """``async with connect(EmbedConfig(...)) as session:`` joins the room until the block ends."""
    return Session(config)
