"""Python agents through Node's stock y-websocket server instead of our relay.

Nothing of ours runs in that server: no tokens, no read-only role, no store,
no close codes.  Outliner, implementers, judge (``bench.run_trial`` with
``relay_url``) and an agent on :mod:`agents.embed` must still work, using only
the y-websocket protocol (sync step 1/2, updates, awareness; room in the path).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import anyio
import pytest
from pydantic import SecretStr

from agents.embed import EmbedConfig, TodoStatus, connect
from agents.judge import Judge
from agents.roles import Outliner
from bench import task_inputs
from bench._metrics import TrialResult
from bench._trial import TrialConfig, run_trial
from bench.suites import Suite, SuiteReferences, get_suite
from agents.models import ScriptedConfig, ScriptedModel
from crdt_ws import WebsocketConfig, WebsocketTransport, Workspace

pytestmark = [pytest.mark.node, pytest.mark.anyio]

NodeRelay = Callable[[], AbstractAsyncContextManager[str]]


@pytest.fixture(scope="module")
def suite() -> Suite:
    return get_suite("bundled")


def scripted(suite: Suite) -> ScriptedModel:
    config = ScriptedConfig.model_validate({"fault_rate": 0.0, "blind_fault_rate": 0.0, "latency": {"profile": "instant"}})
    return ScriptedModel(SuiteReferences(suite), config)


async def test_trials_run_to_the_end_through_the_node_server(suite: Suite, node_relay: NodeRelay) -> None:
    judge = Judge()
    results: dict[str, TrialResult] = {}

    async def trial(url: str, task_id: str) -> None:
        spec, hidden = task_inputs(suite.task(task_id))
        config = TrialConfig.model_validate(
            {"transport": "websocket", "relay_url": url, "timeout_s": 90, "scheduler": {"agents": 3}}
        )
        async with scripted(suite) as model:
            results[task_id] = await run_trial(spec, hidden, "parallel", model, config, judge=judge)

    async with node_relay() as url:
        async with anyio.create_task_group() as tg:  # two rooms on the one server at once
            for task_id in ("calculator", "bank_ledger"):
                tg.start_soon(trial, url, task_id)
    for task_id, result in results.items():
        assert result.passed, f"{task_id}: hidden tests failed ({result.test_classes_passed}/{result.test_classes})"
        assert result.visible_pass == result.stubs == len(suite.task(task_id).stubs()) and result.double_claims == 0
        assert result.mode == "parallel" and result.agents == 3 and result.provider.startswith("scripted (offline")
    assert set(results) == {"calculator", "bank_ledger"}


async def test_an_embedded_agent_works_through_the_node_server(suite: Suite, node_relay: NodeRelay) -> None:
    spec, _ = task_inputs(suite.task("bank_ledger"))
    async with node_relay() as url:
        # The Node server ignores the token: the query string must not get in the way of the room name.
        link = WebsocketConfig(url=url + "/", room="node-embed", token=SecretStr("ignored by node"))
        outliner = Workspace("outliner")
        async with WebsocketTransport(link).connect(outliner) as connection:
            assert await connection.round_trip() < 5  # the sync probe the claim protocol relies on
            await Outliner(outliner).run(spec, "parallel", agents=1)
            config = EmbedConfig(url=url, room="node-embed", agent_id="ext", token=SecretStr("x"))
            async with connect(config) as session:
                assert not session.read_only  # its write came back through the Node server
                todo = next(t for t in session.todos() if not t.deps)
                async with session.claim(todo.id) as claim:
                    assert todo.symbol in claim.context().prompt
                    await claim.commit(suite.task("bank_ledger").reference)
                with anyio.fail_after(5):
                    while outliner.todo(todo.id).status != TodoStatus.DONE:
                        await anyio.sleep(0.01)
                assert outliner.todo(todo.id).done_by == "ext"
                # Awareness crosses the Node server too (the viewer's cursors).
                with anyio.fail_after(5):
                    while not any(p.agent == "ext" for p in outliner.presences().values()):
                        await anyio.sleep(0.01)
