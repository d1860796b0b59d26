"""Issue 20, finding 7: updates the relay acknowledged as durable survive `kill -9`.

The relay used to broadcast before it persisted, and the Yjs protocol has no
acknowledgement, so "another client received it" was the best a client could
go by: `kill -9` lost 79 of 3,842 such updates.  Now the relay tells each
read-write client what its store holds after every commit, and
``WebsocketConnection.wait_durable`` waits for it.  Writers and an observer run
as separate processes against a real relay process, which is SIGKILLed at a
random moment and restarted on its store (``bench.micro.relay_durability``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.micro.relay_durability import run, trial

pytestmark = pytest.mark.anyio


async def test_kill_9_loses_nothing_acknowledged_as_durable(tmp_path: Path) -> None:
    result = await trial(0, writers=2, pace_ms=5, kill_after=0.8, workdir=tmp_path)
    assert result.acked > 50  # the writers were really being acknowledged when the relay died
    assert result.lost_acked == 0
    assert result.stored >= result.acked


@pytest.mark.slow
async def test_five_kills_lose_nothing_acknowledged() -> None:
    results = await run(trials=5, writers=3, pace_ms=5, seed=1, progress=False)
    assert sum(r.acked for r in results) > 500
    assert sum(r.lost_acked for r in results) == 0
