"""``crdt-bench host``: open a room for outside agents and judge what they build.

The host publishes a task's outline into a room, runs the judge on it (and
``agents`` built-in implementers, possibly none), prints everything an outside
agent needs (the room, a read-only viewer URL, ready-to-paste MCP
configuration for Claude Code and ``.mcp.json`` clients) and then waits: the
run ends when the judge has passed or failed every TODO, whoever implemented
them.  The pipeline is :func:`agents.team.run_task` with
``implementers=agents`` (possibly 0) and hooks that print the configuration
once the plan is published and the board's progress while the judge runs.
"""

from __future__ import annotations

import json
import math
import secrets
import shlex
import sys
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
from pydantic import BaseModel, Field, SecretStr

from agents.judge import HiddenTests, Judge, Score
from agents.models import StreamingModel
from agents.roles import JudgeConfig, JudgeSummary, RunTimeout, TaskSpec
from agents.scheduler import Mode, SchedulerConfig
from agents.team import TeamConfig, TeamHooks, TeamRun, run_task
from claim_protocol import ClaimConfig
from crdt_ws import RelayConfig, TodoStatus, WebsocketConfig, WebsocketTransport, Workspace

__all__ = ["HostConfig", "HostResult", "host_room", "mcp_entry"]

Echo = Callable[[str], None]


class HostConfig(BaseModel):
    """Where the room lives and who else works in it."""

    relay_url: str | None = Field(
        default=None, description="A running relay to host the room on; None: start one (with the viewer) on host:port."
    )
    token: SecretStr | None = Field(
        default=None, description="Read-write token (given to outside agents); None: generated for a relay we start."
    )
    read_token: SecretStr | None = Field(
        default=None, description="Read-only token for the viewer URL; None: generated for a relay we start, no viewer URL otherwise."
    )
    host: str = Field(default="127.0.0.1", description="Interface the relay we start binds (0.0.0.0 to let other machines in).")
    port: int = Field(default=8765, ge=0, description="TCP port of the relay we start (0: any free port).")
    store: Path | None = Field(
        default=None,
        description="Directory for the started relay's room stores: commits are acknowledged as durable and the viewer "
        "replays the room (None: rooms live in memory only).",
    )
    public_url: str | None = Field(default=None, description="Base URL people reach the started relay at, for the printed links.")
    room: str | None = Field(default=None, description="Room name; None: <task>-hosted-<random>.")
    agents: int = Field(default=0, ge=0, description="Built-in implementers working beside the outside agents (0: outside agents only).")
    mode: Mode = Field(default="parallel", description="Plan mode published with the outline (parallel lets every agent claim any TODO).")
    claim: ClaimConfig = Field(default_factory=ClaimConfig, description="Claim timing of the built-in agents (outside agents use the same defaults).")
    judge: JudgeConfig = Field(default_factory=JudgeConfig, description="Judge agent options (repairs reopen failing TODOs for anyone to claim).")
    claim_idle_s: float = Field(default=120.0, gt=0, description="The printed MCP configuration's --claim-idle: seconds a silent client keeps its claims.")
    agent_id: str = Field(default="claude-1", description="Agent id in the printed MCP configuration (each client needs its own).")
    timeout_s: float | None = Field(default=None, gt=0, description="Stop waiting after this many seconds (phase aborted); None: wait until judged.")


class HostResult(BaseModel):
    """What a hosted run ended with."""

    room: str
    phase: str
    todos: int
    passed: int = Field(description="TODOs whose last verdict is pass.")
    done_by: dict[str, int] = Field(description="Completed TODOs per agent.")
    summary: JudgeSummary
    score: Score = Field(description="Hidden tests on the final buffer (reported, never shown to agents).")


def mcp_entry(url: str, room: str, token: str | None, agent_id: str, claim_idle_s: float) -> tuple[list[str], dict[str, str]]:
    """The MCP server command line for one outside agent, and the environment carrying its token."""
    bench = Path(sys.executable).with_name("crdt-bench")
    command = [str(bench), "mcp"] if bench.exists() else [sys.executable, "-m", "agents.mcp"]
    args = ["--url", url, "--room", room, "--agent-id", agent_id, "--claim-idle", f"{claim_idle_s:g}"]
    return [*command, *args], ({"CRDT_WS_TOKEN": token} if token else {})


def _announce(echo: Echo, config: HostConfig, url: str, room: str, token: str | None, viewer: str | None, todos: int) -> None:
    command, env = mcp_entry(url, room, token, config.agent_id, config.claim_idle_s)
    name = f"crdt-{room}"[:60]
    echo(f"room:    {url.rstrip('/')}/{room}  ({todos} TODOs; relay {url}, room {room})")
    echo(f"viewer:  {viewer}  (read-only)" if viewer else "viewer:  none (pass --read-token of a `crdt-bench serve` relay for a URL)")
    if config.relay_url is None:
        echo(f"store:   {config.store}" if config.store else "store:   none (rooms in memory only)")
    env_args = " ".join(f"-e {k}={shlex.quote(v)}" for k, v in env.items())
    echo("Claude Code (each agent needs its own --agent-id):")
    echo(f"  claude mcp add {env_args + ' ' if env_args else ''}{name} -- {shlex.join(command)}")
    entry = {"mcpServers": {name: {"type": "stdio", "command": command[0], "args": command[1:], "env": env}}}
    echo("MCP configuration (.mcp.json):")
    echo(json.dumps(entry, indent=2))
    echo("")
    echo("waiting for implementers; the run ends when the judge has passed or failed every TODO (Ctrl-C stops)")


class _Hooks(TeamHooks):
    """Print how to join once the plan is published, then a line per change of the board."""

    def __init__(self, config: HostConfig, echo: Echo, url: str, room: str, token: str | None, viewer: str | None) -> None:
        self.config, self.echo, self.url, self.room, self.token, self.viewer = config, echo, url, room, token, viewer
        self.run: TeamRun | None = None

    async def published(self, run: TeamRun) -> None:
        self.run = run
        _announce(self.echo, self.config, self.url, self.room, self.token, self.viewer, len(run.outliner.list_todos()))

    async def during(self, run: TeamRun) -> None:
        await _progress(run.outliner, self.echo)


async def host_room(
    spec: TaskSpec,
    hidden: HiddenTests,
    config: HostConfig,
    *,
    judge: Judge,
    model: StreamingModel | None = None,
    echo: Echo = print,
) -> HostResult:
    """Publish ``spec``, print how to join, judge until every TODO is settled (``agents.team.run_task``); score it."""
    room = config.room or f"{spec.id}-hosted-{secrets.token_hex(3)}".replace("/", "_")
    team = TeamConfig(
        scheduler=SchedulerConfig(agents=max(1, config.agents)),
        claim=config.claim,
        judge=config.judge,
        timeout_s=config.timeout_s or math.inf,
        implementers=config.agents,
    )
    async with AsyncExitStack() as stack:
        url, token, viewer = await _relay(stack, config, room)
        link = WebsocketTransport(WebsocketConfig.model_validate({"url": url, "room": room} | ({"token": token} if token else {})))
        hooks = _Hooks(config, echo, url, room, token.get_secret_value() if token else None, viewer)
        try:
            result = await run_task(spec, model, link.connect, judge=judge, mode=config.mode, config=team, hooks=hooks)
            todos, source, phase, summary = result.todos, result.source, result.phase, result.judge
        except RunTimeout:
            if hooks.run is None:
                raise
            echo(f"stopped after {config.timeout_s:g}s: phase aborted")
            todos, source = hooks.run.judge.list_todos(), hooks.run.judge.read(spec.file)
            phase, summary = "aborted", JudgeSummary()
    score = await judge.score(source, hidden)
    done_by: dict[str, int] = {}
    for t in todos:
        if t.status == TodoStatus.DONE and t.done_by:
            done_by[t.done_by] = done_by.get(t.done_by, 0) + 1
    passed = sum(t.verdict == "pass" for t in todos)
    result = HostResult(room=room, phase=phase, todos=len(todos), passed=passed, done_by=done_by, summary=summary, score=score)
    echo(
        f"judge: phase {phase}, {passed}/{len(todos)} TODOs pass their checks; done by "
        + (", ".join(f"{a} {n}" for a, n in sorted(done_by.items())) or "nobody")
    )
    classes = score.test_classes
    passing = sum(c.status == "success" for c in classes)
    echo(f"hidden tests: {score.verdict}" + (f" ({passing}/{len(classes)} test classes)" if classes else ""))
    return result


async def _relay(stack: AsyncExitStack, config: HostConfig, room: str) -> tuple[str, SecretStr | None, str | None]:
    """(relay URL, write token, viewer URL): the given relay, or one we start with the viewer."""
    if config.relay_url is not None:
        viewer = None
        if config.read_token is not None:
            base = config.public_url or config.relay_url.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
            viewer = f"{base.rstrip('/')}/view/{room}?token={config.read_token.get_secret_value()}"
        return config.relay_url, config.token, viewer
    from web import Viewer, ViewerConfig  # the viewer's HTTP side only when we start the relay

    token = config.token or SecretStr(secrets.token_urlsafe(18))
    read = config.read_token or SecretStr(secrets.token_urlsafe(18))
    relay = RelayConfig(host=config.host, port=config.port, store_dir=config.store, write_tokens=[token], read_tokens=[read])
    started = await stack.enter_async_context(Viewer(relay, ViewerConfig(public_url=config.public_url)))
    return started.relay.url, token, started.page_url(room, read.get_secret_value())


async def _progress(ws: Workspace, echo: Echo) -> None:
    """One line whenever the board changes: how many TODOs are claimed, done, passed."""
    last: Any = None
    while True:
        todos = ws.list_todos()
        now = (
            sum(t.status == TodoStatus.CLAIMED for t in todos),
            sum(t.status == TodoStatus.DONE for t in todos),
            sum(t.verdict == "pass" for t in todos),
            sum(t.status == TodoStatus.FAILED for t in todos),
        )
        if now != last:
            last = now
            echo(f"  {now[0]} claimed, {now[1]}/{len(todos)} done, {now[2]} pass, {now[3]} failed")
        await anyio.sleep(0.5)
