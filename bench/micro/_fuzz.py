"""Engine of the randomized convergence fuzz (see ``bench.micro.convergence_fuzz``).

One trial = 2–5 real ``crdt_ws.Workspace`` replicas (each its own pycrdt
``Doc``) doing random concurrent work, with every local transaction's update
sent as real Yjs message bytes (``create_update_message``) over a simulated
network that delays, reorders, duplicates and partitions.  A partition drops
the messages that cross it; healing it runs the real Yjs sync handshake
(step 1 -> step 2, ``handle_sync_message``) between the two sides, which is
how the websocket transport recovers after a reconnect.  Received updates go
through ``crdt_ws._compat.UpdateInbox`` (the receive path for reordered
delivery); ``apply="raw"`` hands them to ``Doc.apply_update`` directly instead.

A trial is first *generated* from its seed into a list of concrete actions and
executed at the same time; the same list can be *replayed*, which is what
shrinking a divergence to a minimal reproduction needs.  The operations themselves
are in :mod:`bench.micro._fuzz_ops`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pycrdt import (
    Doc,
    TransactionEvent,
    YMessageType,
    YSyncMessageType,
    create_sync_message,
    create_update_message,
    handle_sync_message,
    read_message,
)

from claim_protocol import ClaimBoard
from crdt_ws import Workspace
from crdt_ws._compat import RemoteOrigin, UpdateInbox, origin_key

from ._fuzz_ops import OPS, random_op

__all__ = ["Action", "Counts", "Outcome", "Apply", "run_trial", "replay", "shrink", "describe"]

Apply = Literal["inbox", "raw"]

Action = tuple[Any, ...]
"""One concrete step: ``("op", replica, kind, *args)``, ``("deliver", msg_id, keep)``, ``("partition", group)``, ``("heal",)``."""


@dataclass
class Counts:
    """What happened in one or many trials."""

    trials: int = 0
    operations: int = 0
    sent: int = 0
    delivered: int = 0
    duplicated: int = 0
    reordered: int = 0
    dropped: int = 0
    partitions: int = 0
    syncs: int = 0
    divergences: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Outcome:
    """A trial's result: the counts, and what differed (empty when the replicas converged)."""

    replicas: int
    counts: Counts
    actions: list[Action]
    differences: list[str] = field(default_factory=list)

    @property
    def diverged(self) -> bool:
        return bool(self.differences)


@dataclass
class _Message:
    id: tuple[int, int]  # (action index that sent it, sequence within that action): stable under shrinking
    src: int
    dst: int
    seq: int  # per (src, dst) link, to tell reordering
    data: bytes
    ready_at: int  # first tick it may be delivered (the delay)
    delivered: bool = False


class _Net:
    """The replicas and the messages between them."""

    def __init__(self, n: int, client_ids: list[int], apply: Apply) -> None:
        self.n = n
        self.apply_mode = apply
        self.origin = RemoteOrigin("fuzz-net")
        self._origin_key = hash(self.origin)
        self.workspaces = [Workspace(f"agent-{i}", Doc(client_id=client_ids[i])) for i in range(n)]
        self.inboxes = [UpdateInbox(ws.doc) for ws in self.workspaces]
        self.boards = [ClaimBoard(ws) for ws in self.workspaces]
        self.flight: list[_Message] = []
        self.seq: dict[tuple[int, int], int] = {}
        self.group: frozenset[int] | None = None  # one side of the current partition
        self.counts = Counts(trials=1)
        self.events_appended = 0
        self.tick = 0
        self.action = 0
        self._sub_seq = 0
        self._sent_by = -1
        self.delay: Callable[[], int] = lambda: 0
        self._subs = [ws.doc.observe(lambda event, i=i: self._on_update(i, event)) for i, ws in enumerate(self.workspaces)]

    def close(self) -> None:
        # Subscriptions live on the Rust side: drop them, or every trial's documents stay alive.
        for board in self.boards:
            board.close()
        for ws, sub in zip(self.workspaces, self._subs):
            ws.doc.unobserve(sub)

    # -- sending -------------------------------------------------------------

    def _on_update(self, src: int, event: TransactionEvent) -> None:
        if origin_key(event) == self._origin_key:
            return  # applied from the network: never sent on (no echo)
        message = create_update_message(event.update)
        for dst in range(self.n):
            if dst != src:
                self.send(src, dst, message)

    def cut(self, a: int, b: int) -> bool:
        return self.group is not None and ((a in self.group) != (b in self.group))

    def send(self, src: int, dst: int, data: bytes) -> None:
        self.counts.sent += 1
        if self.cut(src, dst):
            self.counts.dropped += 1
            return
        seq = self.seq.get((src, dst), 0)
        self.seq[(src, dst)] = seq + 1
        if self._sent_by != self.action:
            self._sent_by, self._sub_seq = self.action, 0
        self._sub_seq += 1
        self.flight.append(_Message((self.action, self._sub_seq), src, dst, seq, data, self.tick + self.delay()))

    # -- receiving -----------------------------------------------------------

    def deliverable(self) -> list[_Message]:
        return [m for m in self.flight if m.ready_at <= self.tick]

    def deliver(self, message: _Message, keep: bool) -> None:
        if message.delivered:
            self.counts.duplicated += 1
        elif any(m.src == message.src and m.dst == message.dst and m.seq < message.seq and not m.delivered for m in self.flight):
            self.counts.reordered += 1
        self.counts.delivered += 1
        message.delivered = True
        if not keep:
            self.flight.remove(message)
        self._receive(message.src, message.dst, message.data)

    def _receive(self, src: int, dst: int, data: bytes) -> None:
        assert data[0] == YMessageType.SYNC
        doc = self.workspaces[dst].doc
        if data[1] == YSyncMessageType.SYNC_STEP1:
            reply = handle_sync_message(data[1:], doc)
            if reply is not None:
                self.send(dst, src, reply)
            return
        update = read_message(data[2:])
        if self.apply_mode == "inbox":
            self.inboxes[dst].apply(update, self.origin)
        else:
            with doc.transaction(origin=self.origin):
                doc.apply_update(update)

    def partition(self, group: frozenset[int]) -> None:
        self.group = group
        self.counts.partitions += 1
        for m in [m for m in self.flight if self.cut(m.src, m.dst)]:
            self.flight.remove(m)  # the link broke: what was in flight is gone
            self.counts.dropped += 1

    def heal(self) -> None:
        """Reconnect, then resync across the old cut with the Yjs handshake (both directions)."""
        group, self.group = self.group, None
        if group is None:
            return
        for a in range(self.n):
            for b in range(self.n):
                if a != b and (a in group) != (b in group):
                    self.counts.syncs += 1
                    self.send(a, b, create_sync_message(self.workspaces[a].doc))

    # -- operations ------------------------------------------------------------

    def op(self, i: int, kind: str, *args: Any) -> bool:
        """Run one operation on replica ``i``; False when it does not apply to the replica's state now."""
        ws = self.workspaces[i]
        before = len(ws.events)
        done = OPS[kind](self, ws, i, *args)
        self.events_appended += len(ws.events) - before
        if done:
            self.counts.operations += 1
        return done


def _execute(net: _Net, action: Action) -> None:
    kind = action[0]
    if kind == "op":
        net.op(action[1], action[2], *action[3:])
    elif kind == "deliver":
        message = next((m for m in net.flight if m.id == action[1]), None)
        if message is not None:  # gone when a shrunk trace dropped its sender or a partition dropped it
            net.deliver(message, action[2])
    elif kind == "partition":
        net.partition(frozenset(action[1]))
    elif kind == "heal":
        net.heal()
    elif kind == "tick":
        net.tick += 1


def _new_net(rng: random.Random, apply: Apply) -> _Net:
    n = rng.randint(2, 5)
    client_ids = rng.sample(range(1, 2**31), n)
    net = _Net(n, client_ids, apply)
    return net


def run_trial(seed: int, trial: int, apply: Apply = "inbox") -> Outcome:
    """Generate and run trial ``trial`` of ``seed``; the outcome keeps the concrete actions."""
    rng = random.Random(f"{seed}:{trial}")
    state = rng.getstate()
    net = _new_net(rng, apply)
    max_delay = rng.choice((0, 1, 3, 8))
    dup_p, partition_p = rng.choice((0.0, 0.05, 0.2)), rng.choice((0.0, 0.02, 0.06))
    net.delay = lambda: rng.randint(0, max_delay)
    actions: list[Action] = []

    def do(action: Action) -> None:
        net.action = len(actions)
        actions.append(action)
        _execute(net, action)

    for _ in range(rng.randint(5, 60)):
        do(("tick",))
        roll = rng.random()
        if net.group is None and roll < partition_p:
            do(("partition", sorted(rng.sample(range(net.n), rng.randint(1, net.n - 1)))))
        elif net.group is not None and roll < 0.25:
            do(("heal",))
        for _ in range(rng.randint(0, 3)):
            do(random_op(rng, net.n))
        ready = net.deliverable()
        for m in rng.sample(ready, rng.randint(0, len(ready))):
            do(("deliver", m.id, rng.random() < dup_p))
    do(("heal",))
    while net.flight:  # drain: everything still in flight arrives, in random order, some twice
        do(("tick",))
        ready = net.deliverable()
        for m in rng.sample(ready, len(ready)):
            do(("deliver", m.id, rng.random() < dup_p / 2))
    outcome = _finish(net, actions)
    outcome.actions.insert(0, ("setup", state, apply))
    return outcome


def replay(actions: list[Action]) -> Outcome:
    """Run a trace made by :func:`run_trial` (or a shrunk part of it) again."""
    _, state, apply = actions[0]
    rng = random.Random()
    rng.setstate(state)
    net = _new_net(rng, apply)
    for index, action in enumerate(actions[1:]):
        if action and isinstance(action[-1], tuple) and action[-1][:1] == ("@",):
            net.action, action = action[-1][1], action[:-1]
        else:
            net.action = index
        _execute(net, action)
    # A shrunk trace may leave messages in flight: deliver them in order so the check is about the actions kept.
    net.heal()
    while net.flight:
        net.deliver(net.flight[0], False)
    outcome = _finish(net, actions[1:])
    outcome.actions.insert(0, actions[0])
    return outcome



def _finish(net: _Net, actions: list[Action]) -> Outcome:
    differences = _compare(net)
    net.counts.divergences = int(bool(differences))
    net.close()
    return Outcome(net.n, net.counts, list(actions), differences)


def _state(ws: Workspace) -> dict[str, Any]:
    snap = ws.snapshot()
    return {**snap, "state_vector": sorted(ws.state_vector().items())}


def _compare(net: _Net) -> list[str]:
    out: list[str] = []
    states = [_state(ws) for ws in net.workspaces]
    for key in ("files", "todos", "events", "meta", "state_vector"):
        blobs = [json.dumps(s[key], sort_keys=True, default=str) for s in states]
        if len(set(blobs)) > 1:
            out.append(f"{key} differ: " + " | ".join(f"r{i}={b[:200]}" for i, b in enumerate(blobs)))
    for i, inbox in enumerate(net.inboxes):
        if inbox.held:
            out.append(f"replica {i} still holds {len(inbox.held)} update(s) it could not apply")
    for i, ws in enumerate(net.workspaces):
        if len(ws.events) != net.events_appended:
            out.append(f"replica {i} has {len(ws.events)} events, {net.events_appended} were appended")
    return out


def shrink(outcome: Outcome, budget: int = 400) -> Outcome:
    """Delta-debug a diverging trace to a small one that still diverges (at most ``budget`` replays)."""
    setup, body = outcome.actions[0], [(*a, ("@", i)) for i, a in enumerate(outcome.actions[1:])]
    best = outcome
    chunk = max(1, len(body) // 2)
    tries = 0
    while chunk >= 1 and tries < budget:
        i, shrunk = 0, False
        while i < len(body) and tries < budget:
            candidate = body[:i] + body[i + chunk :]
            tries += 1
            result = replay([setup, *candidate])
            if result.diverged:
                body, best, shrunk = candidate, result, True
            else:
                i += chunk
        if not shrunk:
            chunk //= 2
    return best


def describe(outcome: Outcome) -> str:
    """A trace as readable lines (the reproduction printed on a divergence)."""
    lines = [f"replicas: {outcome.replicas}"]
    for action in outcome.actions[1:]:
        shown = action[:-1] if action and isinstance(action[-1], tuple) and action[-1][:1] == ("@",) else action
        if shown != ("tick",):
            lines.append("  " + repr(shown))
    lines.extend(f"  => {d}" for d in outcome.differences)
    return "\n".join(lines)
