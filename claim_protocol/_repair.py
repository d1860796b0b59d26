"""Double-claim repair: one copy of a symbol after two agents both completed it (sans-IO).

Under partitions two agents can both verify a claim and both commit.  The
completion that lands last in the map wins (``done_by``); the buffer may hold
both implementations.  This component, one per agent, gets the buffer back to
the winner's result:

- an agent whose own completion lost flags it (``doubles[<me>] = winner``,
  the document key ``double.<me>``) and logs ``double_claim``;
- the winner repairs whenever its region is not exactly its result, on a loser's
  flag or on a ``complete`` event of someone else for the same round (the loser
  may have died before flagging);
- if the winner has not repaired within a lease (it may be dead too), the
  loser repairs with the winner's result and records ``repaired[<me>]``;
- an agent preempted after it verified (its claim was overtaken by a
  completion in flight) repairs at once if the region is not clean: it may
  have streamed into the region the winner's commit kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crdt_ws import TodoEntry, TodoStatus, Workspace, WorkspaceError
from merge import MergeError

from ._regions import region_clean, repair_symbol
from ._stats import ClaimStats

__all__ = ["DoubleClaims", "round_of"]


class DoubleClaims:
    """Detects this agent's lost completions and repairs the buffer (see the module docstring)."""

    def __init__(
        self, workspace: Workspace, stats: ClaimStats, entry: Callable[[str], TodoEntry], lease_of: Callable[[TodoEntry], float]
    ) -> None:
        self.workspace = workspace
        self.agent = workspace.agent_id
        self.stats = stats  # double_claims and repairs are counted here
        self._entry = entry
        self._lease_of = lease_of
        # todo -> (attempts, round) in which this agent committed it; a judge that
        # reopens a TODO for repair bumps its round, which is not a double claim.  An agent
        # can complete one round twice (its first completion went unseen during a partition,
        # someone reclaimed it, it reclaimed it back): every attempt lost to the winner.
        self._completed: dict[str, tuple[list[int], int]] = {}
        self._lost: dict[str, float] = {}  # todo -> when this agent saw its completion lose
        self._repaired: set[str] = set()  # TODOs this agent repaired as a loser
        self._checked: dict[str, str] = {}  # todo -> buffer as last checked by its winner
        # TODOs someone else also completed, seen in the events log: the loser may
        # have died before flagging the double claim, so the winner must notice.
        self._foreign: set[tuple[str, int]] = set()  # (todo, round)
        self._events_sub = workspace.events.observe(self._on_events)

    def close(self) -> None:
        self.workspace.events.unobserve(self._events_sub)

    def _on_events(self, event: Any) -> None:
        for op in event.delta:
            for value in op.get("insert", []) if isinstance(op, dict) else []:
                if isinstance(value, dict) and value.get("type") == "complete" and value.get("agent") != self.agent:
                    todo, data = value.get("todo"), value.get("data")
                    round_ = data.get("round", 0) if isinstance(data, dict) else 0
                    if isinstance(todo, str) and isinstance(round_, (int, float)):
                        self._foreign.add((todo, int(round_)))

    def completed(self, entry: TodoEntry, attempt: int) -> None:
        """This agent committed ``entry`` (as it was before the commit) on ``attempt``."""
        round_ = round_of(entry)
        known = self._completed.get(entry.id)
        attempts = known[0] if known is not None and known[1] == round_ else []
        self._completed[entry.id] = ([*attempts, attempt], round_)

    def check(self, now: float) -> None:
        """Flag lost completions, repair the regions this agent won or must take over."""
        for todo_id, (attempts, round_) in list(self._completed.items()):
            entry = self._entry(todo_id)
            if round_of(entry) != round_:
                del self._completed[todo_id]  # reopened for repair: a later round, not a rival
                continue
            if entry.status != TodoStatus.DONE:
                continue
            winner = entry.done_by
            if winner != self.agent:
                if todo_id not in self._lost:
                    self._lost[todo_id] = now
                    self.stats.double_claims += 1
                    with self.workspace.transaction():
                        self.workspace.update_todo(todo_id, doubles={self.agent: winner})
                        more = {"attempts": attempts} if len(attempts) > 1 else {}
                        self.workspace.log("double_claim", todo_id, winner=winner, attempt=attempts[-1], at=now, **more)
                elif now >= self._due(entry) and self._still_to_repair(entry):
                    self._repaired.add(todo_id)
                    self.repair(entry, [self.agent], now)
                continue
            losers = sorted(entry.doubles)
            if losers or (todo_id, round_) in self._foreign:
                # Content-based and repeatable: a loser's commit can become visible
                # after its flag (yrs integrates out-of-order updates partially).
                source = self.workspace.read(entry.file)
                if self._checked.get(todo_id) != source:
                    self._checked[todo_id] = source
                    if not region_clean(source, entry):
                        self.repair(entry, losers, now)

    def deadline(self) -> float | None:
        """When a loser should take over a repair its winner has not made."""
        due = []
        for todo_id in self._lost:
            entry = self._entry(todo_id)
            if entry.status == TodoStatus.DONE and entry.done_by != self.agent and self._still_to_repair(entry):
                due.append(self._due(entry))
        return min(due, default=None)

    def preempted(self, entry: TodoEntry, verified: bool, now: float) -> None:
        """This agent lost ``entry`` while holding it; after a verified claim, clean up behind itself."""
        if not verified or entry.status != TodoStatus.DONE or entry.result is None:
            return
        # Lost to a completion that was in flight while this agent held the claim (a
        # partition, a relay restart): this agent may have reset the region to its stub
        # and streamed into it, deleting text the winner's commit kept.  Nobody else
        # knows: put the winner's result back (found by bench.faults, kind relay).
        try:
            clean = region_clean(self.workspace.read(entry.file), entry)
        except WorkspaceError:
            clean = False
        if not clean:
            self.repair(entry, [self.agent], now)

    def repair(self, entry: TodoEntry, losers: list[str], now: float) -> None:
        with self.workspace.transaction():
            try:
                changed = repair_symbol(self.workspace, entry)
            except MergeError as exc:  # a repair that cannot merge must not take the agent down
                self.workspace.log("repair_failed", entry.id, losers=losers, error=str(exc), at=now)
                return
            self.workspace.update_todo(entry.id, repaired={loser: self.agent for loser in losers})
            self.workspace.log("repair", entry.id, losers=losers, changed=changed, at=now)
        self.stats.repairs += 1

    def _still_to_repair(self, entry: TodoEntry) -> bool:
        return entry.id not in self._repaired and self.agent not in entry.repaired

    def _due(self, entry: TodoEntry) -> float:
        return self._lost[entry.id] + self._lease_of(entry)


def round_of(entry: TodoEntry) -> int:
    """The entry's reopen round: a judge reopening a done TODO bumps ``repairs`` (or ``redrafts``)."""
    extra = entry.model_extra or {}
    return sum(int(v) for v in (extra.get("repairs"), extra.get("redrafts")) if isinstance(v, (int, float)))
