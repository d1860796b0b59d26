"""The MCP server as a real subprocess, driven by the official SDK's stdio client, against a real relay.

``python -m agents.mcp`` is spawned by ``mcp.client.stdio.stdio_client``; a
``ClientSession`` lists the tools and calls them the way an MCP host's model
would.  The commit must show up in a separate Python replica of the room.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from bench.suites import Suite, SuiteReferences
from crdt_ws import TodoStatus

from .conftest import WRITE, Room, outlined_room

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def mcp_session(room: Room, agent: str, *extra: str) -> AsyncIterator[ClientSession]:
    args = ["-m", "agents.mcp", "--url", room.relay.url, "--room", room.name, "--agent-id", agent, "--token", WRITE]
    params = StdioServerParameters(command=sys.executable, args=[*args, "--lease", "0.6", "--heartbeat", "0.1", *extra], cwd=REPO)
    with open(Path("/dev/null"), "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            with anyio.fail_after(20):
                await session.initialize()
            yield session


def text(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def data(result: Any) -> Any:
    assert not result.is_error, text(result)
    if result.structured_content is not None:
        content = result.structured_content
        return content["result"] if isinstance(content, dict) and set(content) == {"result"} else content
    return json.loads(text(result))


async def test_an_mcp_client_claims_reads_context_commits_and_sees_clear_errors(suite: Suite) -> None:
    references = SuiteReferences(suite)
    async with outlined_room(suite, "bank_ledger", "mcp-room") as room, mcp_session(room, "mcp-agent") as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert {"list_todos", "claim_todo", "get_context", "commit_code", "release_todo", "read_file", "recent_events"} <= tools

        todos = data(await client.call_tool("list_todos", {"status": "pending"}))
        assert len(todos) == len(room.outliner.list_todos()) and all(t["status"] == "pending" for t in todos)
        target = next(t for t in todos if t["ready"])

        claimed = data(await client.call_tool("claim_todo", {"todo_id": target["id"]}))
        assert claimed["symbol"] == target["symbol"]
        context = text(await client.call_tool("get_context", {"todo_id": target["id"]}))
        assert f"Implement `{target['symbol']}`." in context and "Outline of" in context

        # Errors come back as tool errors with a clear message, and the server keeps serving.
        unknown = await client.call_tool("claim_todo", {"todo_id": "no-such-todo"})
        assert unknown.is_error and "TodoNotFound" in text(unknown) and "no-such-todo" in text(unknown)
        bad = await client.call_tool("commit_code", {"todo_id": target["id"], "code": "def broken(:\n"})
        assert bad.is_error and "CodeRejected" in text(bad) and "nothing written" in text(bad)
        other = next(t for t in todos if t["id"] != target["id"])
        unheld = await client.call_tool("commit_code", {"todo_id": other["id"], "code": "x = 1"})
        assert unheld.is_error and "NotHolding" in text(unheld)

        reference = references.get("bank_ledger", target["symbol"])
        assert reference is not None
        reply = f"Here it is:\n```python\n{reference.code}\n```\n"
        committed = data(await client.call_tool("commit_code", {"todo_id": target["id"], "code": reply}))
        assert committed["todo_id"] == target["id"]

        # A separate Python replica sees the commit in the document.
        with anyio.fail_after(5):
            while room.outliner.todo(target["id"]).status != TodoStatus.DONE:
                await anyio.sleep(0.01)
        entry = room.outliner.todo(target["id"])
        assert entry.done_by == "mcp-agent"
        assert entry.result is not None and entry.result.strip() in room.outliner.read(entry.file)
        assert entry.result.strip() == committed["committed"].strip()
        source = data(await client.call_tool("read_file", {"path": entry.file}))
        assert source == room.outliner.read(entry.file)
        events = data(await client.call_tool("recent_events", {"limit": 50, "todo_id": target["id"]}))
        assert [e["type"] for e in events if e["agent"] == "mcp-agent"][-3:] == ["claim", "verify", "complete"]

        # A claim another agent takes over (as after a missed lease) cannot commit: a tool error, nothing lands.
        claimed = data(await client.call_tool("claim_todo", {"todo_id": other["id"]}))
        before = room.outliner.read(other["file"])
        room.outliner.update_todo(other["id"], assignee="rival", attempt=claimed["attempt"] + 1, heartbeat=0)
        await anyio.sleep(0.5)  # the server's heartbeat notices the takeover
        code = f"def {other['symbol'].split('.')[-1]}(self):\n    return 1\n"
        lost = await client.call_tool("commit_code", {"todo_id": other["id"], "code": code})
        assert lost.is_error and "ClaimLost" in text(lost) and "rival" in text(lost)
        status = data(await client.call_tool("status"))
        assert status["agent_id"] == "mcp-agent" and status["holding"] == [] and not status["over"]
        await anyio.sleep(0.2)
        assert room.outliner.read(other["file"]) == before


@pytest.mark.slow  # a second server process; the session-level observer test covers the default run
async def test_an_observer_server_refuses_writes(suite: Suite) -> None:
    async with outlined_room(suite, "bank_ledger", "mcp-observer") as room, mcp_session(room, "mcp-eye", "--observer") as client:
        target = data(await client.call_tool("list_todos"))[0]
        refused = await client.call_tool("claim_todo", {"todo_id": target["id"]})
        assert refused.is_error and "ReadOnlySession" in text(refused)
        assert data(await client.call_tool("status"))["read_only"] is True
        assert room.outliner.todo(target["id"]).status == TodoStatus.PENDING
