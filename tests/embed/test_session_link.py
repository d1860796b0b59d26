"""A session cut off from the relay never wins a claim it could not verify through the relay.

Real relay and websockets on 127.0.0.1; the session's link runs through a TCP
proxy (``bench.faults.CuttingProxy``) that drops every connection and, while
the partition lasts, refuses new ones.  Before the fix, the session's verify
barrier swallowed the ``TransportError``, re-read its own replica (which only
knew its own claim) and won: a second agent on the relay won the same TODO.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from anyio.abc import SocketStream
from pydantic import SecretStr

from agents.embed import ClaimFailed, ClaimLost, EmbedConfig, NotClaimable, Session, TodoStatus, connect
from bench.faults import CuttingProxy
from bench.suites import Suite
from claim_protocol import ClaimConfig

from .conftest import WRITE, Room, outlined_room

pytestmark = pytest.mark.anyio

# A verify wait long enough that the cut lands between the claim's write and its verify.
SLOW_VERIFY = ClaimConfig(lease=3.0, heartbeat_interval=0.1, initial_probes=1, min_wait=0.3, max_wait=0.3, initial_wait=0.3)


class Partition(CuttingProxy):
    """A cutting proxy that also refuses new connections while ``down`` (a partition, not a blip)."""

    down = False

    async def __aenter__(self) -> Partition:
        await super().__aenter__()
        return self

    async def _bridge(self, client: SocketStream) -> None:
        if self.down:
            await client.aclose()
            return
        await super()._bridge(client)

    def partition(self) -> None:
        self.down = True
        self.cut()


def embed(url: str, room: Room, agent: str, *, claim: ClaimConfig = SLOW_VERIFY, connect_timeout: float = 2.0) -> EmbedConfig:
    return EmbedConfig(
        url=url, room=room.name, token=SecretStr(WRITE), agent_id=agent, claim=claim, connect_timeout=connect_timeout
    )


def cut_on_first_claim(session: Session, proxy: Partition) -> Any:
    """Partition the link the moment this replica writes its claim (before the update can be verified)."""

    def on_todos(events: Any) -> None:
        if not proxy.down:
            proxy.partition()

    return session.workspace.todos.observe_deep(on_todos)


async def test_a_session_cut_mid_claim_does_not_win_and_a_linked_rival_does(suite: Suite) -> None:
    async with outlined_room(suite, "calculator", "cut-mid-claim") as room, Partition(room.relay.port) as proxy:
        through_proxy = f"ws://127.0.0.1:{proxy.port}"
        async with connect(embed(through_proxy, room, "cut")) as cut, connect(embed(room.relay.url, room, "rival")) as rival:
            todo = next(t for t in cut.todos() if t.status == TodoStatus.PENDING)
            sub = cut_on_first_claim(cut, proxy)
            with pytest.raises(ClaimLost, match="could not verify"):
                await cut.claim(todo.id)
            cut.workspace.todos.unobserve(sub)
            assert proxy.down and proxy.cut_connections >= 1, "the link was cut during the claim"
            assert cut.stats.wins == 0 and not [e for e in cut.events(todo=todo.id) if e.type == "verify" and e.agent == "cut"]

            # The rival, linked to the relay, may claim it: the cut session's claim either never left its
            # replica, or it did and then it is the rival that cannot take it while the lease runs.
            try:
                async with rival.claim(todo.id) as claim:
                    rival_won = claim.active
            except ClaimFailed:
                rival_won = False

            # While the partition lasts, the cut session claims nothing at all.
            other = next(t for t in cut.todos() if t.status == TodoStatus.PENDING and t.id != todo.id)
            with pytest.raises(NotClaimable, match="no sync round trip"):
                await cut.claim(other.id)
            assert cut.stats.wins == 0

            # Healed: the cut session's hand-back reaches everyone and claims work again, verified through the relay.
            proxy.down = False
            assert await proxy.wait_live(1, timeout=20) is not None, "the cut session reconnects through the proxy"
            with anyio.fail_after(20):
                while cut.todo(todo.id).status != rival.todo(todo.id).status or rival.todo(todo.id).status == TodoStatus.CLAIMED:
                    await anyio.sleep(0.02)
            held = await cut.claim(todo.id)
            assert held.active and cut.stats.wins == 1
            with anyio.fail_after(10):
                while rival.todo(todo.id).assignee != "cut":
                    await anyio.sleep(0.02)
            await held.release()
            # Everyone agrees on one history: at most one verified holder per attempt.
            verifies = [(e.agent, e.data.get("attempt")) for e in room.outliner.read_events() if e.type == "verify" and e.todo == todo.id]
            assert len({attempt for _, attempt in verifies}) == len(verifies), verifies
            assert ("cut", 1) not in verifies
            print(f"\nrival won during the partition: {rival_won}; verifies: {verifies}")


async def test_a_session_partitioned_before_it_claims_writes_no_claim(suite: Suite) -> None:
    """Cut off before the claim: nothing is written (not even a claim that would block others for a lease)."""
    async with outlined_room(suite, "calculator", "partitioned") as room, Partition(room.relay.port) as proxy:
        async with connect(embed(f"ws://127.0.0.1:{proxy.port}", room, "alone")) as alone:
            todo = next(t for t in alone.todos() if t.status == TodoStatus.PENDING)
            proxy.partition()
            with pytest.raises(NotClaimable, match="no sync round trip"):
                await alone.claim(todo.id)
            assert alone.stats.claims == 0 and alone.todo(todo.id).status == TodoStatus.PENDING
