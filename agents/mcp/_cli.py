"""Command line: ``python -m agents.mcp --url ... --room ... --agent-id ...`` (also ``crdt-bench mcp``).

A boundary like ``crdt-bench``'s: the token comes from ``$CRDT_WS_TOKEN`` here,
and an error from a package root that escapes becomes one line on stderr and
that root's exit code (:data:`EXIT_CODES`, the same codes ``crdt-bench`` uses).
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import anyio
import typer
from pydantic import SecretStr, ValidationError

from agents import AgentsError
from agents.embed import ConnectFailed, EmbedConfig
from claim_protocol import ClaimError
from crdt_ws import WorkspaceError
from merge import MergeError

from ._config import McpConfig
from ._server import serve_stdio

__all__ = ["app", "main", "EXIT_CODES"]

EXIT_CODES: tuple[tuple[type[Exception], int], ...] = ((AgentsError, 4), (WorkspaceError, 5), (ClaimError, 6), (MergeError, 7))
"""(exception root, exit code) for every package root the server can meet, matched in order."""

app = typer.Typer(add_completion=False, help="Serve a workspace room's TODOs to an MCP client over stdio.")


@app.command()
def main(
    url: Annotated[str, typer.Option(help="Relay websocket URL, e.g. ws://127.0.0.1:8765.")],
    room: Annotated[str, typer.Option(help="Room (workspace) to join.")],
    agent_id: Annotated[str, typer.Option(help="This agent's id in the room (the assignee of its claims).")],
    token: Annotated[
        str | None, typer.Option(envvar="CRDT_WS_TOKEN", help="Relay token (or $CRDT_WS_TOKEN, which keeps it out of `ps`).")
    ] = None,
    observer: Annotated[bool, typer.Option(help="Read-only: list and read, never claim or commit.")] = False,
    lease: Annotated[float, typer.Option(help="Claim lease in seconds (the room's value).")] = 2.0,
    heartbeat: Annotated[float, typer.Option(help="Heartbeat interval in seconds while a claim is held.")] = 0.5,
    connect_timeout: Annotated[float, typer.Option(help="Seconds to wait for the relay before giving up.")] = 10.0,
    claim_idle: Annotated[
        float, typer.Option(help="Seconds without a tool call after which this client's claims are released for others.")
    ] = 120.0,
) -> None:
    """Join ROOM at URL and serve its TODOs as MCP tools over stdin/stdout."""
    # stdout carries the MCP protocol: everything else goes to stderr.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    try:
        session = EmbedConfig.model_validate(
            {
                "url": url,
                "room": room,
                "agent_id": agent_id,
                "token": SecretStr(token) if token else None,
                "role": "observer" if observer else "implementer",
                "claim": {"lease": lease, "heartbeat_interval": heartbeat},
                "connect_timeout": connect_timeout,
            }
        )
        config = McpConfig(session=session, claim_idle_s=claim_idle)
    except ValidationError as exc:
        typer.echo(f"error: bad option: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from None
    try:
        anyio.run(serve_stdio, config)
    except ConnectFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except tuple(root for root, _ in EXIT_CODES) as exc:
        typer.echo(f"error: {type(exc).__name__}: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(next(code for root, code in EXIT_CODES if isinstance(exc, root))) from None
