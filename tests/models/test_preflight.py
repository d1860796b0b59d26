"""Preflight: the real SDK and httpx against fake servers, each failure one line naming the provider and the fix."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agents.models import PreflightFailed, StreamingModel, preflight, resolve_model
from agents.models.testing import (
    FakeServer,
    JSONReply,
    anthropic_error,
    anthropic_model_info,
    openai_error,
    openai_models,
)

pytestmark = pytest.mark.anyio

Make = Callable[[str], StreamingModel]


def _anthropic(url: str, **options: Any) -> StreamingModel:
    return resolve_model("anthropic:claude-sonnet-4-6", base_url=url, **options)


def _openai(url: str, **options: Any) -> StreamingModel:
    return resolve_model(f"openai:qwen2.5-coder@{url}/v1", **options)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed on exit: nothing listens there


async def _fails(model: StreamingModel, **kwargs: Any) -> str:
    async with model:
        with pytest.raises(PreflightFailed) as info:
            await preflight(model, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


async def test_anthropic_ok_asks_for_the_model_with_the_key(api_key: str) -> None:
    async with FakeServer([anthropic_model_info("claude-sonnet-4-6")]) as server:
        async with _anthropic(server.base_url) as model:
            said = await preflight(model)
    assert "key accepted" in said and "claude-sonnet-4-6" in said
    [request] = server.requests
    assert (request.method, request.path) == ("GET", "/v1/models/claude-sonnet-4-6")
    assert api_key in " ".join(request.headers.values())  # this SDK sends it as a bearer token


async def test_anthropic_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    async with FakeServer([]) as server:
        message = await _fails(_anthropic(server.base_url))
        assert not server.requests, "nothing is sent without a key"
    assert message.startswith("anthropic:") and "ANTHROPIC_API_KEY" in message


@pytest.mark.parametrize(
    ("status", "says"),
    [(401, "set $ANTHROPIC_API_KEY to a valid API key"), (403, "permissions"), (404, "no model 'claude-sonnet-4-6'")],
)
async def test_anthropic_rejections_name_the_fix(api_key: str, status: int, says: str) -> None:
    async with FakeServer([anthropic_error(status)]) as server:
        message = await _fails(_anthropic(server.base_url))
    assert message.startswith("anthropic:claude-sonnet-4-6") and says in message
    assert api_key not in message


async def test_anthropic_busy_is_not_a_failure(api_key: str) -> None:
    async with FakeServer([anthropic_error(529)]) as server:
        async with _anthropic(server.base_url) as model:
            said = await preflight(model)
    assert "busy" in said and "529" in said


@pytest.mark.parametrize("make", [_anthropic, _openai], ids=["anthropic", "openai"])
async def test_connection_refused(api_key: str, make: Make) -> None:
    message = await _fails(make(f"http://127.0.0.1:{_free_port()}"))
    assert "connection refused" in message and "127.0.0.1" in message


@pytest.mark.parametrize("make", [_anthropic, _openai], ids=["anthropic", "openai"])
async def test_dns_failure(api_key: str, make: Make) -> None:
    message = await _fails(make("http://nonexistent.invalid:8000"))
    assert "cannot resolve host 'nonexistent.invalid'" in message


@pytest.mark.parametrize("make", [_anthropic, _openai], ids=["anthropic", "openai"])
async def test_timeout(api_key: str, make: Make) -> None:
    # The server answers, but later than the configured preflight timeout.
    async with FakeServer([JSONReply(200, {}, delay_s=30)]) as server:
        message = await _fails(make(server.base_url), timeout_s=0.3)
    assert "no answer from http://127.0.0.1" in message and "within 0.3 s" in message


async def test_openai_ok_and_model_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-local-token")
    async with FakeServer([openai_models("qwen2.5-coder"), openai_models("llama-3")]) as server:
        async with _openai(server.base_url) as model:
            first = await preflight(model)
            second = await preflight(model)
    assert "model qwen2.5-coder served" in first
    assert "note: it lists llama-3" in second  # llama.cpp-style servers ignore the name: a note, not a failure
    assert server.requests[0].path == "/v1/models"
    assert server.requests[0].headers["authorization"] == "Bearer sk-local-token"


@pytest.mark.parametrize(("status", "says"), [(401, "OPENAI_API_KEY"), (403, "OPENAI_API_KEY"), (404, "ends in /v1")])
async def test_openai_rejections_name_the_fix(status: int, says: str) -> None:
    async with FakeServer([openai_error(status)]) as server:
        message = await _fails(_openai(server.base_url))
    assert message.startswith("openai:qwen2.5-coder@") and says in message


async def test_offline_models_need_no_check(classeval_data: Path) -> None:
    said = await preflight(resolve_model("replay:GPT-4-Turbo", data_dir=classeval_data))
    assert "offline" in said
