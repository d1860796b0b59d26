"""The claim loop as a state machine: ``poll(now)`` says what to do next (sans-IO).

An agent is *idle* (looking for a TODO), *verifying* (its claim is written,
the wait is running) or *working* (verified; heartbeats due while the work
runs).  Drivers turn the returned actions into real waits and tasks
(:class:`claim_protocol.Claimer`) or into simulated ones
(:mod:`claim_protocol.sim`), so both run exactly this logic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from crdt_ws import TodoEntry

from ._board import Change, Claim, ClaimBoard
from ._errors import CommitFailed, NotClaimable, NotHolder

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
    """One agent's claim → verify → work (with heartbeats) → complete cycle."""

    def __init__(self, board: ClaimBoard, *, choose: Chooser | None = None) -> None:
        self.board = board
        self.choose = choose
        self.state = _State.IDLE
        self.claim: Claim | None = None
        self._next_heartbeat = 0.0
        self._fresh = False  # a sync completed since the last claim attempt

    @property
    def verifying(self) -> Claim | None:
        """The claim waiting to be verified, if any."""
        return self.claim if self.state is _State.VERIFYING else None

    def poll(self, now: float) -> Action:
        """Advance as far as possible at ``now`` and return what the driver must do."""
        board = self.board
        board.observe(now)
        board.check_doubles(now)
        if self.state is _State.VERIFYING:
            assert self.claim is not None
            if now < self.claim.verify_at:
                return Sleep(self.claim.verify_at)
            if board.verify(self.claim, now):
                self.state = _State.WORKING
                self._next_heartbeat = now + board.config.heartbeat_interval
                return StartWork(self.claim, board.entry(self.claim.todo))
            self._idle()
        if self.state is _State.WORKING:
            assert self.claim is not None
            if now >= self._next_heartbeat:
                if not board.heartbeat(self.claim, now):
                    claim = self.claim
                    self._idle()
                    return CancelWork(claim)
                self._next_heartbeat = now + board.config.heartbeat_interval
            return Sleep(self._next_heartbeat)
        return self._look_for_work(now)

    def _look_for_work(self, now: float) -> Action:
        board = self.board
        if board.settled():
            repair = board.repair_deadline()  # a lost double claim may still need its buffer repaired
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
                self.claim = board.claim(chosen.id, now)
            except NotClaimable:
                candidates = [c for c in candidates if c.id != chosen.id]
                continue
            self.state = _State.VERIFYING
            return Sleep(self.claim.verify_at)
        return Sleep(board.next_deadline(now))

    def synced(self) -> None:
        """The driver completed the sync asked for by :class:`Sync`."""
        self._fresh = True

    def finished(self, claim: Claim, code: str | Change, now: float) -> bool:
        """The work on ``claim`` produced ``code``: commit it. False if the claim was lost first."""
        if self.state is not _State.WORKING or self.claim is not claim:
            return False
        self._idle()
        try:
            self.board.complete(claim, code, now)
        except NotHolder:
            return False
        except CommitFailed as exc:
            self.board.fail(claim, str(exc), now)  # the next claim is a fresh attempt
            return False
        return True

    def failed(self, claim: Claim, reason: str, now: float) -> None:
        """The work on ``claim`` failed: hand the TODO back (its next claim is a new attempt)."""
        if self.state is _State.WORKING and self.claim is claim:
            self._idle()
            self.board.fail(claim, reason, now)

    def _idle(self) -> None:
        self.state = _State.IDLE
        self.claim = None
