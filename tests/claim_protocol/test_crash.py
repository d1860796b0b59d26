"""Kill an agent process mid-claim and mid-work: another agent reclaims within lease + one heartbeat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from claim_protocol import Claimer, ClaimConfig
from crdt_ws import Relay, RelayConfig, TodoEntry, TodoStatus, WebsocketConfig, WebsocketTransport, Workspace

from ._live import code_for, seed_todos

pytestmark = pytest.mark.anyio

WORKER = Path(__file__).with_name("_worker.py")
HEARTBEAT, LEASE = 0.2, 1.0
SLACK = 0.5  # propagation to the observing replica and its 10 ms polling


async def wait_for(predicate, timeout: float = 15.0) -> float:  # type: ignore[no-untyped-def]
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.01)
    return anyio.current_time()


def events_of(ws: Workspace, kind: str, agent: str | None = None) -> list:  # type: ignore[type-arg]
    return [e for e in ws.read_events() if e.type == kind and (agent is None or e.agent == agent)]


def start_victim(url: str, room: str, **options: float) -> subprocess.Popen[str]:
    args = [sys.executable, str(WORKER), "--url", url, "--room", room, "--agent", "victim"]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.mark.parametrize("moment", ["mid-claim", "mid-work"])
async def test_a_killed_agent_is_reclaimed_within_lease_and_a_heartbeat(moment: str, tmp_path: Path) -> None:
    room = f"crash-{moment}"
    async with Relay(RelayConfig(port=0, store_dir=tmp_path)) as relay:
        config = WebsocketConfig(url=relay.url, room=room)
        observer, survivor = Workspace("observer"), Workspace("survivor")
        async with WebsocketTransport(config).connect(observer), WebsocketTransport(config).connect(survivor) as link:
            seed_todos(observer, 1)
            options = {"heartbeat": HEARTBEAT, "lease": LEASE}
            if moment == "mid-claim":  # a long verify wait: the kill lands between claim and verify
                options["min_wait"] = 0.6
            else:  # long work: the kill lands while it heartbeats
                options["work_seconds"] = 30.0
            victim = start_victim(relay.url, room, **options)
            killed = reclaimed = finished = float("nan")  # set below, or the test fails before reading them
            try:
                stage = "claim" if moment == "mid-claim" else "verify"
                await wait_for(lambda: events_of(observer, stage, "victim"))
                await wait_for(lambda: len(events_of(survivor, stage, "victim")) > 0)
                if moment == "mid-work":
                    await wait_for(lambda: observer.todo("t0").heartbeat >= 2)
                else:
                    assert not events_of(observer, "verify", "victim")
                lease_s = float(observer.todo("t0").lease_s or 0.0)

                async def work(entry: TodoEntry) -> str:
                    return code_for(entry.symbol, "survivor")

                async with anyio.create_task_group() as tg:
                    tg.start_soon(
                        Claimer(survivor, ClaimConfig(heartbeat_interval=HEARTBEAT, lease=LEASE), connection=link).run, work
                    )
                    await anyio.sleep(0.05)
                    victim.send_signal(signal.SIGKILL)
                    killed = anyio.current_time()
                    reclaimed = await wait_for(lambda: events_of(observer, "reclaim", "survivor"))
                    finished = await wait_for(lambda: observer.todo("t0").status == TodoStatus.DONE)
            finally:
                victim.kill()
                victim.wait()
    entry = observer.todo("t0")
    assert entry.done_by == "survivor" and entry.attempt == 2
    assert observer.read("jobs.py").count("def job0") == 1 and "'survivor'" in observer.read("jobs.py")
    expire = events_of(observer, "expire", "survivor")[0]
    assert expire.data["holder"] == "victim"
    bound = lease_s + HEARTBEAT + SLACK
    print(f"\n{moment}: lease {lease_s:.2f}s, reclaim seen {reclaimed - killed:.3f}s after SIGKILL, "
          f"done {finished - killed:.3f}s after (bound {bound:.2f}s)")
    assert reclaimed - killed <= bound
