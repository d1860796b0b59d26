"""Budget shared by all calls of a run: token cap, cost cap, parallelism cap."""

from __future__ import annotations

import anyio
import pytest

from agents.models import (
    Budget,
    BudgetExceeded,
    DictReferences,
    LatencyConfig,
    ModelRequest,
    ScriptedConfig,
    ScriptedModel,
    resolve_model,
)
from agents.models.testing import FakeServer, anthropic_stream

pytestmark = pytest.mark.anyio

REFS = DictReferences({("t", f"C.m{i}"): f"def m{i}(self):\n    return {i}\n" for i in range(20)})


def _scripted(budget: Budget, **latency: object) -> ScriptedModel:
    config = ScriptedConfig(fault_rate=0.0, latency=LatencyConfig.model_validate({"profile": "instant", **latency}))
    return ScriptedModel(REFS, config, budget=budget)


async def test_token_cap_refuses_before_the_call_and_loses_nothing() -> None:
    budget = Budget(max_tokens=300)
    model = _scripted(budget)
    request = ModelRequest(task_id="t", symbol="C.m1", max_tokens=100)
    done = [await model.complete(request) for _ in range(2)]
    spent = budget.snapshot().tokens_used
    assert spent == sum(c.usage.total_tokens for c in done) and spent > 0
    while True:
        try:
            await model.complete(request)
        except BudgetExceeded as err:
            assert err.kind == "token" and err.cap == 300
            break
    snap = budget.snapshot()
    assert snap.tokens_used <= 300, "reservations keep the run under its cap"
    assert snap.refused == 1 and snap.in_flight == 0 and snap.reserved_tokens == 0


async def test_parallelism_cap_limits_concurrent_calls() -> None:
    budget = Budget(max_parallel=3)
    model = _scripted(budget, profile="haiku", time_scale=0.05, jitter=0.0)
    peak = 0

    async def call(i: int) -> None:
        nonlocal peak
        async with model.stream(ModelRequest(task_id="t", symbol=f"C.m{i}")) as stream:
            peak = max(peak, budget.snapshot().in_flight)
            async for _ in stream:
                peak = max(peak, budget.snapshot().in_flight)

    async with anyio.create_task_group() as tg:
        for i in range(12):
            tg.start_soon(call, i)
    assert peak == 3
    assert budget.snapshot().calls == 12


async def test_cost_cap_with_real_prices(api_key: str) -> None:
    budget = Budget(max_cost_usd=0.05)
    # Opus 4.6 at $5/$25 per MTok: max_tokens=1000 reserves >= $0.025, so after two calls (~$0.023 each) the third is refused.
    async with FakeServer([anthropic_stream("ok", input_tokens=100, output_tokens=900)] * 3) as server:
        async with resolve_model("anthropic:claude-opus-4-6", base_url=server.base_url, budget=budget) as model:
            request = ModelRequest.prompt("hi", max_tokens=1000)
            first = await model.complete(request)
            assert first.usage.cost_usd == pytest.approx((100 * 5 + 900 * 25) / 1e6)
            with pytest.raises(BudgetExceeded, match="cost budget exceeded"):
                await model.complete(request)
                await model.complete(request)
    snap = budget.snapshot()
    assert snap.cost_usd <= 0.05 and snap.refused == 1
    assert len(server.requests) == snap.calls, "a refused call never reaches the provider"


async def test_unpriced_model_is_refused_under_a_cost_cap(api_key: str) -> None:
    budget = Budget(max_cost_usd=1.0)
    async with resolve_model("anthropic:claude-unknown-9", base_url="http://127.0.0.1:9", budget=budget) as model:
        with pytest.raises(BudgetExceeded, match="no known price"):
            await model.complete(ModelRequest.prompt("hi"))


async def test_abandoned_stream_releases_its_slot_and_is_billed() -> None:
    budget = Budget(max_parallel=1)
    model = _scripted(budget, profile="haiku", time_scale=0.01, jitter=0.0)
    async with model.stream(ModelRequest(task_id="t", symbol="C.m3")) as stream:
        async for _ in stream:
            break
    snap = budget.snapshot()
    assert snap.in_flight == 0 and snap.calls == 1 and snap.tokens_used > 0
    with anyio.fail_after(2):
        await model.complete(ModelRequest(task_id="t", symbol="C.m4"))
