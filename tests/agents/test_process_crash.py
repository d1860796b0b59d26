"""Implementers as separate processes on a real relay; one is SIGKILLed while streaming.

The outliner and the judge run here; two ``crdt-bench implement`` processes
join the room.  The victim dies mid-stream (after its claim verified, before
its commit): its lease runs out, the survivor reclaims the TODO, and the run
finishes with every TODO done, one definition per stub, and the hidden tests
passing.
"""

from __future__ import annotations

import ast
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import anyio
import pytest

from agents.judge import Judge
from agents.roles import JudgeAgent, JudgeConfig, Outliner
from bench import task_inputs
from bench.suites import Suite
from crdt_ws import Relay, RelayConfig, TodoStatus, WebsocketConfig, WebsocketTransport, Workspace, parse_python

pytestmark = pytest.mark.anyio


def _implementer(url: str, room: str, agent: str) -> subprocess.Popen[str]:
    args = [
        sys.executable, "-m", "bench", "implement", "--url", url, "--room", room, "--agent-id", agent,
        "--time-scale", "0.15", "--fault-rate", "0", "--blind-fault-rate", "0", "--lease", "0.6", "--heartbeat", "0.1",
    ]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def _until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(0.005)


async def test_a_killed_implementer_process_is_reclaimed_and_the_run_finishes(suite: Suite, judge: Judge) -> None:
    spec, hidden = task_inputs(suite.task("bank_ledger"))
    room = "crash-room"
    async with Relay(RelayConfig(port=0)) as relay:
        link = WebsocketConfig(url=relay.url, room=room)
        outliner, judge_ws = Workspace("outliner"), Workspace("judge")
        async with WebsocketTransport(link).connect(outliner), WebsocketTransport(link).connect(judge_ws):
            await Outliner(outliner).run(spec, "parallel", agents=2)
            victim, survivor = _implementer(relay.url, room, "victim"), _implementer(relay.url, room, "survivor")
            try:
                def verified_by_victim() -> bool:
                    return any(e.type == "verify" and e.agent == "victim" for e in outliner.read_events())

                await _until(verified_by_victim)
                await anyio.sleep(0.1)  # into its model call: the reply is streaming
                streaming = [t for t in outliner.list_todos() if t.assignee == "victim" and t.status == TodoStatus.CLAIMED]
                victim.send_signal(signal.SIGKILL)
                killed_at, killed_wall = time.monotonic(), time.time()
                assert streaming, "the victim must die holding a claim"
                summary = await JudgeAgent(judge_ws, judge, JudgeConfig(pyright=False)).run()
                finished_after = time.monotonic() - killed_at
                # In a thread: the relay runs on this event loop and must tell the survivor the run is over.
                survivor_out, survivor_err = await anyio.to_thread.run_sync(lambda: survivor.communicate(timeout=30))
            finally:
                for proc in (victim, survivor):
                    if proc.poll() is None:
                        proc.kill()
            source = outliner.read(spec.file)
            todos = {t.id: t for t in outliner.list_todos()}
            events = outliner.read_events()
    assert survivor.returncode == 0, survivor_err
    assert "survivor joined" in survivor_out and "model: scripted (offline" in survivor_out
    assert all(t.status == TodoStatus.DONE for t in todos.values())
    lost = streaming[0].id
    expired = [e for e in events if e.type == "expire" and e.todo == lost]
    assert expired and expired[0].data["holder"] == "victim"
    assert todos[lost].done_by == "survivor"
    tree = parse_python(source)
    names = [n.name for c in tree.body if isinstance(c, ast.ClassDef) for n in c.body if isinstance(n, ast.FunctionDef)]
    assert len(names) == len(set(names)), "no duplicate definitions after the crash"
    assert (await judge.score(source, hidden)).passed
    assert summary.failed == 0
    reclaimed = [e for e in events if e.type == "reclaim" and e.todo == lost][0].time - killed_wall
    # A survivor busy with its own call looks for stale claims once that call is done.
    assert reclaimed < 0.6 + 0.1 + 2.0, "reclaimed within lease + heartbeat + one model call"
    print(f"\nvictim killed holding {lost}: reclaimed {reclaimed:.2f} s later (lease 0.6 s), run finished after {finished_after:.2f} s")
