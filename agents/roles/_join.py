"""Join a running workspace as an implementer, from another process or another agent system.

The outliner and judge may live anywhere; an implementer only needs the
relay's address, the room and a token.  It waits until the room has a plan,
then runs the same :class:`Implementer` loop as in-process runs, so killing
the process mid-claim or mid-stream is exactly the crash the claim protocol
recovers from (its lease runs out and someone else reclaims).

Fault injection needs one crash point that cannot be hit from outside by
watching the document: after the reply's implementation was extracted and
before the commit (commit and ``done`` are one transaction, so there is no
document state in between).  ``pause_at="extracted"`` (or the environment
variable ``CRDT_BENCH_PAUSE_AT=extracted[:seconds]``, read when the config is
built) makes the implementer log a ``pause`` event there, then sleep while its
heartbeats keep the claim alive, once per process: a driver that sees the event
kills the process exactly mid-commit (``bench.micro.fault_injection``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import anyio
from pydantic import BaseModel, Field, SecretStr

from claim_protocol import ClaimConfig
from crdt_ws import TodoEntry, WebsocketConfig, WebsocketTransport, Workspace
from merge import Extraction

from agents.models import StreamingModel
from agents.scheduler import SchedulerConfig

from ._commit import Implementation
from ._implementer import Implementer, ImplementerConfig
from ._records import ImplementerStats

__all__ = ["JoinConfig", "join_as_implementer", "PausePoint"]

PausePoint = Literal["extracted"]
"""Named points an implementer can pause at (fault injection): ``extracted`` = after extraction, before the commit."""

class JoinConfig(BaseModel):
    """Where to join and as whom."""

    url: str = Field(description="Relay websocket URL, e.g. ws://127.0.0.1:8765.")
    room: str = Field(description="Room (workspace) to join.")
    token: SecretStr | None = Field(default=None, description="Read-write token of the relay.")
    agent_id: str = Field(description="This implementer's id (unique in the room).")
    index: int = Field(default=0, ge=0, description="Picks the colour the viewer draws this agent in.")
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig, description="Priority, drafts, backpressure.")
    claim: ClaimConfig = Field(default_factory=ClaimConfig, description="Claim protocol timing (lease, heartbeat).")
    implementer: ImplementerConfig = Field(default_factory=ImplementerConfig, description="Implementer options.")
    plan_timeout_s: float = Field(default=60.0, gt=0, description="How long to wait for the outliner's plan.")
    pause_at: PausePoint | None = Field(
        default=None,
        description="Fault injection: pause once at this point (logging a `pause` event) so a driver can kill the "
        "process there (`crdt-bench implement --pause-at`, or $CRDT_BENCH_PAUSE_AT read by that command). None: never pause.",
    )
    pause_s: float = Field(default=60.0, gt=0, description="How long the pause lasts (heartbeats continue).")


class _PausingImplementer(Implementer):
    """An implementer that stops once at a named point (fault injection); otherwise unchanged."""

    def __init__(self, *args: Any, pause_at: PausePoint, pause_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pause_at = pause_at
        self.pause_s = pause_s
        self._paused = False

    async def commit(self, entry: TodoEntry, extraction: Extraction) -> Implementation:
        if self.pause_at == "extracted" and not self._paused:
            self._paused = True
            self.workspace.log("pause", entry.id, point="extracted", seconds=self.pause_s)
            await anyio.sleep(self.pause_s)
        return await super().commit(entry, extraction)


async def join_as_implementer(
    config: JoinConfig, model: StreamingModel, *, ready: Callable[[], Any] | None = None
) -> ImplementerStats:
    """Connect, wait for a plan in ``meta``, implement until the run is over."""
    ws = Workspace(config.agent_id)
    link = WebsocketConfig(url=config.url, room=config.room, token=config.token)
    async with WebsocketTransport(link).connect(ws) as connection:
        planned = anyio.Event()

        def check(_: object) -> None:
            if "plan" in ws.meta:
                planned.set()

        sub = ws.meta.observe(check)
        try:
            check(None)
            with anyio.fail_after(config.plan_timeout_s):
                await planned.wait()
        finally:
            ws.meta.unobserve(sub)
        if ready is not None:
            ready()
        options: dict[str, Any] = dict(
            connection=connection,
            scheduler=config.scheduler,
            claim=config.claim,
            config=config.implementer,
            index=config.index,
        )
        if config.pause_at is None:
            implementer = Implementer(ws, model, **options)
        else:
            implementer = _PausingImplementer(ws, model, pause_at=config.pause_at, pause_s=config.pause_s, **options)
        return await implementer.run()
