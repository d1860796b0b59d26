"""The one claim driver: every claim an agent makes goes through a :class:`ClaimLoop` (sans-IO).

The loop holds any number of claims (verifying, or verified and kept alive by
heartbeats) and the agent's double-claim repair (:class:`DoubleClaims`).  It
is driven in one of two styles, both on the same state:

- **push**: ``poll(now)`` says what to do next for one claim at a time.  An
  agent is *idle* (looking for a TODO), *verifying* (its claim is written,
  the wait is running) or *working* (verified; heartbeats due while the work
  runs).  Work that no longer needs the agent (its model call is over, only
  its commit is left) may be *detached* (:meth:`ClaimLoop.detach`): its
  claim stays held and kept alive while the agent claims its next TODO, so
  the next call does not wait for the last one's commit, sync and claim.
  :class:`claim_protocol.Claimer` turns the actions into real waits and
  tasks, :mod:`claim_protocol.sim` into simulated ones.
- **pull**: the caller picks TODOs itself (an embedded agent, an MCP client):
  ``claim(id, now)`` writes a claim, ``verify(claim, now)`` settles it after
  ``claim.verify_at``, ``tick(now)`` keeps every held claim alive (and
  returns the ones lost), ``commit``/``release`` end one.  The driver owns
  the clock and the link: it must not call ``verify`` on a replica that could
  not sync with the relay (see :class:`agents.embed.Session`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from crdt_ws import TodoEntry

from ._board import Change, Claim, ClaimBoard
from ._errors import CommitFailed, NotClaimable, NotHolder
from ._repair import DoubleClaims

__all__ = ["ClaimLoop", "Action", "Sleep", "StartWork", "CancelWork", "Finished", "Sync", "Chooser"]

Chooser = Callable[[list[TodoEntry]], TodoEntry | None]
"""Picks one of the claimable TODOs (ordered by the board's preference), or None to wait."""


@dataclass(frozen=True)
class Sleep:
    """Wait until ``until`` (this agent's clock) or the document changes; ``None``: only the latter."""

    until: float | None


@dataclass(frozen=True)
class StartWork:
    """The claim is verified: start working on ``entry``."""

    claim: Claim
    entry: TodoEntry


@dataclass(frozen=True)
class CancelWork:
    """The claim was lost while working (preempted): stop the work, commit nothing."""

    claim: Claim


@dataclass(frozen=True)
class Finished:
    """Every TODO is done or failed."""


@dataclass(frozen=True)
class Sync:
    """Bring the replica up to date (a sync round trip), then call ``synced`` and poll again.

    Asked for before each claim: a replica whose inbound updates lag (a
    saturated process, a slow downlink) would otherwise claim on a stale view.
    """


Action = Sleep | StartWork | CancelWork | Finished | Sync


class _State(Enum):
    IDLE = "idle"
    VERIFYING = "verifying"
    WORKING = "working"


class ClaimLoop:
    """One agent's claims: claim → verify → keep alive → commit or release (push or pull style)."""

    def __init__(self, board: ClaimBoard, *, choose: Chooser | None = None) -> None:
        self.board = board
        self.choose = choose
        self.repairs = DoubleClaims(board.workspace, board.stats, board.entry, board.lease_of)
        self.state = _State.IDLE
        self.current: Claim | None = None  # the claim poll() drives
        self._claims: dict[str, Claim] = {}  # todo -> every claim written and not yet ended
        self._beats: dict[str, float] = {}  # todo -> next heartbeat, for verified claims
        self._fresh = False  # a sync completed since the last claim attempt
        self._detached: list[Claim] = []  # verified claims whose work finishes beside the next claim
        self._lost: list[Claim] = []  # claims lost while their work still ran (current or detached): CancelWork is due

    def close(self) -> None:
        """Stop watching the document (the loop and its board are unusable afterwards)."""
        self.repairs.close()
        self.board.close()

    @property
    def verifying(self) -> Claim | None:
        """The claim poll() is waiting to verify, if any."""
        return self.current if self.state is _State.VERIFYING else None

    @property
    def held(self) -> list[Claim]:
        """Every verified claim this agent still holds (as far as it knows)."""
        return [c for c in self._claims.values() if c.todo in self._beats]

    # -- pull style -------------------------------------------------------------

    def claim(self, todo_id: str, now: float) -> Claim:
        """Write a claim on ``todo_id``; call :meth:`verify` at ``claim.verify_at``. Raises ``NotClaimable``."""
        if todo_id in self._claims:
            raise NotClaimable(f"{self.board.agent} already has a claim on {todo_id!r}")
        self.board.observe(now)
        claim = self.board.claim(todo_id, now)
        self._claims[todo_id] = claim
        return claim

    def verify(self, claim: Claim, now: float) -> bool:
        """Re-read after the wait: True if this agent won (its heartbeats are then due from ``tick``)."""
        if self._claims.get(claim.todo) is not claim:
            return False
        if not self.board.verify(claim, now):
            del self._claims[claim.todo]
            return False
        self._beats[claim.todo] = now + self.board.config.heartbeat_interval
        return True

    def tick(self, now: float) -> list[Claim]:
        """Observe others' claims, repair double claims, bump due heartbeats; returns the claims lost."""
        self.board.observe(now)
        self.repairs.check(now)
        lost: list[Claim] = []
        for todo_id, due in list(self._beats.items()):
            if now < due:
                continue
            claim = self._claims[todo_id]
            if self.board.heartbeat(claim, now):
                self._beats[todo_id] = now + self.board.config.heartbeat_interval
            else:
                self._end(claim)
                self.repairs.preempted(self.board.entry(todo_id), claim.verified_at is not None, now)
                lost.append(claim)
        return lost

    def commit(self, claim: Claim, code: str | Change, now: float) -> TodoEntry:
        """Commit ``code`` (text, or a :class:`Change` applying itself) on a held claim; returns the entry as now stored.

        Raises :class:`NotHolder` (the claim is gone) or :class:`CommitFailed`
        (nothing written, the claim is still held).
        """
        if self._claims.get(claim.todo) is not claim or claim.todo not in self._beats:
            raise NotHolder(f"{self.board.agent} holds no verified claim on {claim.todo!r}")
        try:
            before = self.board.complete(claim, code, now)
        except NotHolder:
            self._end(claim)
            self.repairs.preempted(self.board.entry(claim.todo), claim.verified_at is not None, now)
            raise
        self._end(claim)
        self.repairs.completed(before, claim.attempt)
        return self.board.entry(claim.todo)

    def release(self, claim: Claim, reason: str, now: float) -> None:
        """Give a claim back as pending (if still held); its next claim counts as a new attempt."""
        if self._claims.get(claim.todo) is claim:
            self._end(claim)
            self.board.fail(claim, reason, now)

    def _end(self, claim: Claim) -> None:
        if self._claims.get(claim.todo) is claim:
            del self._claims[claim.todo]
            self._beats.pop(claim.todo, None)

    # -- push style -------------------------------------------------------------

    def poll(self, now: float) -> Action:
        """Advance as far as possible at ``now`` and return what the driver must do."""
        for claim in self.tick(now):  # claims lost while their work ran (current or detached): cancel it
            if self.state is _State.WORKING and self.current is claim:
                self._idle()
                self._lost.append(claim)
            elif any(c is claim for c in self._detached):
                self._detached = [c for c in self._detached if c is not claim]
                self._lost.append(claim)
        if self._lost:
            return CancelWork(self._lost.pop(0))
        if self.state is _State.VERIFYING:
            assert self.current is not None
            if now < self.current.verify_at:
                return Sleep(self.current.verify_at)
            if self.verify(self.current, now):
                self.state = _State.WORKING
                return StartWork(self.current, self.board.entry(self.current.todo))
            self._idle()
        if self.state is _State.WORKING:
            return Sleep(min(self._beats.values()))  # detached claims' heartbeats are due too
        return self._look_for_work(now)

    def _look_for_work(self, now: float) -> Action:
        board = self.board
        if board.settled():
            repair = self.repairs.deadline()  # a lost double claim may still need its buffer repaired
            return Finished() if repair is None else Sleep(repair)
        if now < board.pause_until:
            return Sleep(board.pause_until)
        candidates = board.candidates(now)
        if candidates and board.config.sync_before_claim and not self._fresh:
            return Sync()
        self._fresh = False
        if candidates:  # the view may have moved during the sync
            candidates = board.candidates(now)
        while candidates:
            chosen = self.choose(candidates) if self.choose is not None else candidates[0]
            if chosen is None:
                break
            try:
                self.current = self.claim(chosen.id, now)
            except NotClaimable:
                candidates = [c for c in candidates if c.id != chosen.id]
                continue
            self.state = _State.VERIFYING
            return Sleep(self.current.verify_at)
        times = [t for t in (board.next_deadline(now), self.repairs.deadline(), *self._beats.values()) if t is not None]
        return Sleep(min(times, default=None))

    def detach(self, claim: Claim) -> bool:
        """The work on ``claim`` (verified, current) no longer needs the agent: go idle, keep the claim held.

        Its end is reported as before (:meth:`finished`, :meth:`failed`); if the
        claim is lost first, :meth:`poll` returns ``CancelWork`` for it.  False
        (nothing detached) unless ``claim`` is the verified claim being worked on.
        """
        if self.state is not _State.WORKING or self.current is not claim:
            return False
        self._detached.append(claim)
        self._idle()
        return True

    def synced(self) -> None:
        """The driver completed the sync asked for by :class:`Sync`."""
        self._fresh = True

    def finished(self, claim: Claim, code: str | Change, now: float) -> bool:
        """The work on ``claim`` produced ``code``: commit it. False if the claim was lost first."""
        if not self._work_ended(claim):
            return False
        try:
            self.commit(claim, code, now)
        except NotHolder:
            return False
        except CommitFailed as exc:
            self.release(claim, str(exc), now)  # the next claim is a fresh attempt
            return False
        return True

    def failed(self, claim: Claim, reason: str, now: float) -> None:
        """The work on ``claim`` failed: hand the TODO back (its next claim is a new attempt)."""
        if self._work_ended(claim):
            self.release(claim, reason, now)

    def _work_ended(self, claim: Claim) -> bool:
        """Forget the work on ``claim`` (current or detached); False if none was running for it."""
        if self.state is _State.WORKING and self.current is claim:
            self._idle()
            return True
        if any(c is claim for c in self._detached):
            self._detached = [c for c in self._detached if c is not claim]
            return True
        return False

    def _idle(self) -> None:
        self.state = _State.IDLE
        self.current = None
