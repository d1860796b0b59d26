"""Claims across a relay outage: two defects found by the relay-kill fault, and their fixes.

Before the fix, a claimer whose sync round trip failed went on and verified
its claim against its own replica alone, so during a relay outage every
implementer "won" every remaining TODO; on reconnect each region held two
implementations run together and the module no longer parsed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import anyio
import anyio.abc
import pytest

from pycrdt import Doc

from agents.roles._stream import reset_to_stub
from claim_protocol import ClaimBoard, Claimer, ClaimConfig, ClaimLoop
from crdt_ws import Relay, RelayConfig, TodoEntry, WebsocketConfig, WebsocketTransport, Workspace, parse_python


async def _serve(config: RelayConfig, stop: anyio.Event, *, task_status: anyio.abc.TaskStatus[Relay] = anyio.TASK_STATUS_IGNORED) -> None:
    async with Relay(config) as relay:
        task_status.started(relay)
        await stop.wait()


@pytest.mark.anyio
async def test_no_claims_while_the_relay_is_down_and_one_owner_after(tmp_path: Path) -> None:
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        relay = await tg.start(_serve, RelayConfig(port=0, store_dir=tmp_path), stop)
        port = relay.port
        link = WebsocketConfig(url=relay.url, room="jobs", backoff_initial=0.05, backoff_max=0.1)
        a, b = Workspace("a"), Workspace("b")
        async with WebsocketTransport(link).connect(a) as ca, WebsocketTransport(link).connect(b) as cb:
            a.create_file("jobs.py", "class Jobs:\n    def job(self):\n        pass\n")
            a.add_todo(TodoEntry(id="t", file="jobs.py", symbol="Jobs.job"))
            with anyio.fail_after(10):
                while b.content_hash() != a.content_hash():
                    await anyio.sleep(0.01)
            stop.set()
            with anyio.fail_after(10):
                while ca.connected or cb.connected:
                    await anyio.sleep(0.01)

            async def work(entry: TodoEntry) -> str:
                return "    def job(self):\n        return 1\n"

            config = ClaimConfig(lease=0.5, heartbeat_interval=0.1)
            async with anyio.create_task_group() as agents:
                for ws, conn in ((a, ca), (b, cb)):
                    agents.start_soon(Claimer(ws, config, connection=conn).run, work)
                await anyio.sleep(1.0)  # twice the lease, cut off
                for ws in (a, b):
                    assert [e.type for e in ws.read_events() if e.todo == "t"] == [], "nobody claims while cut off"
                stop = anyio.Event()
                await tg.start(_serve, RelayConfig(port=port, store_dir=tmp_path), stop)
            with anyio.fail_after(10):
                while b.content_hash() != a.content_hash():
                    await anyio.sleep(0.01)
            stop.set()
    events = a.read_events()
    assert sum(e.type == "complete" for e in events) == 1
    assert sum(e.type == "verify" for e in events) == 1
    tree = parse_python(a.read("jobs.py"))
    assert [n.name for c in tree.body if isinstance(c, ast.ClassDef) for n in c.body if isinstance(n, ast.FunctionDef)] == ["job"]


def test_a_reclaimer_that_loses_to_an_in_flight_completion_puts_the_winners_code_back() -> None:
    """The relay-restart fault: holder and reclaimer both touch the region while partitioned.

    The holder streamed part of its reply (that reached everyone), then
    completed while cut off; a reclaimer, not hearing its heartbeats, reclaimed,
    put the region back to its stub (deleting the streamed text the holder's
    commit kept) and streamed its own start.  When the partition heals the
    holder's completion wins the status, so the reclaimer is preempted, and
    it must repair the region to the winner's result: nobody else knows.
    """
    outline = 'class A:\n    def f(self):\n        """Doc."""\n        pass\n'
    # Client ids fix which concurrent write of `status` wins: the holder's completion.
    holder, reclaimer = Workspace("holder", Doc(client_id=2)), Workspace("reclaimer", Doc(client_id=1))
    holder.create_file("m.py", outline)
    holder.set_meta(outline=outline)
    holder.add_todo(TodoEntry(id="t", file="m.py", symbol="A.f"))
    config = ClaimConfig(lease=0.5, heartbeat_interval=0.1)
    first = ClaimBoard(holder, config)
    claim = first.claim("t", 0.0)
    assert first.verify(claim, 0.1)
    at = holder.read("m.py").index("        pass")
    holder.edit("m.py", at, at, "        def f(self):\n            return 4")  # the start of a live stream
    reclaimer.doc.apply_update(holder.doc.get_update())

    first.complete(claim, '    def f(self):\n        """Doc."""\n        return 42\n', 1.0)
    second = ClaimLoop(ClaimBoard(reclaimer, config))  # the repair is the loop's (claim_protocol._repair)
    second.board.observe(0.5)
    reclaim = second.claim("t", 1.5)  # stale: silent for the lease on the reclaimer's clock
    assert reclaim.reclaimed_from == "holder" and second.verify(reclaim, 1.6)
    assert reset_to_stub(reclaimer, reclaimer.todo("t")) is not None
    at = reclaimer.read("m.py").index("        pass")
    reclaimer.edit("m.py", at, at, "        def f(sel")

    reclaimer.doc.apply_update(holder.doc.get_update())
    holder.doc.apply_update(reclaimer.doc.get_update())
    with pytest.raises(SyntaxError):
        parse_python(reclaimer.read("m.py"))  # what the merge alone leaves
    assert second.tick(1.8) == [reclaim]  # the heartbeat finds the claim lost
    assert reclaimer.read("m.py") == 'class A:\n    def f(self):\n        """Doc."""\n        return 42\n'
    assert [e.type for e in reclaimer.read_events()][-2:] == ["preempted", "repair"]
