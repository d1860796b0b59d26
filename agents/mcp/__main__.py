"""``python -m agents.mcp``: the MCP server over stdio."""

from ._cli import app

app(prog_name="python -m agents.mcp")
