"""Join a running workspace as an implementer, from another process or another agent system.

The outliner and judge may live anywhere; an implementer only needs the
relay's address, the room and a token.  It waits until the room has a plan,
then runs the same :class:`Implementer` loop as in-process runs, so killing
the process mid-claim or mid-stream is exactly the crash the claim protocol
recovers from (its lease runs out and someone else reclaims).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from pydantic import BaseModel, Field, SecretStr

from claim_protocol import ClaimConfig
from crdt_ws import WebsocketConfig, WebsocketTransport, Workspace

from agents.models import StreamingModel
from agents.scheduler import SchedulerConfig

from ._implementer import Implementer, ImplementerConfig, ImplementerStats

__all__ = ["JoinConfig", "join_as_implementer"]


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
        implementer = Implementer(
            ws,
            model,
            connection=connection,
            scheduler=config.scheduler,
            claim=config.claim,
            config=config.implementer,
            index=config.index,
        )
        return await implementer.run()
