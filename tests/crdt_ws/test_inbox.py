"""UpdateInbox: out-of-order updates from one writer still all land (yrs alone can lose one)."""

from __future__ import annotations

import itertools

from pycrdt import Array, Doc, Map

from crdt_ws._compat import UpdateInbox


def _updates() -> tuple[Doc, list[bytes]]:
    doc, updates = Doc(client_id=1), []
    doc.observe(lambda event: updates.append(event.update))
    todos, log = doc.get("todos", type=Map), doc.get("events", type=Array)
    with doc.transaction():
        todos["t0"] = Map({"status": "pending"})
    with doc.transaction():
        todos["t0"]["status"] = "claimed"
    with doc.transaction():
        log.append({"type": "claim"})
    with doc.transaction():
        todos["t0"]["status"] = "done"
    return doc, updates


def test_every_delivery_order_converges() -> None:
    source, updates = _updates()
    for order in itertools.permutations(range(len(updates))):
        replica = Doc(client_id=2)
        inbox = UpdateInbox(replica)
        for i in order:
            inbox.apply(updates[i], origin="net")
        assert replica.get_state() == source.get_state(), order
        assert replica.get("todos", type=Map).to_py() == {"t0": {"status": "done"}}
        assert inbox.held == []
