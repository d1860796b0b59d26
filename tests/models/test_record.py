"""--record / recorded:DIR: a paid run's replies, captured through the real SDKs, replayed offline byte for byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from agents.models import (
    ConfigError,
    ModelRequest,
    RecordingModel,
    StreamingModel,
    UnknownRequest,
    request_fingerprint,
    resolve_model,
)
from agents.models.testing import FakeServer, SSEReply, anthropic_stream, openai_stream

pytestmark = pytest.mark.anyio

TEXT = "Here it is:\n```python\ndef push(self, item):\n    self.items.append(item)  # é ✓\n```\n"
OTHER = "```python\ndef pop(self):\n    return self.items.pop()\n```\n"


def _anthropic(url: str) -> StreamingModel:
    return resolve_model("anthropic:claude-sonnet-4-6", base_url=url)


def _openai(url: str) -> StreamingModel:
    return resolve_model(f"openai:qwen2.5-coder@{url}/v1")


FLAVORS: list[tuple[str, Callable[[str], StreamingModel], Callable[..., SSEReply]]] = [
    ("anthropic", _anthropic, anthropic_stream),
    ("openai", _openai, openai_stream),
]


async def _chunks(model: StreamingModel, request: ModelRequest) -> tuple[list[str], Any]:
    out: list[str] = []
    async with model.stream(request) as stream:
        async for chunk in stream:
            out.append(chunk)
    return out, stream.usage


@pytest.mark.parametrize(("name", "make", "reply"), FLAVORS, ids=[f[0] for f in FLAVORS])
async def test_recorded_run_replays_byte_for_byte_with_its_pacing(
    tmp_path: Path, api_key: str, name: str, make: Callable[[str], StreamingModel], reply: Callable[..., SSEReply]
) -> None:
    push = ModelRequest.prompt("implement push", system="be brief", task_id="T", symbol="Stack.push", seed=3)
    pop = ModelRequest.prompt("implement pop", task_id="T", symbol="Stack.pop", seed=3)
    steps = [reply(TEXT, delay_between_events_s=0.03), reply(OTHER), reply(TEXT.upper())]
    async with FakeServer(steps) as server:
        async with RecordingModel(make(server.base_url), tmp_path) as recording:
            paid_push, paid_usage = await _chunks(recording, push)
            paid_pop, _ = await _chunks(recording, pop)
            again, _ = await _chunks(recording, push)  # the same request asked twice: both replies kept
    assert "".join(paid_push) == TEXT and "".join(again) == TEXT.upper()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["model"] == recording.info.label

    # The server is gone: the replay answers from the directory alone.
    async with resolve_model(f"recorded:{tmp_path}") as replay:
        start = anyio.current_time()
        replayed, usage = await _chunks(replay, push)
        elapsed = anyio.current_time() - start
        assert (await _chunks(replay, pop))[0] == paid_pop
        assert "".join((await _chunks(replay, push))[0]) == TEXT.upper(), "the n-th ask gets the n-th recording"
        with pytest.raises(UnknownRequest, match="never saw this request .*symbol Stack.peek"):
            await _chunks(replay, ModelRequest.prompt("implement peek", task_id="T", symbol="Stack.peek", seed=3))
    assert replayed == paid_push, "chunk boundaries and bytes as recorded"
    assert usage.offline and usage.provider == "recorded" and "offline" in usage.label and name in usage.label
    assert (usage.input_tokens, usage.output_tokens, usage.cost_usd) == (
        paid_usage.input_tokens, paid_usage.output_tokens, paid_usage.cost_usd,
    )  # fmt: skip
    push_file = tmp_path / "replies" / f"{request_fingerprint(recording.info.label, push)}.jsonl"
    first, second = [json.loads(line)["chunks"] for line in push_file.read_text().splitlines()]
    assert "".join(t for _, t in first) == TEXT and "".join(t for _, t in second) == TEXT.upper()
    last_chunk_at = first[-1][0]
    assert last_chunk_at > 0.03 * (len(first) - 2), "the recording holds the server's pacing"
    assert elapsed >= last_chunk_at, "the replay keeps the recorded pacing"


async def test_replay_time_scale_zero_does_not_wait(tmp_path: Path, api_key: str) -> None:
    request = ModelRequest.prompt("x", task_id="T", symbol="A.f")
    async with FakeServer([anthropic_stream(TEXT, delay_between_events_s=0.05)]) as server:
        async with RecordingModel(_anthropic(server.base_url), tmp_path) as recording:
            await _chunks(recording, request)
    async with resolve_model(f"recorded:{tmp_path}", time_scale=0) as replay:
        with anyio.fail_after(5):
            text, _ = await _chunks(replay, request)
    assert "".join(text) == TEXT


async def test_a_failed_call_is_not_recorded_and_errors_are_clear(tmp_path: Path, api_key: str) -> None:
    async with FakeServer([anthropic_stream(TEXT, disconnect_after=5)]) as server:
        model = _anthropic(server.base_url)
        model.retry = model.retry.model_copy(update={"max_retries": 0})  # type: ignore[attr-defined]
        async with RecordingModel(model, tmp_path) as recording:
            with pytest.raises(Exception):
                await _chunks(recording, ModelRequest.prompt("x"))
    assert not list((tmp_path / "replies").glob("*.jsonl"))
    with pytest.raises(ConfigError, match="holds replies of 'anthropic:claude-sonnet-4-6'"):
        RecordingModel(resolve_model("openai:m@http://127.0.0.1:1/v1"), tmp_path)
    with pytest.raises(ConfigError, match="no manifest.json"):
        resolve_model(f"recorded:{tmp_path / 'nothing'}")


async def test_a_differing_prompt_gets_its_slots_reply_and_says_so(tmp_path: Path, api_key: str) -> None:
    asked = ModelRequest.prompt("implement push; committed so far: nothing", task_id="T", symbol="Stack.push", seed=1)
    async with FakeServer([anthropic_stream(TEXT)]) as server:
        async with RecordingModel(_anthropic(server.base_url), tmp_path) as recording:
            await _chunks(recording, asked)
    later = ModelRequest.prompt("implement push; committed so far: Stack.pop", task_id="T", symbol="Stack.push", seed=1)
    async with resolve_model(f"recorded:{tmp_path}", time_scale=0) as replay:
        exact, usage = await _chunks(replay, asked)
        assert usage.source is not None and "differed" not in usage.source
        moved, usage = await _chunks(replay, later)
        assert "".join(moved) == TEXT and usage.source is not None and "prompt differed" in usage.source
        with pytest.raises(UnknownRequest):  # another seed is another slot: never recorded
            await _chunks(replay, later.model_copy(update={"seed": 2}))
    async with resolve_model(f"recorded:{tmp_path}", time_scale=0, match="exact") as strict:
        with pytest.raises(UnknownRequest, match="never saw this request"):
            await _chunks(strict, later)
    assert "".join(exact) == TEXT
