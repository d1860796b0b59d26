"""``crdt-bench host``: open a room for outside agents (options here; the work is :func:`bench._host.host_room`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import anyio
import typer

from ._exit import first_error

__all__ = ["host_command"]


def host_command(
    task: Annotated[str, typer.Option(help="Task id to host, e.g. bank_ledger or ClassEval_0.")],
    suite: Annotated[str, typer.Option(help="Suite: bundled, classeval, humaneval, or a directory of tasks.")] = "bundled",
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="CLASSEVAL_DATA", help="ClassEval data (classeval suite, replay models).")] = None,
    relay_url: Annotated[str | None, typer.Option(help="Host the room on this running relay instead of starting one (with the viewer).")] = None,
    token: Annotated[str | None, typer.Option(help="Read-write token outside agents get (default: $CRDT_WS_TOKEN, or generated).", envvar="CRDT_WS_TOKEN")] = None,
    read_token: Annotated[str | None, typer.Option(help="Read-only token for the viewer URL (generated for a started relay).", envvar="CRDT_WS_READ_TOKEN")] = None,
    host: Annotated[str, typer.Option(help="Interface the started relay binds (0.0.0.0: reachable from other machines).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port of the started relay (0 = any free port).")] = 8765,
    store: Annotated[Path, typer.Option(help="Directory for the started relay's room stores (outside agents' commits are durable; the viewer replays them).")] = Path("runs/host"),
    public_url: Annotated[str | None, typer.Option(help="Base URL people reach the started relay at, for the printed links.")] = None,
    room: Annotated[str | None, typer.Option(help="Room name (default: <task>-hosted-<random>).")] = None,
    agents: Annotated[int, typer.Option(min=0, help="Built-in implementers beside the outside agents (0: outside agents only).")] = 0,
    model: Annotated[str, typer.Option(help="Model of the built-in implementers: scripted (offline), replay:, anthropic:, openai:.")] = "scripted",
    max_repairs: Annotated[int, typer.Option(min=0, help="Times the judge reopens a TODO that failed its visible checks.")] = 2,
    claim_idle: Annotated[float, typer.Option(help="The printed MCP configuration's idle limit: seconds a silent client keeps its claims.")] = 120.0,
    agent_id: Annotated[str, typer.Option(help="Agent id in the printed MCP configuration (give each client its own).")] = "claude-1",
    timeout: Annotated[float | None, typer.Option(help="Stop waiting after this many seconds (default: until judged).")] = None,
) -> None:
    """Open a room for outside agents: publish the outline, run the judge, print the room, viewer and MCP configuration."""
    from pydantic import ValidationError

    from agents.judge import Judge
    from agents.models import resolve_model

    from ._host import HostConfig, HostResult, host_room
    from ._run import task_inputs
    from ._runner import model_options
    from .suites import SuiteError, SuiteReferences, get_suite

    data_dir = data_dir.resolve() if data_dir else None
    try:
        config = HostConfig.model_validate(
            {
                "relay_url": relay_url, "token": token, "read_token": read_token, "host": host, "port": port,
                "store": store, "public_url": public_url, "room": room, "agents": agents,
                "judge": {"max_repairs": max_repairs}, "claim_idle_s": claim_idle, "agent_id": agent_id, "timeout_s": timeout,
            }
        )  # fmt: skip
        chosen_suite = get_suite(suite, data_dir=data_dir)
        spec, hidden = task_inputs(chosen_suite.task(task))
    except ValidationError as exc:
        raise typer.BadParameter(first_error(exc)) from exc
    except SuiteError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    chosen = None
    if agents:
        references = SuiteReferences(chosen_suite) if model.split(":")[0] == "scripted" else None
        options = model_options(model, references=references, profile="sonnet", time_scale=1.0, data_dir=data_dir)
        chosen = resolve_model(model, **options)

    async def main() -> HostResult:
        judge = Judge()
        if chosen is None:
            return await host_room(spec, hidden, config, judge=judge, echo=typer.echo)
        async with chosen:
            typer.echo(f"built-in implementers: {agents} on {chosen.info.label}")
            return await host_room(spec, hidden, config, judge=judge, model=chosen, echo=typer.echo)

    result = anyio.run(main)
    raise typer.Exit(0 if result.phase == "finished" else 1)
