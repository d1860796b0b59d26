"""An MCP server that lets any MCP client (an IDE agent, Claude Desktop...) join a workspace as an implementer.

Launch it over stdio::

    python -m agents.mcp --url ws://127.0.0.1:8765 --room calculator-parallel-0 --token T --agent-id claude-1

(``crdt-bench mcp`` is the same command).  The tools are the operations of
:mod:`agents.embed`: ``status``, ``list_todos``, ``claim_todo``,
``get_context``, ``commit_code``, ``release_todo``, ``list_files``,
``read_file``, ``recent_events``.  The server holds one session, so a claim
stays alive (heartbeats) between tool calls, until the client makes no tool
call for ``--claim-idle`` seconds (:class:`McpConfig`): then its claims are
released for others.  A room nothing was published in is an error naming it.  Errors of the session
(:class:`agents.embed.EmbedError`: unknown TODO, lost claim, rejected code,
read-only token...) come back as MCP tool errors whose text says what went
wrong; the server keeps serving.  A relay that cannot be reached ends the
process with exit code 1 and the reason on stderr.
"""

from ._cli import app, main
from ._config import McpConfig
from ._server import INSTRUCTIONS, build_server, serve_stdio

__all__ = [
    "McpConfig",
    "app",
    "main",
]
