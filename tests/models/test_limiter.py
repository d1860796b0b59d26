"""The per-provider limiter, shared by clients as concurrent trials share it, against the fake servers."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from agents.models import LimiterConfig, ModelRequest, ProviderLimiter, StreamingModel, resolve_model
from agents.models.testing import FakeServer, RecordedRequest, Step, anthropic_error, anthropic_stream

pytestmark = pytest.mark.anyio

TEXT = "def push(self, item):\n    self.items.append(item)\n"


def _client(url: str, limiter: ProviderLimiter) -> StreamingModel:
    retry = {"max_retries": 3, "initial_backoff_s": 0.0, "max_backoff_s": 0.0, "jitter": 0.0}
    return resolve_model("anthropic:claude-sonnet-4-6", base_url=url, limiter=limiter, retry=retry)


async def _call(model: StreamingModel) -> str:
    return (await model.complete(ModelRequest.prompt("x"))).text


class Arrivals:
    """Answers each request with the next step and notes when it arrived (server clock)."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.times: list[float] = []

    def __call__(self, request: RecordedRequest) -> Step:
        del request
        self.times.append(anyio.current_time())
        return self.steps.pop(0)


async def test_retry_after_told_to_one_client_pauses_every_client(api_key: str) -> None:
    # Client A is told 429 retry-after 0.5 s; client B, a separate trial's client started just after,
    # must not send its request before the pause ends, although it never saw a 429 itself.
    arrivals = Arrivals([anthropic_error(429, retry_after=0.5), anthropic_stream(TEXT), anthropic_stream(TEXT)])
    limiter = ProviderLimiter()
    async with FakeServer(responder=arrivals) as server:
        async with _client(server.base_url, limiter) as a, _client(server.base_url, limiter) as b:
            texts: list[str] = []
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: _append(texts, a))
                while not arrivals.times:
                    await anyio.sleep(0.005)
                while limiter.pauses == 0:
                    await anyio.sleep(0.005)
                tg.start_soon(lambda: _append(texts, b))
    assert texts == [TEXT, TEXT] and limiter.pauses == 1
    first_429 = arrivals.times[0]
    assert all(t >= first_429 + 0.5 for t in arrivals.times[1:]), arrivals.times


async def _append(out: list[str], model: StreamingModel) -> None:
    out.append(await _call(model))


async def test_max_concurrent_holds_over_all_clients(api_key: str) -> None:
    # Each stream takes >= 0.1 s (5 gaps of 20 ms); with one slot, requests arrive one stream apart.
    slow: list[Step] = [anthropic_stream(TEXT, delay_between_events_s=0.02) for _ in range(3)]
    arrivals = Arrivals(slow)
    limiter = ProviderLimiter(LimiterConfig(max_concurrent=1))
    async with FakeServer(responder=arrivals) as server:
        clients = [_client(server.base_url, limiter) for _ in range(3)]
        async with anyio.create_task_group() as tg:
            for client in clients:
                tg.start_soon(_call, client)
        for client in clients:
            await client.aclose()
    times = sorted(arrivals.times)
    assert len(times) == 3
    assert all(b - a >= 0.1 for a, b in zip(times, times[1:])), times


async def test_tokens_per_minute_window_blocks_until_room() -> None:
    limiter = ProviderLimiter(LimiterConfig(tokens_per_minute=100))
    async with limiter.admit(60) as spent:
        spent(30)
    with anyio.move_on_after(0.2) as scope:
        async with limiter.admit(20):
            pass  # 90 used + 20 > 100: must wait for the window to roll over
    assert scope.cancelled_caught
    async with limiter.admit(10):
        pass  # exactly at the cap is admitted


async def test_limiter_option_is_checked() -> None:
    from agents.models import ConfigError

    bad: Any = object()
    with pytest.raises(ConfigError, match="ProviderLimiter"):
        resolve_model("openai:m@http://127.0.0.1:1/v1", limiter=bad)
