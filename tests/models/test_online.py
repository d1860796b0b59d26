"""Real anthropic SDK and real httpx against fake servers on 127.0.0.1 speaking the real wire formats."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from agents.models import (
    Budget,
    ModelRequest,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StreamingModel,
    StreamInterrupted,
    resolve_model,
)
from agents.models.testing import (
    FakeServer,
    JSONReply,
    SSEReply,
    anthropic_error,
    anthropic_error_event,
    anthropic_events,
    anthropic_stream,
    openai_chunks,
    openai_error,
    openai_stream,
)

pytestmark = pytest.mark.anyio

TEXT = "Here is the code:\n```python\ndef push(self, item):\n    self.items.append(item)\n```\n"
FAST_RETRY = {"max_retries": 2, "initial_backoff_s": 0.01, "max_backoff_s": 0.02}


@dataclass
class Flavor:
    """One online provider: how to script its server and build its model."""

    name: str
    events: Callable[..., list[bytes]]
    error: Callable[..., JSONReply]
    unavailable_status: int
    make: Callable[[str, dict[str, Any]], StreamingModel]
    # index of the first event carrying text: disconnecting before it must be retried transparently
    first_text_event: int


def _anthropic(base_url: str, options: dict[str, Any]) -> StreamingModel:
    return resolve_model("anthropic:claude-sonnet-4-6", base_url=base_url, **options)


def _openai(base_url: str, options: dict[str, Any]) -> StreamingModel:
    return resolve_model(f"openai:qwen2.5-coder@{base_url}/v1", **options)


FLAVORS = [
    Flavor("anthropic", anthropic_events, anthropic_error, 529, _anthropic, first_text_event=3),
    Flavor("openai", openai_chunks, openai_error, 503, _openai, first_text_event=1),
]


@pytest.fixture(params=FLAVORS, ids=lambda f: f.name)
def flavor(request: pytest.FixtureRequest, api_key: str) -> Flavor:
    return request.param


def _stream(flavor: Flavor, text: str = TEXT, **kwargs: Any) -> SSEReply:
    options = {k: v for k, v in kwargs.items() if k in SSEReply.__dataclass_fields__}
    return SSEReply(events=flavor.events(text, **{k: v for k, v in kwargs.items() if k not in options}), **options)


async def _run(model: StreamingModel, request: ModelRequest | None = None) -> tuple[list[str], Any]:
    chunks: list[str] = []
    async with model.stream(request or ModelRequest.prompt("implement push")) as stream:
        async for chunk in stream:
            chunks.append(chunk)
    return chunks, stream.usage


async def test_streams_text_and_reports_usage(flavor: Flavor) -> None:
    async with FakeServer([_stream(flavor)]) as server:
        async with flavor.make(server.base_url, {}) as model:
            chunks, usage = await _run(model)
    assert len(chunks) > 3, "the reply must arrive in several chunks"
    assert "".join(chunks) == TEXT
    assert usage.provider == flavor.name and not usage.offline and not usage.estimated
    assert usage.input_tokens == 20 and usage.attempts == 1
    assert usage.ttft_s is not None and 0 <= usage.ttft_s <= usage.duration_s
    assert len(server.requests) == 1


async def test_rate_limited_then_success_honours_retry_after(flavor: Flavor) -> None:
    steps = [flavor.error(429, retry_after=0.3), _stream(flavor)]
    async with FakeServer(steps) as server:
        async with flavor.make(server.base_url, {"retry": FAST_RETRY}) as model:
            start = time.monotonic()
            chunks, usage = await _run(model)
            elapsed = time.monotonic() - start
    assert "".join(chunks) == TEXT
    assert usage.attempts == 2 and len(server.requests) == 2
    assert elapsed >= 0.3, "the server's retry-after must be honoured over the 10 ms back-off"


async def test_persistent_rate_limit_raises_typed_error(flavor: Flavor) -> None:
    async with FakeServer([flavor.error(429)] * 3) as server:
        async with flavor.make(server.base_url, {"retry": FAST_RETRY}) as model:
            with pytest.raises(RateLimited) as info:
                await _run(model)
    assert info.value.status == 429 and info.value.attempts == 3
    assert len(server.requests) == 3


async def test_overloaded_is_retried_then_gives_up(flavor: Flavor) -> None:
    status = flavor.unavailable_status
    async with FakeServer([flavor.error(status), flavor.error(status), _stream(flavor)]) as server:
        async with flavor.make(server.base_url, {"retry": FAST_RETRY}) as model:
            chunks, usage = await _run(model)
            assert "".join(chunks) == TEXT and usage.attempts == 3
            server.add(*[flavor.error(status)] * 3)
            with pytest.raises(ProviderUnavailable) as info:
                await _run(model)
    assert info.value.status == status and info.value.attempts == 3


async def test_client_errors_are_not_retried(flavor: Flavor) -> None:
    async with FakeServer([flavor.error(400), _stream(flavor)]) as server:
        async with flavor.make(server.base_url, {"retry": FAST_RETRY}) as model:
            with pytest.raises(ProviderRejected) as info:
                await _run(model)
    assert info.value.status == 400
    assert len(server.requests) == 1


async def test_disconnect_before_any_text_is_retried_transparently(flavor: Flavor) -> None:
    broken = _stream(flavor, disconnect_after=flavor.first_text_event)
    async with FakeServer([broken, _stream(flavor)]) as server:
        async with flavor.make(server.base_url, {"retry": FAST_RETRY}) as model:
            chunks, usage = await _run(model)
    assert "".join(chunks) == TEXT
    assert usage.attempts == 2


async def test_mid_stream_disconnect_raises_with_partial_text(flavor: Flavor) -> None:
    budget = Budget()
    broken = _stream(flavor, disconnect_after=flavor.first_text_event + 3)
    async with FakeServer([broken, _stream(flavor)]) as server:
        async with flavor.make(server.base_url, {"retry": FAST_RETRY}) as model:
            model.budget = budget
            received: list[str] = []
            with pytest.raises(StreamInterrupted) as info:
                async with model.stream(ModelRequest.prompt("x")) as stream:
                    async for chunk in stream:
                        received.append(chunk)
    assert received, "some text arrived before the drop"
    assert info.value.partial_text == "".join(received)
    assert TEXT.startswith(info.value.partial_text) and info.value.partial_text != TEXT
    assert isinstance(info.value.__cause__, ProviderUnavailable)
    assert len(server.requests) == 1, "text already delivered: no silent retry"
    snap = budget.snapshot()
    assert snap.calls == 1 and snap.tokens_used > 0 and snap.in_flight == 0, "a broken call is still billed"


async def test_clean_close_without_end_marker_is_a_dropped_stream(flavor: Flavor) -> None:
    events = flavor.events(TEXT)
    truncated = SSEReply(events=events[: flavor.first_text_event])  # proper chunked end, no message_stop/[DONE]
    async with FakeServer([truncated, _stream(flavor)]) as server:
        async with flavor.make(server.base_url, {"retry": FAST_RETRY}) as model:
            chunks, usage = await _run(model)
    assert "".join(chunks) == TEXT and usage.attempts == 2


async def test_slow_first_byte_times_out_and_is_retried(flavor: Flavor) -> None:
    slow = _stream(flavor, delay_before_headers_s=2.0)
    options = {"retry": FAST_RETRY, "timeout_s": 0.3}
    async with FakeServer([slow, _stream(flavor)]) as server:
        async with flavor.make(server.base_url, options) as model:
            chunks, usage = await _run(model)
            assert "".join(chunks) == TEXT and usage.attempts == 2
            server.add(slow, slow, slow)
            with pytest.raises(ProviderTimeout):
                await _run(model)


async def test_stall_after_text_is_an_interrupted_stream(flavor: Flavor) -> None:
    stalled = _stream(flavor, stall_after=flavor.first_text_event + 2, stall_s=5.0)
    async with FakeServer([stalled]) as server:
        async with flavor.make(server.base_url, {"retry": FAST_RETRY, "timeout_s": 0.3}) as model:
            with pytest.raises(StreamInterrupted) as info:
                await _run(model)
    assert isinstance(info.value.__cause__, ProviderTimeout)
    assert info.value.partial_text and TEXT.startswith(info.value.partial_text)


async def test_error_event_inside_stream_before_text_is_retried(api_key: str) -> None:
    events = anthropic_events(TEXT)
    overloaded = SSEReply(events=[*events[:2], anthropic_error_event("overloaded_error")])
    async with FakeServer([overloaded, anthropic_stream(TEXT)]) as server:
        async with _anthropic(server.base_url, {"retry": FAST_RETRY}) as model:
            chunks, usage = await _run(model)
    assert "".join(chunks) == TEXT and usage.attempts == 2


async def test_anthropic_usage_and_cost_with_cache(api_key: str) -> None:
    reply = anthropic_stream(TEXT, input_tokens=50, output_tokens=40, cache_write_tokens=2000, cache_read_tokens=3000)
    async with FakeServer([reply]) as server:
        async with _anthropic(server.base_url, {}) as model:
            _, usage = await _run(model)
    assert (usage.input_tokens, usage.output_tokens) == (50, 40)
    assert (usage.cache_write_tokens, usage.cache_read_tokens) == (2000, 3000)
    assert usage.stop_reason == "end_turn"
    # Sonnet 4.6 list prices per MTok: 3 in, 15 out, 3.75 cache write, 0.30 cache read.
    expected = (50 * 3 + 40 * 15 + 2000 * 3.75 + 3000 * 0.30) / 1e6
    assert usage.cost_usd == pytest.approx(expected)


async def test_anthropic_request_wire_format_and_cache_control(api_key: str) -> None:
    long_system = "You implement one method of a Python class. " * 300  # ~2700 tokens > Sonnet's 1024 minimum
    async with FakeServer([anthropic_stream(TEXT), anthropic_stream(TEXT)]) as server:
        async with _anthropic(server.base_url, {}) as model:
            await _run(model, ModelRequest.prompt("go", system=long_system, max_tokens=300, temperature=0.0))
            await _run(model, ModelRequest.prompt("go", system="short system prompt"))
    first, second = (r.json() for r in server.requests)
    assert server.requests[0].path == "/v1/messages"
    assert first["stream"] is True and first["model"] == "claude-sonnet-4-6" and first["max_tokens"] == 300
    assert first["temperature"] == 0.0
    assert first["messages"] == [{"role": "user", "content": "go"}]
    assert first["system"] == [{"type": "text", "text": long_system, "cache_control": {"type": "ephemeral"}}]
    assert second["system"] == [{"type": "text", "text": "short system prompt"}]
    assert "temperature" not in second
    assert "anthropic-version" in server.requests[0].headers


async def test_openai_request_wire_format_and_usage(api_key: str) -> None:
    reply = openai_stream(TEXT, prompt_tokens=120, completion_tokens=33, cached_tokens=100)
    async with FakeServer([reply]) as server:
        async with _openai(server.base_url, {}) as model:
            _, usage = await _run(model, ModelRequest.prompt("go", system="be brief", max_tokens=64))
    body = server.requests[0].json()
    assert server.requests[0].path == "/v1/chat/completions"
    assert body["messages"] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "go"}]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True} and body["max_tokens"] == 64
    # prompt_tokens include cached ones; Usage.input_tokens counts only uncached.
    assert (usage.input_tokens, usage.cache_read_tokens, usage.output_tokens) == (20, 100, 33)
    assert usage.cost_usd == 0.0 and usage.stop_reason == "stop" and not usage.estimated


async def test_openai_without_usage_chunk_estimates_tokens(api_key: str) -> None:
    async with FakeServer([openai_stream(TEXT, include_usage=False)]) as server:
        async with _openai(server.base_url, {"include_usage": False}) as model:
            _, usage = await _run(model)
    assert usage.estimated and usage.output_tokens > 0 and usage.input_tokens > 0
    assert "stream_options" not in server.requests[0].json()


async def test_cancelled_caller_closes_stream_and_settles_budget(flavor: Flavor) -> None:
    budget = Budget(max_parallel=1)
    slow = _stream(flavor, delay_between_events_s=0.05)
    async with FakeServer([slow, _stream(flavor)]) as server:
        async with flavor.make(server.base_url, {}) as model:
            model.budget = budget
            received: list[str] = []
            # Cancelled by the caller once text has arrived (not after a time window: the first call
            # also imports the SDK and connects, which takes an unknown time on a loaded machine).
            with anyio.CancelScope() as scope:
                async with model.stream(ModelRequest.prompt("x")) as stream:
                    async for chunk in stream:
                        received.append(chunk)
                        if len(received) == 2:
                            scope.cancel()
                            await anyio.sleep(0)  # the cancellation is delivered at this checkpoint
            assert scope.cancelled_caught and len(received) == 2 and "".join(received) != TEXT
            snap = budget.snapshot()
            assert snap.in_flight == 0 and snap.calls == 1, "the cancelled call is billed and its slot released"
            with anyio.fail_after(5):
                chunks, _ = await _run(model)  # the parallelism slot is free again
    assert "".join(chunks) == TEXT
