"""``crdt-bench host`` with outside agents on MCP: the whole path a Claude Code user would take.

The host runs as a real process (its own relay, outliner and judge); the
outside agents are MCP servers started from the ``.mcp.json`` entry the host
prints, driven by the official SDK's stdio client.  The agents' "model" is
the suite's reference code, so what is under test is the room, the protocol
and the judge, not a model.  Hostile clients: one that goes silent holding a
claim, one that claims everything and stalls, a wrong token, a wrong room.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from bench.suites import Suite, SuiteReferences
from crdt_ws import TodoStatus

from .conftest import WRITE, Room, outlined_room
from .test_mcp import data, mcp_session, text

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]
TASK = "calculator"


class Host:
    """A ``crdt-bench host`` process and what it printed."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._buffer = ""
        self._stream = TextReceiveStream(process.stdout)  # type: ignore[arg-type]

    async def line(self) -> str:
        while "\n" not in self._buffer:
            self._buffer += await self._stream.receive()
        line, self._buffer = self._buffer.split("\n", 1)
        self.lines.append(line)
        return line

    async def mcp_entry(self) -> dict[str, Any]:
        """The ``.mcp.json`` entry the host prints (read up to the blank line after it)."""
        while not (await self.line()).startswith("MCP configuration (.mcp.json):"):
            pass
        block: list[str] = []
        while (line := await self.line()).strip():
            block.append(line)
        servers = json.loads("\n".join(block))["mcpServers"]
        assert len(servers) == 1
        return next(iter(servers.values()))

    async def rest(self) -> str:
        try:
            while True:
                await self.line()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            pass
        return "\n".join(self.lines + ([self._buffer] if self._buffer else []))


@asynccontextmanager
async def hosted(*options: str) -> AsyncIterator[Host]:
    command = [sys.executable, "-m", "bench", "host", "--task", TASK, "--port", "0", *options]
    process = await anyio.open_process(command, cwd=REPO, stderr=subprocess.DEVNULL)
    try:
        yield Host(process)
    finally:
        if process.returncode is None:
            process.kill()
        with anyio.CancelScope(shield=True):
            await process.wait()


@asynccontextmanager
async def client_from(entry: dict[str, Any], agent: str, **replace: str) -> AsyncIterator[ClientSession]:
    """An MCP client on the printed entry, with this agent's id (and any option replaced)."""
    args = list(entry["args"])
    for option, value in {"--agent-id": agent, **replace}.items():
        args[args.index(option) + 1] = value
    params = StdioServerParameters(command=entry["command"], args=args, env=entry["env"], cwd=REPO)
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            with anyio.fail_after(30):
                await session.initialize()
            yield session


async def work_until_over(client: ClientSession, references: SuiteReferences, task: str, refused: set[str]) -> list[str]:
    """An outside agent's loop: claim what is ready, commit the reference code, until the judge ends the run.

    ``refused`` collects the TODOs a claim was refused on (someone else held them).
    """
    committed: list[str] = []
    while not data(await client.call_tool("status"))["over"]:
        todos = data(await client.call_tool("list_todos", {"status": "pending"}))
        for todo in [t for t in todos if t["ready"]]:
            claimed = await client.call_tool("claim_todo", {"todo_id": todo["id"]})
            if claimed.is_error:
                refused.add(todo["id"])
                continue
            context = text(await client.call_tool("get_context", {"todo_id": todo["id"]}))
            assert todo["symbol"] in context
            reference = references.get(task, todo["symbol"])
            assert reference is not None
            done = data(await client.call_tool("commit_code", {"todo_id": todo["id"], "code": f"```python\n{reference.code}\n```"}))
            committed.append(done["todo_id"])
        await anyio.sleep(0.1)  # the next poll of the board, as a client's model would
    return committed


async def test_outside_mcp_agents_complete_a_hosted_task_and_a_silent_one_loses_its_claim(suite: Suite) -> None:
    references = SuiteReferences(suite)
    async with hosted("--claim-idle", "120") as host:
        entry = await host.mcp_entry()
        assert entry["type"] == "stdio" and entry["env"]["CRDT_WS_TOKEN"] and "--claim-idle" in entry["args"]
        async with AsyncExitStack() as stack:
            first = await stack.enter_async_context(client_from(entry, "mcp-first"))
            silent = await stack.enter_async_context(client_from(entry, "mcp-silent", **{"--claim-idle": "1"}))
            todos = data(await silent.call_tool("list_todos", {"status": "pending"}))
            held = next(t for t in todos if t["ready"])
            assert data(await silent.call_tool("claim_todo", {"todo_id": held["id"]}))["todo_id"] == held["id"]
            # The silent client makes no further call; the first one does the whole task, its TODO included.
            refused: set[str] = set()
            with anyio.fail_after(120):
                committed = await work_until_over(first, references, TASK, refused)
            assert held["id"] in committed, "the silent client's TODO went to the working client"
            final = {t["id"]: t for t in data(await first.call_tool("list_todos"))}
            assert all(t["status"] == "done" and t["verdict"] == "pass" for t in final.values()), final
            assert data(await first.call_tool("status"))["phase"] == "finished"
            events = data(await first.call_tool("recent_events", {"limit": 500, "todo_id": held["id"]}))
            released = [e for e in events if e["type"] == "release" and e["agent"] == "mcp-silent"]
            assert released and "lapsed" in released[0]["data"]["reason"], events
            # Back from its silence, the stalled client learns why its claim is gone; nothing of it lands.
            code = references.get(TASK, held["symbol"])
            assert code is not None
            late = await silent.call_tool("commit_code", {"todo_id": held["id"], "code": code.code})
            assert late.is_error and "lapsed" in text(late), text(late)
        with anyio.fail_after(60):
            output = await host.rest()
            assert await host.process.wait() == 0, output
        assert f"judge: phase finished, {len(final)}/{len(final)} TODOs pass their checks" in output, output
        assert "hidden tests: passed" in output and "mcp-first" in output, output
        assert "claude mcp add -e CRDT_WS_TOKEN=" in output and "/view/" in output


async def test_a_client_that_claims_everything_then_stalls_holds_nobody_up_for_long(suite: Suite) -> None:
    references = SuiteReferences(suite)
    async with outlined_room(suite, TASK, "greedy-room") as room:
        async with mcp_session(room, "greedy", "--claim-idle", "1") as greedy, mcp_session(room, "worker") as worker:
            grabbed = []
            for todo in data(await greedy.call_tool("list_todos", {"status": "pending"})):
                if not (await greedy.call_tool("claim_todo", {"todo_id": todo["id"]})).is_error:
                    grabbed.append(todo["id"])
            assert len(grabbed) == len(room.outliner.list_todos()), "the greedy client holds every TODO"
            assert data(await greedy.call_tool("status"))["holding"] == sorted(grabbed)
            # No judge here: the worker's loop ends when every TODO is done.
            refused: set[str] = set()
            with anyio.fail_after(90):
                while any(t.status != TodoStatus.DONE for t in room.outliner.list_todos()):
                    todos = data(await worker.call_tool("list_todos", {"status": "pending"}))
                    for todo in [t for t in todos if t["ready"]]:
                        if (await worker.call_tool("claim_todo", {"todo_id": todo["id"]})).is_error:
                            refused.add(todo["id"])
                            continue
                        reference = references.get(TASK, todo["symbol"])
                        assert reference is not None
                        data(await worker.call_tool("commit_code", {"todo_id": todo["id"], "code": reference.code}))
                    await anyio.sleep(0.1)
            assert {t.done_by for t in room.outliner.list_todos()} == {"worker"}
            lapsed = [e for e in room.outliner.read_events() if e.type == "release" and e.agent == "greedy"]
            assert {e.todo for e in lapsed} == set(grabbed) and all("lapsed" in str(e.data["reason"]) for e in lapsed)


async def test_an_unknown_room_is_an_error_naming_it(suite: Suite) -> None:
    async with outlined_room(suite, TASK, "the-real-room") as room:
        wrong = Room(room.relay, "the-reel-room", room.outliner, room.connection)
        async with mcp_session(wrong, "lost") as client:
            for tool, args in (("list_todos", {}), ("status", {}), ("claim_todo", {"todo_id": "t0"})):
                result = await client.call_tool(tool, args)
                assert result.is_error and "unknown room 'the-reel-room'" in text(result), (tool, text(result))
        assert not [e for e in room.outliner.read_events() if e.agent == "lost"]


async def test_a_bad_token_ends_the_server_with_a_clear_error(suite: Suite) -> None:
    async with outlined_room(suite, TASK, "token-room") as room:
        args = ["-m", "agents.mcp", "--url", room.relay.url, "--room", room.name, "--agent-id", "x", "--connect-timeout", "3"]
        result = await anyio.run_process(
            [sys.executable, *args], cwd=REPO, check=False, env={**os.environ, "CRDT_WS_TOKEN": "not-" + WRITE}
        )
        assert result.returncode == 1, result
        err = result.stderr.decode()
        assert err.startswith("error: cannot join room 'token-room'") and "token" in err.lower(), err
        assert not [e for e in room.outliner.read_events() if e.agent == "x"]
