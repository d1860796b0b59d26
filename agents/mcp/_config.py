"""Configuration of the MCP server."""

from __future__ import annotations

from pydantic import BaseModel, Field

from agents.embed import EmbedConfig

__all__ = ["McpConfig"]


class McpConfig(BaseModel):
    """The room session the server holds, and how long a silent client keeps its claims."""

    session: EmbedConfig = Field(description="Where to join and as whom (the embedded session the tools act through).")
    claim_idle_s: float = Field(
        default=120.0,
        gt=0,
        description="Seconds without any tool call after which the client's claims are released for other agents "
        "(heartbeats alone would keep a stalled client's TODOs from everyone). Long enough for the client's model "
        "to write one symbol between claim_todo and commit_code; a later commit_code says the claim lapsed.",
    )
