"""``crdt-bench relay``: the relay command, importable without the benchmark pipeline.

A relay runs for days next to the agents; importing only :mod:`crdt_ws`, typer
and uvicorn keeps its RSS at about a third of what the full ``crdt-bench`` CLI
(scipy, libcst, the report stack) costs.  :func:`bench._entry.main` sends
``crdt-bench relay ...`` here directly; the full CLI registers the same
command.
"""

from __future__ import annotations

import logging
import secrets
import signal
from pathlib import Path
from typing import Annotated

import anyio
import typer
from pydantic import SecretStr

from crdt_ws import Relay, RelayConfig

__all__ = ["relay", "relay_app"]


def tokens_from(given: list[str] | None, files: list[Path] | None) -> list[str]:
    """Tokens from the command line / environment plus token files (one per line, '#' comments)."""
    tokens = list(given or [])
    for path in files or []:
        try:
            lines = path.read_text().splitlines()
        except OSError as exc:
            raise typer.BadParameter(f"cannot read token file {path}: {exc.strerror}") from None
        if path.stat().st_mode & 0o077:
            typer.echo(f"warning: token file {path} is readable by other users (chmod 600 it)", err=True)
        tokens += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return tokens


def report_unflushed(unflushed: dict[str, str]) -> None:
    if not unflushed:
        typer.echo("relay stopped; every room was flushed to its store")
        return
    typer.echo(f"relay stopped; {len(unflushed)} room(s) could NOT be flushed:", err=True)
    for name, why in sorted(unflushed.items()):
        typer.echo(f"  {name}: {why}", err=True)
    raise typer.Exit(1)


TOKEN_FILE_HELP = "File of read-write tokens, one per line (keeps them out of `ps`; repeatable)."
READ_TOKEN_FILE_HELP = "File of read-only tokens, one per line (repeatable)."


def relay(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 8765,
    store: Annotated[Path | None, typer.Option(help="Directory for per-room SQLite stores.")] = None,
    token: Annotated[list[str] | None, typer.Option(help="Read-write token (repeatable; prefer $CRDT_WS_TOKEN or --token-file: arguments show in `ps`).", envvar="CRDT_WS_TOKEN")] = None,
    read_token: Annotated[list[str] | None, typer.Option(help="Read-only token (repeatable).", envvar="CRDT_WS_READ_TOKEN")] = None,
    token_file: Annotated[list[Path] | None, typer.Option(help=TOKEN_FILE_HELP)] = None,
    read_token_file: Annotated[list[Path] | None, typer.Option(help=READ_TOKEN_FILE_HELP)] = None,
    open_access: Annotated[bool, typer.Option("--open", help="Accept clients without a token.")] = False,
    max_message_bytes: Annotated[int, typer.Option(help="Largest client message accepted.")] = 8 * 1024 * 1024,
    max_rooms: Annotated[int, typer.Option(help="Rooms loaded at once.")] = 1000,
    max_rooms_per_token: Annotated[int, typer.Option(help="Rooms one token may be connected to at once.")] = 100,
    handshake_timeout: Annotated[float, typer.Option(help="Seconds a connection may take to send its request.")] = 5.0,
    sync_timeout: Annotated[float, typer.Option(help="Seconds a websocket may take to start syncing.")] = 10.0,
    evict_idle_after: Annotated[float, typer.Option(help="Seconds an idle room stays loaded (rooms nobody wrote to: none).")] = 300.0,
) -> None:
    """Start the relay: rooms are workspaces, persisted to SQLite when --store is given."""
    write = tokens_from(token, token_file)
    reads = tokens_from(read_token, read_token_file)
    if not write and not reads and not open_access:
        write = [secrets.token_urlsafe(18)]
        typer.echo(f"no --token given; generated read-write token: {write[0]}")
    config = RelayConfig(
        host=host,
        port=port,
        store_dir=store,
        write_tokens=[SecretStr(t) for t in write],
        read_tokens=[SecretStr(t) for t in reads],
        max_message_bytes=max_message_bytes,
        max_rooms=max_rooms,
        max_rooms_per_token=max_rooms_per_token,
        handshake_timeout=handshake_timeout,
        sync_timeout=sync_timeout,
        evict_idle_after=evict_idle_after,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    running = Relay(config)

    async def serve() -> None:
        # SIGTERM and SIGINT leave the Relay context normally, which flushes every store.
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with running:
                typer.echo(f"relay listening on {running.url} (store: {store or 'memory only'})")
                async for signum in signals:
                    typer.echo(f"received {signal.Signals(signum).name}; flushing rooms")
                    break

    anyio.run(serve)
    report_unflushed(running.unflushed)


relay_app = typer.Typer(add_completion=False)
"""A one-command app: ``crdt-bench relay``'s options, without loading the rest of the CLI."""
relay_app.command()(relay)
