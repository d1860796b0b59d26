"""``examples/embed_agent.py`` exactly as its docstring says to run it.

The commands are read from the docstring itself (so the two cannot drift
apart): a relay, a run on it, and the example joining the room the run prints.
Only the port (any free one) and the room's random suffix are substituted.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
from pathlib import Path
from queue import Empty, Queue

import pytest
from crdt_ws import parse_python

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "embed_agent.py"


def documented_commands() -> list[list[str]]:
    """Every command of the docstring's ``::`` blocks, continuation lines joined, comments and ``&`` dropped."""
    doc = ast.get_docstring(parse_python(EXAMPLE.read_text(encoding="utf-8"))) or ""
    commands: list[list[str]] = []
    for block in re.findall(r"::\n\n((?:    .*\n?|\n)+)", doc):
        text = re.sub(r"\\\n\s*", " ", block)
        for line in text.splitlines():
            line = line.split("#")[0].strip().removesuffix("&").strip()
            if line:
                commands.append(shlex.split(line))
    return commands


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _localise(argv: list[str], port: int) -> list[str]:
    out = [a.replace("8765", str(port)) for a in argv]
    if out[0] == "crdt-bench":
        return [sys.executable, "-m", "bench", *out[1:]]
    if out[0] == "python":
        return [sys.executable, *out[1:]]
    return out


def _lines(process: subprocess.Popen[str]) -> Queue[str]:
    queue: Queue[str] = Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            queue.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return queue


def _wait_for(queue: Queue[str], pattern: str, seen: list[str], timeout: float = 120.0) -> re.Match[str]:
    while True:
        try:
            line = queue.get(timeout=timeout)
        except Empty:
            raise AssertionError(f"no line matching {pattern!r} within {timeout}s; saw {seen[-20:]}") from None
        seen.append(line)
        if match := re.search(pattern, line):
            return match


def test_the_docstring_has_the_three_commands() -> None:
    relay, run, agent = documented_commands()
    assert relay[:2] == ["crdt-bench", "relay"] and "--token" in relay  # an option the relay really has
    assert run[:2] == ["crdt-bench", "run"] and "--relay-url" in run and "--relay-token" in run
    assert agent[:2] == ["python", "examples/embed_agent.py"] and "--room" in agent


def test_a_wrong_room_is_an_error_not_an_endless_wait(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    relay = subprocess.Popen([sys.executable, "-m", "bench", "relay", "--port", str(port), "--token", "T"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(_lines(relay), r"relay listening", [])
        agent = subprocess.run(
            [sys.executable, str(EXAMPLE), "--url", f"ws://127.0.0.1:{port}", "--room", "no-such-room", "--token", "T", "--agent-id", "x", "--wait", "1"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
        )
    finally:
        relay.terminate()
        relay.wait(timeout=30)
    assert agent.returncode == 1
    assert "no plan in room 'no-such-room'" in agent.stderr and "is the room name right?" in agent.stderr


@pytest.mark.slow
def test_the_documented_invocation_joins_a_real_run() -> None:
    port = _free_port()
    relay_cmd, run_cmd, agent_cmd = (_localise(c, port) for c in documented_commands())
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CRDT_WS_TOKEN", None)
    started: list[subprocess.Popen[str]] = []

    def start(argv: list[str]) -> subprocess.Popen[str]:
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(process)
        return process

    try:
        relay = start(relay_cmd)
        _wait_for(_lines(relay), r"relay listening on ws://127\.0\.0\.1:" + str(port), [])
        run = start(run_cmd)
        run_out: list[str] = []
        run_lines = _lines(run)
        room = _wait_for(run_lines, r"trial calculator parallel seed 0: room (calculator-parallel-0-[0-9a-f]{6})$", run_out).group(1)
        documented_room = agent_cmd[agent_cmd.index("--room") + 1]
        assert re.fullmatch(r"calculator-parallel-0-[0-9a-f]{6}", documented_room)  # the docstring shows a real room's shape
        agent_cmd[agent_cmd.index("--room") + 1] = room
        agent = subprocess.run(agent_cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert agent.returncode == 0, agent.stdout + agent.stderr
        assert f"ext-1 joined {room} (read-write)" in agent.stdout
        done = re.search(r"ext-1 done: (\d+) commits; run phase finished", agent.stdout)
        assert done is not None and int(done.group(1)) >= 1, agent.stdout  # the external agent really did work
        assert run.wait(timeout=120) == 0
        while not run_lines.empty():
            run_out.append(run_lines.get())
        assert any(line.startswith("| calculator |") for line in run_out), run_out[-10:]
    finally:
        for process in reversed(started):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
