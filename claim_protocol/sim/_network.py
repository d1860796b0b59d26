"""A deterministic network of real pycrdt replicas in virtual time.

Topology of the real deployment: every agent replica talks to one relay
replica (the hub), which forwards each update to the other agents and never
back.  Each agent's link has a base one-way delay plus seeded jitter (so
messages reorder unless the link is FIFO), may duplicate messages, and can be
partitioned; a partitioned link drops everything and, when it heals, the two
sides resync from state vectors, as a websocket reconnect does.  Crashed
agents stop; what they already sent still arrives.

Only time is simulated: the documents, updates and merges are pycrdt's own.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, TransactionEvent
from pydantic import BaseModel, Field

from crdt_ws._compat import RemoteOrigin, UpdateInbox, origin_key

__all__ = ["LinkConfig", "Network", "Node"]


class LinkConfig(BaseModel):
    """One agent's link to the hub (both directions)."""

    delay: float = Field(default=0.002, ge=0, description="Base one-way delay in seconds.")
    jitter: float = Field(default=0.0, ge=0, description="Extra one-way delay drawn uniformly from [0, jitter].")
    duplicate: float = Field(default=0.0, ge=0, le=1, description="Probability that a message is delivered twice.")
    fifo: bool = Field(default=False, description="Keep per-direction order (as TCP does); jitter then only delays.")
    resequence: bool = Field(
        default=True,
        description="Apply messages in send order at the receiver (a reliable transport's job). Off, reordered "
        "updates reach pycrdt raw: replicas still converge (UpdateInbox), but a transaction can show up partially.",
    )

    @property
    def max_one_way(self) -> float:
        return self.delay + self.jitter


@dataclass
class _Direction:
    last_due: float = 0.0
    sent: int = 0  # sequence numbers handed out
    expected: int = 0  # next sequence number the receiver applies
    early: dict[int, Callable[[], None]] = field(default_factory=dict)

    def reset(self) -> None:
        """After a resync nothing earlier is awaited: the sync carried it."""
        self.expected = self.sent
        self.early.clear()


@dataclass
class Node:
    """An agent's replica as the network sees it."""

    name: str
    doc: Doc
    link: LinkConfig
    alive: bool = True
    partitioned: bool = False
    up: _Direction = field(default_factory=_Direction)
    down: _Direction = field(default_factory=_Direction)
    on_receive: Callable[[], None] | None = None
    sub: Any = None
    inbox: UpdateInbox = field(init=False)

    def __post_init__(self) -> None:
        self.inbox = UpdateInbox(self.doc)


class Network:
    """Virtual clock, event queue, hub replica and agent links."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = 0.0
        self.hub = Doc(client_id=self.rng.randrange(1, 2**52))
        self._hub_inbox = UpdateInbox(self.hub)
        self.nodes: dict[str, Node] = {}
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0
        self._hub_origin = RemoteOrigin("sim-hub")
        self._agent_origin = RemoteOrigin("sim-link")
        self.delivered = 0
        self.dropped = 0
        self.duplicated = 0
        self.max_path_delay = 0.0  # agent -> hub -> agent, for delivered updates
        # Per sender, each local update in order: (sent at, first arrival per receiver).
        self.sent: dict[str, list[tuple[float, dict[str, float]]]] = {}

    # -- scheduling -------------------------------------------------------------

    def at(self, time: float, action: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (max(time, self.now), self._seq, action))

    def run(self, until: float, stop: Callable[[], bool] = lambda: False) -> None:
        """Process events in time order until none remain, ``until`` passes, or ``stop()``."""
        while self._queue and not stop():
            time, _, action = heapq.heappop(self._queue)
            if time > until:
                heapq.heappush(self._queue, (time, 0, action))
                return
            self.now = time
            action()

    def pending(self) -> int:
        return len(self._queue)

    # -- topology ---------------------------------------------------------------

    def add(self, name: str, doc: Doc, link: LinkConfig) -> Node:
        node = Node(name, doc, link)
        self.nodes[name] = node
        self._sync(node)  # joins like a connect: sync step 1/2 both ways, instantly
        node.sub = doc.observe(lambda event, node=node: self._on_local(node, event))
        return node

    def crash(self, name: str) -> None:
        node = self.nodes[name]
        node.alive = False
        node.doc.unobserve(node.sub)

    def partition(self, name: str) -> None:
        self.nodes[name].partitioned = True

    def heal(self, name: str) -> None:
        node = self.nodes[name]
        if not node.partitioned:
            return
        node.partitioned = False
        node.up.reset()
        node.down.reset()
        if node.alive:  # reconnect: exchange what each side misses, over the link
            to_hub = node.doc.get_update(self.hub.get_state())
            self._send_up(node, to_hub, self.now)
            self._send_down(node, self.hub.get_update(node.doc.get_state()), self.now)

    def _sync(self, node: Node) -> None:
        self._apply_hub(node.doc.get_update(self.hub.get_state()))
        self._apply_agent(node, self.hub.get_update(node.doc.get_state()))

    # -- messages ---------------------------------------------------------------

    def _sample(self, link: LinkConfig, direction: _Direction) -> float:
        due = self.now + link.delay + (self.rng.uniform(0, link.jitter) if link.jitter else 0.0)
        if link.fifo:
            due = max(due, direction.last_due)
            direction.last_due = due
        return due

    def _on_local(self, node: Node, event: TransactionEvent) -> None:
        if origin_key(event) == hash(self._agent_origin):
            return  # an update this link applied: never echo it
        if node.alive:
            log = self.sent.setdefault(node.name, [])
            log.append((self.now, {}))
            self._send_up(node, event.update, self.now, log[-1][1])

    def _send_up(self, node: Node, update: bytes, sent: float, arrivals: dict[str, float] | None = None) -> None:
        self._transmit(node, node.up, lambda: self._arrive_hub(node, update, sent, arrivals))

    def _send_down(self, node: Node, update: bytes, sent: float, arrivals: dict[str, float] | None = None) -> None:
        self._transmit(node, node.down, lambda: self._arrive_agent(node, update, sent, arrivals))

    def _transmit(self, node: Node, direction: _Direction, arrive: Callable[[], None]) -> None:
        """One message over one direction of a link: dropped, delayed, maybe duplicated, then resequenced."""
        if node.partitioned:
            self.dropped += 1
            return
        seq = direction.sent
        direction.sent += 1
        copies = 2 if self.rng.random() < node.link.duplicate else 1
        self.duplicated += copies - 1
        for _ in range(copies):
            self.at(self._sample(node.link, direction), lambda: self._in_order(node, direction, seq, arrive))

    def _in_order(self, node: Node, direction: _Direction, seq: int, deliver: Callable[[], None]) -> None:
        if not node.link.resequence or seq < direction.expected:
            deliver()  # raw reordering, or a duplicate / pre-resync straggler: harmless to re-apply
            return
        direction.early[seq] = deliver
        while direction.expected in direction.early:
            direction.early.pop(direction.expected)()
            direction.expected += 1

    def _arrive_hub(self, node: Node, update: bytes, sent: float, arrivals: dict[str, float] | None) -> None:
        if node.partitioned:
            self.dropped += 1
            return
        before = self.hub.get_state()
        self._apply_hub(update)
        if update in self._hub_inbox.held:
            return  # a gap: it goes out with whatever fills the gap
        # Forward what the hub newly integrated, not the raw message: that carries
        # earlier held updates too, which a peer cut off meanwhile would never get.
        fresh = self.hub.get_update(before)
        for other in self.nodes.values():
            if other is not node and other.alive:
                self._send_down(other, fresh, sent, arrivals)

    def _arrive_agent(self, node: Node, update: bytes, sent: float, arrivals: dict[str, float] | None) -> None:
        if node.partitioned or not node.alive:
            self.dropped += 1
            return
        self.max_path_delay = max(self.max_path_delay, self.now - sent)
        if arrivals is not None:
            arrivals.setdefault(node.name, self.now)
        self._apply_agent(node, update)
        if node.on_receive is not None:
            node.on_receive()

    # Reordered delivery needs an inbox: see crdt_ws._compat.UpdateInbox.
    def _apply_hub(self, update: bytes) -> None:
        self._hub_inbox.apply(update, self._hub_origin)

    def _apply_agent(self, node: Node, update: bytes) -> None:
        self.delivered += 1
        node.inbox.apply(update, self._agent_origin)

    def effective_arrival(self, sender: str, sent_at: float, receiver: str) -> float:
        """When ``receiver`` could first integrate ``sender``'s last update sent at ``sent_at``.

        An update is usable only once the sender's earlier updates are in
        too, so this is the latest first arrival among them (inf if lost).
        """
        latest = 0.0
        for time, arrivals in self.sent.get(sender, []):
            if time > sent_at:
                break
            latest = max(latest, arrivals.get(receiver, float("inf")))
        return latest

    # -- round trips --------------------------------------------------------------

    def probe(self, name: str, done: Callable[[float], None]) -> None:
        """A sync round trip agent → hub → agent over the real link model; ``done(rtt)`` unless dropped."""
        node = self.nodes[name]
        start = self.now
        if node.partitioned:
            return

        def arrive() -> None:
            if node.alive and not node.partitioned:
                done(self.now - start)

        def back() -> None:
            if node.alive and not node.partitioned:
                self.at(self._sample(node.link, node.down), arrive)

        self.at(self._sample(node.link, node.up), back)
