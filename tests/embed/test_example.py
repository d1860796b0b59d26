"""``examples/embed_agent.py`` as a user runs it: a subprocess joining a room that our judge finishes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from agents.judge import Judge
from agents.roles import JudgeAgent, JudgeConfig
from bench import task_inputs
from bench.suites import Suite
from crdt_ws import TodoStatus, WebsocketTransport, Workspace

from .conftest import WRITE, outlined_room

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


async def test_the_example_agent_implements_a_whole_task_alone(suite: Suite, judge: Judge) -> None:
    task = suite.task("calculator")
    _, hidden = task_inputs(task)
    async with outlined_room(suite, task.id, "example-room", agents=1) as room:
        args = [sys.executable, str(REPO / "examples" / "embed_agent.py"), "--url", room.relay.url, "--room", room.name]
        agent = subprocess.Popen(
            [*args, "--token", WRITE, "--agent-id", "example", "--fault-rate", "0"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            judge_ws = Workspace("judge")
            async with WebsocketTransport(room.link()).connect(judge_ws):
                with anyio.fail_after(90):
                    await JudgeAgent(judge_ws, judge, JudgeConfig(pyright=False)).run()
                # In a thread: the relay runs on this event loop and must tell the agent the run is over.
                out, err = await anyio.to_thread.run_sync(lambda: agent.communicate(timeout=30))
        finally:
            if agent.poll() is None:
                agent.kill()
        source = room.outliner.read(task.file)
        todos = room.outliner.list_todos()
    assert agent.returncode == 0, err
    assert "example joined example-room (read-write)" in out and "model: scripted (offline" in out
    assert all(t.status == TodoStatus.DONE and t.done_by == "example" for t in todos)
    assert f"example done: {len(todos)} commits; run phase finished" in out
    assert (await judge.score(source, hidden)).passed
