"""Fixtures for the embedding tests: a real relay with tokens, the bundled suite, offline models.

Everything runs for real on 127.0.0.1: the relay (uvicorn + pycrdt-websocket),
our outliner, implementers and judge from ``agents.roles``, and the external
agents built only on :mod:`agents.embed` (or on an MCP client session).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from agents.judge import Judge
from agents.models import ScriptedConfig, ScriptedModel
from agents.roles import Outliner
from bench import task_inputs
from bench.suites import Suite, SuiteReferences, get_suite
from crdt_ws import Relay, RelayConfig, WebsocketConfig, WebsocketConnection, WebsocketTransport, Workspace

WRITE = "embed-write-token"
READ = "embed-read-token"


@pytest.fixture(scope="session")
def suite() -> Suite:
    return get_suite("bundled")


@pytest.fixture(scope="session")
def judge() -> Judge:
    return Judge()


def scripted(suite: Suite, *, time_scale: float = 0.0, fault_rate: float = 0.0) -> ScriptedModel:
    """The offline model (reference implementations, faults off unless asked): labelled ``scripted (offline...)``."""
    latency = {"profile": "sonnet" if time_scale else "instant", "time_scale": time_scale, "min_chunk_interval_s": 0.005}
    config = ScriptedConfig.model_validate({"fault_rate": fault_rate, "blind_fault_rate": 0.0, "latency": latency})
    return ScriptedModel(SuiteReferences(suite), config)


def relay_config() -> RelayConfig:
    return RelayConfig(port=0, write_tokens=[SecretStr(WRITE)], read_tokens=[SecretStr(READ)])


@dataclass
class Room:
    """A relay room with a published outline, and the outliner's live replica of it."""

    relay: Relay
    name: str
    outliner: Workspace
    connection: WebsocketConnection

    def link(self, token: str = WRITE) -> WebsocketConfig:
        return WebsocketConfig(url=self.relay.url, room=self.name, token=SecretStr(token))


@asynccontextmanager
async def outlined_room(suite: Suite, task_id: str, name: str, *, agents: int = 2) -> AsyncIterator[Room]:
    """Start a relay, outline ``task_id`` into room ``name`` (as ``crdt-bench run`` would) and keep the outliner linked."""
    spec, _ = task_inputs(suite.task(task_id))
    async with AsyncExitStack() as stack:
        relay = await stack.enter_async_context(Relay(relay_config()))
        outliner = Workspace("outliner")
        link = WebsocketConfig(url=relay.url, room=name, token=SecretStr(WRITE))
        connection = await stack.enter_async_context(WebsocketTransport(link).connect(outliner))
        await Outliner(outliner).run(spec, "parallel", agents=agents)
        yield Room(relay, name, outliner, connection)
