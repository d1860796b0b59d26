"""The ``crdt-bench`` command line: each command builds a config and calls the library.

This is the boundary: environment variables are read here (typer ``envvar``
options and the few ``os.environ`` reads below) and flow into the library in
configs; an error from any package's root that escapes a command becomes one
line on stderr and that root's exit code (:mod:`bench._exit`), never a traceback.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
import typer
from pydantic import SecretStr

from crdt_ws import RelayConfig

from ._demo import DemoConfig, run_demo
from ._relay_cmd import READ_TOKEN_FILE_HELP, TOKEN_FILE_HELP, report_unflushed, tokens_from, relay
from ._exit import first_error, run_mapped
from ._host_cmd import host_command
from .report._cli import report_command
from .suites import data_app

app = typer.Typer(help="Run many coding agents on one shared CRDT document, and measure it.", no_args_is_help=True)


def main(args: list[str] | None = None) -> None:
    """:data:`app` with every package root mapped to one line and an exit code (see :mod:`bench._exit`)."""
    run_mapped(lambda: app(args=args, prog_name="crdt-bench"))


def _version(value: bool) -> None:
    if value:
        from importlib import metadata

        typer.echo(f"crdt-bench {metadata.version('crdt-agents')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Run many coding agents on one shared CRDT document, and measure it."""


@app.command()
def tasks(
    suite: Annotated[str, typer.Option(help="Suite: bundled, classeval, humaneval, or a directory of tasks.")] = "bundled",
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="CLASSEVAL_DATA", help="ClassEval data directory (default: $CLASSEVAL_DATA).")] = None,
) -> None:
    """List a suite's tasks: id, TODOs, the coupling its author expects, the best schedule, title."""
    from ._tasks import task_lines
    from .suites import SuiteError

    try:
        for line in task_lines(suite, data_dir.resolve() if data_dir else None):
            typer.echo(line)
    except SuiteError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


app.command()(relay)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 8765,
    store: Annotated[Path | None, typer.Option(help="Directory for per-room SQLite stores (replay needs it).")] = None,
    token: Annotated[list[str] | None, typer.Option(help="Read-write token (repeatable; prefer $CRDT_WS_TOKEN or --token-file).", envvar="CRDT_WS_TOKEN")] = None,
    read_token: Annotated[list[str] | None, typer.Option(help="Read-only token (repeatable).", envvar="CRDT_WS_READ_TOKEN")] = None,
    token_file: Annotated[list[Path] | None, typer.Option(help=TOKEN_FILE_HELP)] = None,
    read_token_file: Annotated[list[Path] | None, typer.Option(help=READ_TOKEN_FILE_HELP)] = None,
    open_access: Annotated[bool, typer.Option("--open", help="Accept clients without a token.")] = False,
    room: Annotated[str, typer.Option(help="Room whose page URLs are printed.")] = "demo",
    demo: Annotated[bool, typer.Option(help="Run offline demo agents (no model) writing into --room.")] = False,
    demo_agents: Annotated[int, typer.Option(help="Number of demo agents.")] = 3,
    demo_tokens_per_second: Annotated[float, typer.Option(help="Streaming pace of each demo agent.")] = 30.0,
    public_url: Annotated[str | None, typer.Option(help="Base URL people reach the relay at, for the printed links.")] = None,
) -> None:
    """Start the relay with the web viewer and print the page URLs (live, and replay when --store is given)."""
    from web import DemoWriterConfig, Viewer, ViewerConfig, run_demo_writers

    write = tokens_from(token, token_file)
    reads = tokens_from(read_token, read_token_file)
    if not write and not reads and not open_access:
        write = [secrets.token_urlsafe(18)]
        reads = [secrets.token_urlsafe(18)]
    relay_config = RelayConfig(
        host=host,
        port=port,
        store_dir=store,
        write_tokens=[SecretStr(t) for t in write],
        read_tokens=[SecretStr(t) for t in reads],
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    viewer = Viewer(relay_config, ViewerConfig(public_url=public_url))

    async def main() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with viewer, anyio.create_task_group() as tg:
                typer.echo(f"relay listening on {viewer.relay.url} (store: {store or 'memory only'})")
                edit, watch = (write or [None])[0], (reads or [None])[0]
                if edit is not None or open_access:
                    typer.echo(f"viewer, read-write (can edit): {viewer.page_url(room, edit)}")
                if watch is not None:
                    typer.echo(f"viewer, read-only:             {viewer.page_url(room, watch)}")
                if store is not None:
                    typer.echo(f"replay:                        {viewer.page_url(room, watch or edit, mode='replay')}")
                else:
                    typer.echo("replay needs --store (no history is kept in memory-only mode)")
                if demo:
                    demo_config = DemoWriterConfig(
                        url=viewer.relay.url,
                        room=room,
                        token=SecretStr(edit) if edit else None,
                        agents=demo_agents,
                        tokens_per_second=demo_tokens_per_second,
                    )
                    tg.start_soon(run_demo_writers, demo_config, typer.echo)
                async for signum in signals:
                    typer.echo(f"received {signal.Signals(signum).name}; flushing rooms")
                    break
                tg.cancel_scope.cancel()

    anyio.run(main)
    report_unflushed(viewer.relay.unflushed)


@app.command()
def run(
    mode: Annotated[
        list[str] | None,
        typer.Option(help="Mode to compare (repeatable; default serial, parallel, auto). See the modes above."),
    ] = None,
    suite: Annotated[str, typer.Option(help="Suite: bundled, classeval, humaneval, projects, or a directory of tasks.")] = "bundled",
    task: Annotated[list[str] | None, typer.Option(help="Task id to run (repeatable; default: the whole suite).")] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data directory of classeval ($CLASSEVAL_DATA) or projects ($PROJECTS_DATA); see `crdt-bench data`.")
    ] = None,
    env_cache: Annotated[
        Path | None, typer.Option("--env-cache", help="projects: where each project's test environment is cached (default ~/.cache/crdt-agents/judge-envs).")
    ] = None,
    agents: Annotated[int, typer.Option(help="Parallelism cap P: implementers in parallel modes.")] = 4,
    runs: Annotated[int, typer.Option(help="Trials per task and mode.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the first run.")] = 0,
    model: Annotated[str, typer.Option(help="Model: scripted (offline default), replay:<recording>, anthropic:<id>, openai:<id>@<url>.")] = "scripted",
    time_scale: Annotated[float, typer.Option(help="Offline latency scale: 1 = real model speed.")] = 0.25,
    profile: Annotated[str, typer.Option(help="Offline latency profile: haiku, sonnet, opus, instant.")] = "sonnet",
    transport: Annotated[str, typer.Option(help="memory (one process) or websocket (a real relay on 127.0.0.1).")] = "memory",
    relay_url: Annotated[
        str | None, typer.Option(help="websocket: use this running relay (ours or Node's y-websocket server) instead of starting one.")
    ] = None,
    relay_token: Annotated[str | None, typer.Option(envvar="CRDT_WS_TOKEN", help="Token for --relay-url (default: $CRDT_WS_TOKEN).")] = None,
    priority: Annotated[str, typer.Option(help="unblocking or fifo.")] = "unblocking",
    objective: Annotated[str, typer.Option(help="What auto optimises: time or tokens.")] = "time",
    drafts: Annotated[int, typer.Option(help="k-way speculative drafts per claim.")] = 1,
    repair_samples: Annotated[
        int, typer.Option(help="Replies per repair once all is drafted: the first committed, the rest kept as spares for the next reopen.")
    ] = 1,
    repair_edits: Annotated[
        bool,
        typer.Option(
            "--repair-edits/--whole-repairs",
            help="A repair asks for SEARCH/REPLACE edits to the code that failed (fewer output tokens), or the whole definition.",
        ),
    ] = True,
    token_budget: Annotated[int | None, typer.Option(help="Output-token cap per trial.")] = None,
    budget: Annotated[float | None, typer.Option(help="Cost cap per trial in USD (priced models).")] = None,
    pyright: Annotated[bool, typer.Option(help="Judge semantic conflicts with a warm pyright.")] = True,
    warm_judge: Annotated[
        bool, typer.Option("--warm-judge/--cold-judge", help="Fork the projects' test runs from a warm sandboxed server, or start each cold.")
    ] = True,
    max_repairs: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Times the judge reopens a TODO that failed its visible checks (default: 2; 0 for replay:, whose "
            "replies cannot change with feedback).",
        ),
    ] = None,
    results: Annotated[
        Path | None,
        typer.Option(help="JSONL file, one row per trial (default runs/<date>-<run id>/results.jsonl); the same command resumes it."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and its token, cost and time estimate; call nothing.")] = False,
    allow_unisolated: Annotated[
        bool, typer.Option(help="Score humaneval/classeval even where the judge cannot hide the host's files (answers included).")
    ] = False,
    concurrency: Annotated[int, typer.Option(help="Trials at once (each has its own replicas, relay and model client).")] = 1,
    executor: Annotated[str, typer.Option(help="local (this process) or ray (Ray actors; pip install 'crdt-agents[ray]').")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="ray: cluster address, e.g. 10.0.0.5:6379 (default: a new local cluster).")] = None,
    record: Annotated[Path | None, typer.Option(help="Store every model reply in this directory; replay it with --model recorded:DIR.")] = None,
    max_consecutive_errors: Annotated[int, typer.Option(help="Stop after this many error trials in a row (exit 1).")] = 3,
    max_calls: Annotated[int | None, typer.Option(help="Model calls in flight at once, over all concurrent trials.")] = None,
    tokens_per_minute: Annotated[int | None, typer.Option(help="Provider token rate cap, over all concurrent trials.")] = None,
    watch: Annotated[
        bool,
        typer.Option(
            help="Print one viewer URL listing the trials and following the running one; without --relay-url a relay "
            "is started (store: <results>.rooms/) and kept up for replay after the run until Ctrl-C."
        ),
    ] = False,
) -> None:
    """Run a suite in each mode and compare them (offline scripted model by default).

    \b
    Modes:
      serial     one implementer, TODOs in dependency order (the baseline)
      parallel   --agents implementers claim any open TODO at once
      waves      parallel, a TODO waits for its predicted dependencies
      seeded     one TODO alone first, so later drafts see a sibling's code
      speculate  parallel; a draft calling a stub it never saw is re-drafted
      revise     speculate; drafts written with nothing in view are revised
      auto       per task, the schedule expected to be right soonest

    Real models: try --dry-run first (plan, tokens, cost, time). The provider's
    key and endpoint are checked before the first trial; rows go to the results
    file as trials finish; run the same command again to resume (--executor ray
    too).
    """
    from pydantic import ValidationError

    import sys

    from ._run import RunConfig
    from ._session import run_command

    # The environment is read here, at the boundary, and flows on in the config (to Ray workers too).
    env_dir = os.environ.get("PROJECTS_DATA" if suite == "projects" else "CLASSEVAL_DATA")
    resolved_dir = (data_dir or (Path(env_dir) if env_dir else None))
    resolved_dir = resolved_dir.resolve() if resolved_dir is not None else None

    repairs = max_repairs
    if repairs is None and model.split(":")[0] == "replay":
        # A repair asks for the same method again, and a recording answers with the same text.
        repairs = 0
        typer.echo("replay: --max-repairs 0 (a recorded reply cannot change with feedback; pass --max-repairs N to override)")
    try:
        config = RunConfig.model_validate(
            {
                "suite": suite,
                "tasks": task or None,
                "data_dir": resolved_dir,
                "env_cache_dir": env_cache.resolve() if env_cache else None,
                "modes": mode or ["serial", "parallel", "auto"],
                "runs": runs,
                "seed": seed,
                "model": model,
                "time_scale": time_scale,
                "profile": profile,
                "pyright": pyright,
                "warm_judge": warm_judge,
                "results": results,
                "allow_unisolated": allow_unisolated,
                "concurrency": concurrency,
                "executor": executor,
                "ray_address": ray_address,
                "record": record,
                "max_consecutive_errors": max_consecutive_errors,
                "max_calls": max_calls,
                "tokens_per_minute": tokens_per_minute,
                "trial": {
                    "transport": "websocket" if relay_url else transport,
                    "relay_url": relay_url,
                    "relay_token": relay_token,
                    "scheduler": {
                        "agents": agents,
                        "priority": priority,
                        "objective": objective,
                        "drafts": drafts,
                        "repair_samples": repair_samples,
                        "token_budget": token_budget,
                        "cost_budget_usd": budget,
                    },
                    "implementer": {"repair_edits": repair_edits},
                    **({"judge": {"max_repairs": repairs}} if repairs is not None else {}),
                },
            }
        )
    except ValidationError as exc:
        raise typer.BadParameter(first_error(exc)) from exc
    token = relay_token
    code = run_command(
        config, dry_run=dry_run, echo=typer.echo, err=lambda line: typer.echo(line, err=True), live=sys.stdout.isatty(),
        watch=(relay_url, token) if watch else None,
    )  # fmt: skip
    raise typer.Exit(code)


@app.command()
def plan(
    task: Annotated[str, typer.Option(help="Task id, e.g. calculator or ClassEval_0.")],
    suite: Annotated[str, typer.Option(help="Suite: bundled, classeval, humaneval, or a directory of tasks.")] = "bundled",
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="CLASSEVAL_DATA", help="ClassEval data directory (default: $CLASSEVAL_DATA).")] = None,
    agents: Annotated[int, typer.Option(min=1, help="Parallelism cap P.")] = 4,
    objective: Annotated[str, typer.Option(help="What auto minimises: time or tokens.")] = "time",
    classifier: Annotated[str, typer.Option(help="Coupling classifier (registry name).")] = "static",
    max_repairs: Annotated[int, typer.Option(min=0, help="The judge's repair cap the run would have (0: a wrong result stays wrong).")] = 2,
) -> None:
    """What auto would run for one task: the classifier's edges and evidence, waves, coupling score, decision and reasons."""
    from agents.coupling import CouplingError
    from agents.scheduler import DecisionConfig

    from ._plan_cmd import render_plan
    from .suites import SuiteError

    if objective not in ("time", "tokens"):
        raise typer.BadParameter(f"objective must be time or tokens, not {objective!r}", param_hint="--objective")
    try:
        decision = DecisionConfig() if max_repairs > 0 else DecisionConfig(repair_rounds=None)
        chosen: Literal["time", "tokens"] = "time" if objective == "time" else "tokens"
        typer.echo(render_plan(suite, task, agents=agents, objective=chosen, classifier=classifier, decision=decision, data_dir=data_dir.resolve() if data_dir else None))
    except (SuiteError, CouplingError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def implement(
    url: Annotated[str, typer.Option(help="Relay websocket URL.")],
    room: Annotated[str, typer.Option(help="Room whose TODOs to implement.")],
    agent_id: Annotated[str, typer.Option(help="This implementer's id (unique in the room).")],
    token: Annotated[str | None, typer.Option(help="Read-write token.", envvar="CRDT_WS_TOKEN")] = None,
    model: Annotated[str, typer.Option(help="Model short name (scripted answers from --suite's references).")] = "scripted",
    suite: Annotated[str, typer.Option(help="Suite whose references scripted answers from.")] = "bundled",
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="CLASSEVAL_DATA", help="ClassEval data (classeval suite, replay models).")] = None,
    time_scale: Annotated[float, typer.Option(help="Offline latency scale.")] = 1.0,
    profile: Annotated[str, typer.Option(help="Offline latency profile.")] = "sonnet",
    fault_rate: Annotated[float, typer.Option(help="scripted: fault probability.")] = 0.3,
    blind_fault_rate: Annotated[float, typer.Option(help="scripted: extra fault rate per unseen dependency.")] = 0.5,
    lease: Annotated[float, typer.Option(help="Claim lease in seconds.")] = 2.0,
    heartbeat: Annotated[float, typer.Option(help="Heartbeat interval in seconds.")] = 0.5,
    pause_at: Annotated[
        str | None,
        typer.Option(envvar="CRDT_BENCH_PAUSE_AT", help="Fault injection: <point>[:<seconds>], e.g. extracted:30 (pause once there)."),
    ] = None,
) -> None:
    """Join a running room as one implementer (another process, another machine) until the run is over."""
    from pydantic import ValidationError

    from agents.models import resolve_model
    from agents.roles import JoinConfig, join_as_implementer

    from ._runner import model_options
    from .suites import SuiteReferences, get_suite

    pause: dict[str, Any] = {}
    if pause_at and pause_at.strip():
        point, _, seconds = pause_at.strip().partition(":")
        try:
            pause = {"pause_at": point, **({"pause_s": float(seconds)} if seconds else {})}
        except ValueError:
            raise typer.BadParameter(f"{pause_at!r}: expected <point>[:<seconds>], e.g. extracted:30", param_hint="--pause-at") from None
    try:
        config = JoinConfig.model_validate(
            {"url": url, "room": room, "token": token, "agent_id": agent_id, "claim": {"lease": lease, "heartbeat_interval": heartbeat}, **pause}
        )
    except ValidationError as exc:
        raise typer.BadParameter(first_error(exc)) from exc
    references = SuiteReferences(get_suite(suite, data_dir=data_dir)) if model.split(":")[0] == "scripted" else None
    options = model_options(
        model, references=references, profile=profile, time_scale=time_scale, fault_rate=fault_rate, blind_fault_rate=blind_fault_rate,
        data_dir=data_dir,
    )  # fmt: skip
    chosen = resolve_model(model, **options)

    async def main() -> None:
        async with chosen:
            stats = await join_as_implementer(config, chosen, ready=lambda: typer.echo(f"{agent_id} joined {room}; model: {chosen.info.label}"))
        typer.echo(f"{agent_id} done: {len(stats.calls)} model calls, {stats.commits} commits")

    anyio.run(main)


@app.command()
def demo(
    mode: Annotated[str, typer.Option(help="parallel or serial.")] = "parallel",
    agents: Annotated[int, typer.Option(help="Number of writer replicas.")] = 4,
    tokens_per_second: Annotated[float, typer.Option(help="Pace of the offline demo writer.")] = 400.0,
) -> None:
    """The workspace without a model: writers stream known methods into one document via a relay."""
    if mode not in ("parallel", "serial"):
        raise typer.BadParameter(f"mode must be parallel or serial, not {mode!r}", param_hint="--mode")
    chosen: Literal["parallel", "serial"] = "parallel" if mode == "parallel" else "serial"
    config = DemoConfig(mode=chosen, agents=agents, tokens_per_second=tokens_per_second)
    result = anyio.run(run_demo, config, typer.echo)
    typer.echo(result.source)
    typer.echo(result.summary())
    if not (result.converged and result.parses):
        raise typer.Exit(1)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True}, add_help_option=False)
def mcp(ctx: typer.Context) -> None:
    """Serve a room's TODOs to an MCP client over stdio (`crdt-bench mcp --help` for the options)."""
    from agents.mcp import app as mcp_app  # the MCP SDK takes seconds to import: only for this command

    mcp_app(args=ctx.args, prog_name="crdt-bench mcp")


# Commands whose options live next to their library (registered last so `--help` lists run first).
app.command("report")(report_command)
app.command("host")(host_command)
app.add_typer(data_app, name="data")
