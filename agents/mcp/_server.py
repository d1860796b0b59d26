"""The MCP server: one embedded session's operations as MCP tools.

The server holds one :class:`agents.embed.Session` for its lifetime, so a
claim made by ``claim_todo`` keeps its heartbeats going between tool calls
while the client's model writes the code, but not for ever: a client that
makes no tool call for ``claim_idle_s`` loses its claims (they are released
for other agents, ``release`` events say why), since heartbeats alone would
keep a stalled client's TODOs away from everyone.  A room nothing was
published in is refused by every tool with an error naming it (an empty room
looks like a finished one otherwise).  Every :class:`agents.embed.EmbedError`
becomes an MCP tool error (``is_error`` with the message) and the server keeps
serving; anything else is a bug and surfaces as the SDK's generic tool error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

import anyio

from agents.embed import ClaimLost, ConnectFailed, EmbedError, NotHolding, Session, TodoEntry, TodoStatus, connect

from ._config import McpConfig

__all__ = ["INSTRUCTIONS", "build_server", "serve_stdio"]

INSTRUCTIONS = """You are one implementer among several agents writing one Python module together.
Loop: list_todos -> pick a TODO whose status is pending and ready is true -> claim_todo -> get_context ->
write the complete definition of that one symbol -> commit_code. If a claim is lost or not claimable, pick
another TODO. Keep working until status says the run is over. commit_code only changes the claimed symbol."""

P = ParamSpec("P")
R = TypeVar("R")


class _Activity:
    """When the client last called a tool, and which of its claims lapsed for lack of calls."""

    def __init__(self, session: Session, idle_s: float) -> None:
        self.session = session
        self.idle_s = idle_s
        self.last = anyio.current_time()
        self.calls = 0  # tool calls in progress: a client waiting on one is not silent
        self.lapsed: dict[str, str] = {}  # todo -> why its claim was released

    async def watch(self) -> None:
        """Release every claim once the client has been silent for ``idle_s`` (checked 4x per period)."""
        while True:
            await anyio.sleep(min(1.0, self.idle_s / 4))
            silent = anyio.current_time() - self.last
            if silent < self.idle_s or self.calls:
                continue
            for todo_id in self.session.holding:
                reason = f"lapsed: no MCP tool call for {silent:.1f}s (claim_idle_s={self.idle_s:g})"
                try:
                    await self.session.release(todo_id, reason)
                except EmbedError:
                    continue  # lost or released meanwhile: nothing to give back
                self.lapsed[todo_id] = reason


def _tool_errors(activity: _Activity) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Count the call as activity, refuse an unknown room, turn the session's errors into MCP tool errors."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            activity.last = anyio.current_time()
            activity.calls += 1
            try:
                _known_room(activity.session)
                return await fn(*args, **kwargs)
            except (NotHolding, ClaimLost) as exc:
                todo_id = kwargs.get("todo_id")
                why = activity.lapsed.get(todo_id) if isinstance(todo_id, str) else None
                hint = f" (your claim {why}; claim it again if it is still pending)" if why else ""
                raise ToolError(f"{type(exc).__name__}: {exc}{hint}") from exc
            except EmbedError as exc:
                raise ToolError(f"{type(exc).__name__}: {exc}") from exc
            finally:
                activity.calls -= 1
                activity.last = anyio.current_time()

        return wrapper

    return decorate


def _known_room(session: Session) -> None:
    """A room with no TODOs and no meta was never published: say so instead of showing an empty board."""
    if not session.todos() and not session.meta():
        raise ConnectFailed(
            f"unknown room {session.config.room!r} at {session.config.url}: nothing has been published in it "
            "(check the room name; `crdt-bench host` prints the exact configuration)"
        )


def _todo(entry: TodoEntry, status: dict[str, TodoStatus]) -> dict[str, Any]:
    return {
        "id": entry.id,
        "file": entry.file,
        "symbol": entry.symbol,
        "status": entry.status.value,
        "deps": entry.deps,
        "ready": all(status.get(dep) == TodoStatus.DONE for dep in entry.deps),
        "assignee": entry.assignee,
        "attempt": entry.attempt,
        "verdict": entry.verdict,
    }


def build_server(session: Session, config: McpConfig | None = None) -> MCPServer:
    """An MCP server whose tools act through ``session`` (already connected).

    Claims lapse on idleness only under :func:`serve_stdio`, which runs the watcher beside the server.
    """
    config = config or McpConfig(session=session.config)
    return _build(session, _Activity(session, config.claim_idle_s))


def _build(session: Session, activity: _Activity) -> MCPServer:
    server = MCPServer("crdt-workspace", instructions=INSTRUCTIONS)

    @server.tool()
    @_tool_errors(activity)
    async def status() -> dict[str, Any]:
        """The room, this agent, the run's phase (over when finished/aborted/out_of_budget) and TODO counts."""
        todos = session.todos()
        counts = {s.value: sum(t.status == s for t in todos) for s in TodoStatus}
        return {
            "room": session.config.room,
            "agent_id": session.agent_id,
            "read_only": session.read_only,
            "phase": session.phase,
            "over": session.over,
            "todos": counts,
            "holding": sorted(t.id for t in todos if t.assignee == session.agent_id and t.status == TodoStatus.CLAIMED),
        }

    @server.tool()
    @_tool_errors(activity)
    async def list_todos(status: str | None = None) -> list[dict[str, Any]]:
        """Every TODO (id, file, symbol, status, deps, ready, assignee, attempt, verdict); optionally one status only.

        ready is true when every dependency is done: prefer pending TODOs that are ready.
        """
        todos = session.todos()
        by_id = {t.id: t.status for t in todos}
        if status is not None and status not in {s.value for s in TodoStatus}:
            raise EmbedError(f"unknown status {status!r}; known: {', '.join(s.value for s in TodoStatus)}")
        return [_todo(t, by_id) for t in todos if status is None or t.status.value == status]

    @server.tool()
    @_tool_errors(activity)
    async def claim_todo(todo_id: str) -> dict[str, Any]:
        """Claim a TODO through the claim protocol. On success you hold it (heartbeats keep it) until commit_code
        or release_todo; on failure pick another TODO."""
        claim = await session.claim(todo_id)
        return {"todo_id": claim.todo_id, "symbol": claim.todo.symbol, "file": claim.todo.file, "attempt": claim.attempt}

    @server.tool()
    @_tool_errors(activity)
    async def get_context(todo_id: str) -> str:
        """The instructions and context for a TODO: task, outline, code committed so far, judge feedback."""
        return session.context(todo_id).text

    @server.tool()
    @_tool_errors(activity)
    async def commit_code(todo_id: str, code: str) -> dict[str, Any]:
        """Commit your implementation of a claimed TODO: the complete definition of its symbol (a fenced reply is
        fine). Only that symbol (plus its imports/helpers) is merged; code that does not parse or defines another
        symbol is rejected and nothing is written (you still hold the claim: fix it and commit again)."""
        done = await session.commit(todo_id, code)
        return {"todo_id": done.todo_id, "symbol": done.symbol, "file": done.file, "committed": done.code}

    @server.tool()
    @_tool_errors(activity)
    async def release_todo(todo_id: str, reason: str = "released") -> str:
        """Give a claimed TODO back (others may take it) when you cannot finish it."""
        await session.release(todo_id, reason)
        return f"released {todo_id}"

    @server.tool()
    @_tool_errors(activity)
    async def list_files() -> list[str]:
        """Paths of the file buffers in the workspace."""
        return session.files()

    @server.tool()
    @_tool_errors(activity)
    async def read_file(path: str) -> str:
        """The current text of a file buffer, as this replica sees it (others may be editing it)."""
        return session.read_file(path)

    @server.tool()
    @_tool_errors(activity)
    async def recent_events(limit: int = 20, todo_id: str | None = None) -> list[dict[str, Any]]:
        """The last entries of the audit log (claims, verifies, commits, verdicts...), optionally for one TODO."""
        if limit < 0:
            raise EmbedError("limit must be >= 0")
        return [e.model_dump(mode="json") for e in session.events(limit, todo=todo_id)]

    return server


async def serve_stdio(config: McpConfig) -> None:
    """Join the room and serve MCP over stdin/stdout until the client closes the pipe."""
    async with connect(config.session) as session, anyio.create_task_group() as tg:
        activity = _Activity(session, config.claim_idle_s)
        tg.start_soon(activity.watch)
        await _build(session, activity).run_stdio_async()
        tg.cancel_scope.cancel()


