"""The claim board: one agent's view of the TODO map, and the writes it makes (sans-IO).

Nothing here sleeps or touches the network; every call takes ``now``, the
agent's own monotonic clock.  That is what lets the same code run under the
anyio driver (:class:`claim_protocol.Claimer`) and under the deterministic
network simulator (:mod:`claim_protocol.sim`).

The protocol on one TODO entry (a Map in ``todos``):

1. **claim**: write ``status=claimed, assignee=me, attempt+1, heartbeat=0,
   lease_s`` in one transaction;
2. **verify**: after the adaptive wait, re-read. Concurrent sets of a key
   converge to one writer on every replica, so exactly one claimer still
   reads itself as assignee once all claims have arrived.  Losers pause for a
   hashed back-off and move on;
3. **heartbeat**: the holder bumps ``heartbeat``; an observer records on its
   own clock when the ``(assignee, attempt, heartbeat)`` triple last changed
   and judges the claim stale after ``lease_s`` of silence, then reclaims;
4. **complete**: splice the code into the symbol's region (a replace, so a
   second commit leaves one copy) and set ``status=done, result, done_by``.

Under partitions two agents can both verify; :mod:`claim_protocol._repair`
gets the buffer back to one copy of the symbol afterwards.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from crdt_ws import TodoEntry, TodoStatus, Workspace, WorkspaceError
from merge import MergeError

from ._config import ClaimConfig
from ._errors import CommitFailed, NotClaimable, NotHolder
from ._latency import SyncEstimator
from ._regions import commit_symbol, region_text
from ._repair import round_of
from ._stats import ClaimStats

__all__ = ["Claim", "ClaimBoard", "ClaimStats", "Commit", "reopened", "round_of"]

Commit = Callable[[Workspace, TodoEntry, str], None]


class Change(Protocol):
    """Work that commits itself: applied to the claimed TODO's region inside the completing transaction."""

    @property
    def code(self) -> str:
        """The implementation as text (the TODO's ``result`` if the region cannot be read back)."""
        ...

    def apply(self, workspace: Workspace, entry: TodoEntry) -> None:
        """Write the change; raise ``MergeError``/``WorkspaceError`` to refuse it."""
        ...
"""Writes ``code`` for a TODO into the document (inside the caller's transaction)."""


@dataclass
class Claim:
    """One claim this agent made, and what happened to it."""

    todo: str
    attempt: int
    started: float
    written: float
    wait: float
    reclaimed_from: str | None = None
    verified_at: float | None = None
    heartbeats: int = 0

    @property
    def verify_at(self) -> float:
        return self.written + self.wait


@dataclass
class _Seen:
    key: tuple[str | None, int, int]
    since: float


@functools.lru_cache(maxsize=65536)  # ranked on every poll: once per (agent, TODO) is enough
def _hash_fraction(*parts: str) -> float:
    digest = hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def reopened(entry: TodoEntry) -> bool:
    """A repair waiting for an agent: pending again after the judge failed its committed code."""
    return entry.status == TodoStatus.PENDING and entry.verdict == "fail"


class ClaimBoard:
    """Claims, heartbeats and completions of one agent over one workspace replica."""

    def __init__(
        self,
        workspace: Workspace,
        config: ClaimConfig | None = None,
        *,
        estimator: SyncEstimator | None = None,
        commit: Commit = commit_symbol,
    ) -> None:
        self.workspace = workspace
        self.agent = workspace.agent_id
        self.config = config or ClaimConfig()
        self.estimator = estimator or SyncEstimator(self.config)
        self.commit = commit
        self.stats = ClaimStats()
        self.pause_until = 0.0
        self._seen: dict[str, _Seen] = {}
        self._cache: dict[str, TodoEntry] = {}
        self._dirty: set[str] | None = None  # TODO ids changed since the last parse; None: parse every entry again
        self._todos_sub = workspace.todos.observe_deep(self._on_todos)

    def close(self) -> None:
        """Stop watching the TODO map (the board is unusable afterwards)."""
        self.workspace.todos.unobserve(self._todos_sub)

    def _on_todos(self, events: Any) -> None:
        # Only the entries that changed are parsed again: a board of hundreds of TODOs
        # changes one entry per claim, heartbeat or commit, and every agent reads it per poll.
        if self._dirty is None:
            return
        for event in events:
            if event.path:
                self._dirty.add(str(event.path[0]))  # a field of one entry
            elif isinstance(getattr(event, "keys", None), dict):
                self._dirty.update(str(key) for key in event.keys)  # entries added, replaced or deleted
            else:
                self._dirty = None
                return

    # -- reading --------------------------------------------------------------

    def entries(self) -> list[TodoEntry]:
        """Every TODO as this replica has it now, in id order (an entry is parsed again only after it changed)."""
        self._refresh()
        return list(self._cache.values())

    def _refresh(self) -> None:
        if self._dirty is None or self._dirty:
            dirty, self._dirty = self._dirty, set()
            try:
                if dirty is None:
                    self._cache = {e.id: e for e in self.workspace.list_todos()}
                else:
                    added = False
                    for todo_id in dirty:
                        if todo_id in self.workspace.todos:
                            added |= todo_id not in self._cache
                            self._cache[todo_id] = self.workspace.todo(todo_id)
                        else:
                            self._cache.pop(todo_id, None)
                    if added:
                        self._cache = dict(sorted(self._cache.items()))
            except WorkspaceError as exc:
                self._dirty = None
                raise NotClaimable(f"the TODO map does not match the schema: {exc}") from exc

    def entry(self, todo_id: str) -> TodoEntry:
        self._refresh()  # no copy of the board per lookup
        try:
            return self._cache[todo_id]
        except KeyError:
            raise NotClaimable(f"no TODO {todo_id!r}") from None

    def lease_of(self, entry: TodoEntry) -> float:
        lease = entry.lease_s
        return lease if lease is not None and lease > 0 else self.config.lease

    def observe(self, now: float) -> None:
        """Note, on this agent's clock, every change of a claim's (assignee, attempt, heartbeat)."""
        claimed: set[str] = set()
        for entry in self.entries():
            if entry.status != TodoStatus.CLAIMED:
                continue
            claimed.add(entry.id)
            key = (entry.assignee, entry.attempt, entry.heartbeat)
            seen = self._seen.get(entry.id)
            if seen is None or seen.key != key:
                self._seen[entry.id] = _Seen(key, now)
        for todo_id in set(self._seen) - claimed:
            del self._seen[todo_id]

    def silent_for(self, entry: TodoEntry, now: float) -> float:
        seen = self._seen.get(entry.id)
        return 0.0 if seen is None else now - seen.since

    def stale(self, entry: TodoEntry, now: float) -> bool:
        """A claim whose heartbeat has not moved for its lease, judged on this clock."""
        seen = self._seen.get(entry.id)
        if entry.status != TodoStatus.CLAIMED or seen is None:
            return False
        # The same expression as next_deadline's, so waking at the deadline finds it stale.
        return now >= seen.since + self.lease_of(entry)

    def ready(self, entry: TodoEntry, status: dict[str, TodoStatus]) -> bool:
        return all(status.get(dep) == TodoStatus.DONE for dep in entry.deps)

    def candidates(self, now: float) -> list[TodoEntry]:
        """Claimable TODOs in this agent's order: reopened ones first, then ready ones, then a per-agent hash.

        A TODO the judge reopened (pending with a ``fail`` verdict) is a repair: every draft of
        the rest may be done before it, so it is the tail of the run if it waits its turn.

        The hash order spreads agents over different TODOs, so most claims
        never collide; the scheduler may pick any of these instead.
        """
        entries = self.entries()
        status = {e.id: e.status for e in entries}
        # Entries out of attempts stay in: claiming one marks it failed for everyone.
        out = [e for e in entries if e.status == TodoStatus.PENDING or self.stale(e, now)]

        def rank(e: TodoEntry) -> tuple[bool, bool, float]:
            unready = self.config.prefer_ready and not self.ready(e, status)
            return (not (self.config.prefer_repairs and reopened(e)), unready, _hash_fraction(self.agent, e.id))

        return sorted(out, key=rank)

    def next_deadline(self, now: float) -> float | None:
        """When this agent should look again without news: a lease running out, or its pause ending."""
        times = [self.pause_until] if self.pause_until > now else []
        for entry in self.entries():
            if entry.status != TodoStatus.CLAIMED or entry.assignee == self.agent:
                continue
            # Another agent's claim is sampled at least every heartbeat interval, so a
            # holder that dies is noticed within lease + one heartbeat even by an
            # observer that is not woken by heartbeat updates.
            times.append(now + self.config.heartbeat_interval)
            seen = self._seen.get(entry.id)
            if seen is not None:
                times.append(seen.since + self.lease_of(entry))
        return min(times, default=None)

    def settled(self) -> bool:
        """Every TODO is done or failed."""
        return all(e.status in (TodoStatus.DONE, TodoStatus.FAILED) for e in self.entries())

    # -- writing --------------------------------------------------------------

    def claim(self, todo_id: str, now: float, *, started: float | None = None) -> Claim:
        """Write this agent's claim on ``todo_id``; verify it at ``claim.verify_at``."""
        ws = self.workspace
        wait = self.estimator.wait(ws)
        with ws.transaction():
            entry = self.entry(todo_id)
            stale = self.stale(entry, now)
            if not (entry.status == TodoStatus.PENDING or stale):
                raise NotClaimable(f"TODO {todo_id!r} is {entry.status.value} by {entry.assignee!r}")
            if entry.attempt >= self.config.max_attempts:
                ws.update_todo(todo_id, status=TodoStatus.FAILED)
                ws.log("give_up", todo_id, attempts=entry.attempt, at=now)
                self.stats.failed += 1
                raise NotClaimable(f"TODO {todo_id!r} failed after {entry.attempt} claims")
            reclaimed = entry.assignee if stale else None
            if stale:
                ws.log("expire", todo_id, holder=entry.assignee, attempt=entry.attempt, silent_s=self.silent_for(entry, now), at=now)
                self.stats.expiries += 1
            attempt = entry.attempt + 1
            ws.update_todo(
                todo_id,
                status=TodoStatus.CLAIMED,
                assignee=self.agent,
                attempt=attempt,
                heartbeat=0,
                # No heartbeat comes during the verify wait: the declared lease covers it.
                lease_s=max(self.config.lease, 2 * (wait + self.config.heartbeat_interval)),
            )
            ws.log("reclaim" if stale else "claim", todo_id, attempt=attempt, wait_s=wait, previous=reclaimed, at=now)
        self.stats.reclaims += bool(stale)
        self.stats.claims += 1
        self.stats.waits.append(wait)
        return Claim(todo_id, attempt, now if started is None else started, now, wait, reclaimed)

    def holds(self, claim: Claim) -> bool:
        entry = self.entry(claim.todo)
        return (
            entry.status == TodoStatus.CLAIMED and entry.assignee == self.agent and entry.attempt == claim.attempt
        )

    def verify(self, claim: Claim, now: float) -> bool:
        """Re-read the entry after the wait: True if this agent won."""
        entry = self.entry(claim.todo)
        if self.holds(claim):
            claim.verified_at = now
            latency = now - claim.started
            self.stats.wins += 1
            self.stats.latencies.append(latency)
            self.workspace.log("verify", claim.todo, attempt=claim.attempt, wait_s=claim.wait, latency_s=latency, at=now)
            return True
        hashed = 0.5 + _hash_fraction(self.agent, claim.todo, str(claim.attempt))
        self.pause_until = max(self.pause_until, now + self.config.backoff * hashed)
        self.stats.losses += 1
        self.workspace.log(
            "loss",
            claim.todo,
            attempt=claim.attempt,
            winner=entry.assignee,
            status=entry.status.value,
            wait_s=claim.wait,
            at=now,
        )
        return False

    def heartbeat(self, claim: Claim, now: float) -> bool:
        """Bump the lease; False (and a ``preempted`` event) if the claim was lost meanwhile."""
        with self.workspace.transaction():
            if not self.holds(claim):
                self._preempted(claim, now)
                return False
            entry = self.entry(claim.todo)
            self.workspace.update_todo(claim.todo, heartbeat=entry.heartbeat + 1)
        claim.heartbeats += 1
        return True

    def _preempted(self, claim: Claim, now: float) -> None:
        entry = self.entry(claim.todo)
        self.stats.preempted += 1
        self.workspace.log(
            "preempted",
            claim.todo,
            attempt=claim.attempt,
            by=entry.done_by if entry.status == TodoStatus.DONE else entry.assignee,
            status=entry.status.value,
            double=claim.verified_at is not None,
            at=now,
        )

    def complete(self, claim: Claim, code: str | Change, now: float) -> TodoEntry:
        """Commit ``code`` (text spliced by ``commit``, or a :class:`Change` applying itself) and mark the TODO done, in one transaction.

        Returns the entry as it was before the commit.

        Raises :class:`NotHolder` (after logging ``preempted``) if the claim
        was lost before the commit, so the loser's code never lands.
        """
        ws = self.workspace
        with ws.transaction():
            if not self.holds(claim):
                self._preempted(claim, now)
                raise NotHolder(f"{self.agent} lost TODO {claim.todo!r} before committing")
            entry = self.entry(claim.todo)
            try:
                if isinstance(code, str):
                    self.commit(ws, entry, code)
                else:
                    code.apply(ws, entry)
            except (MergeError, WorkspaceError) as exc:
                raise CommitFailed(f"{self.agent} could not commit {claim.todo!r}: {exc}") from exc
            result = region_text(ws.read(entry.file), entry.symbol) or (code if isinstance(code, str) else code.code)
            ws.update_todo(claim.todo, status=TodoStatus.DONE, result=result, done_by=self.agent)
            ws.log(
                "complete",
                claim.todo,
                attempt=claim.attempt,
                round=round_of(entry),
                held_s=now - (claim.verified_at or now),
                at=now,
            )
        self.stats.completions += 1
        return entry

    def fail(self, claim: Claim, reason: str, now: float) -> None:
        """Give a held TODO back as pending (the work failed); the next claim counts as a new attempt."""
        with self.workspace.transaction():
            if self.holds(claim):
                self.workspace.update_todo(claim.todo, status=TodoStatus.PENDING, assignee=None)
                self.workspace.log("release", claim.todo, attempt=claim.attempt, reason=reason, at=now)
