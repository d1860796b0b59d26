"""Short names -> providers, stream API contract, and keeping the API key secret."""

from __future__ import annotations

import logging

import pytest

from agents.models import (
    AnthropicModel,
    ConfigError,
    DictReferences,
    Model,
    ModelError,
    ModelRequest,
    OpenAIModel,
    ProviderRejected,
    ScriptedModel,
    StreamNotFinished,
    UnknownProvider,
    known_providers,
    register_provider,
    resolve_model,
)
from agents.models.testing import FakeServer, anthropic_error, anthropic_stream

pytestmark = pytest.mark.anyio

REFS = DictReferences({("t", "C.m"): "def m(self):\n    return 1\n"})


def test_unknown_provider_lists_known_ones() -> None:
    with pytest.raises(UnknownProvider, match="unknown provider 'foo'.*known: anthropic, openai, replay, recorded, scripted"):
        resolve_model("foo:bar")


def test_resolves_each_provider_and_validates_options() -> None:
    assert isinstance(resolve_model("anthropic:claude-haiku-4-5"), AnthropicModel)
    model = resolve_model("openai:qwen2.5-coder:7b@http://127.0.0.1:11434/v1")
    assert isinstance(model, OpenAIModel) and model.config.model == "qwen2.5-coder:7b"
    assert model.config.base_url == "http://127.0.0.1:11434/v1"
    scripted = resolve_model("scripted", references=REFS, fault_rate=0.5)
    assert isinstance(scripted, ScriptedModel) and isinstance(scripted, Model)
    assert scripted.info.offline and not model.info.offline
    with pytest.raises(ConfigError, match="openai:<model>@<base_url>"):
        resolve_model("openai:qwen")
    with pytest.raises(ConfigError, match="fault_rate"):
        resolve_model("scripted", references=REFS, fault_rate=2)
    with pytest.raises(ConfigError, match="anthropic needs a model id"):
        resolve_model("anthropic:")


async def test_register_provider_plugs_in() -> None:
    register_provider("echo", lambda rest, budget, options: ScriptedModel(REFS, budget=budget, **options))
    try:
        assert "echo" in known_providers()
        model = resolve_model("echo")
        assert isinstance(model, ScriptedModel)
    finally:
        from agents.models import _registry

        _registry._REGISTRY.pop("echo")  # pyright: ignore[reportPrivateUsage]


async def test_usage_before_end_is_an_error_and_collect_finishes() -> None:
    model = ScriptedModel(REFS)
    model.latency.config.time_scale = 0.0
    async with model.stream(ModelRequest(task_id="t", symbol="C.m")) as stream:
        with pytest.raises(StreamNotFinished):
            _ = stream.usage
        completion = await stream.collect()
    assert completion.text == stream.text and completion.usage.output_tokens > 0


async def test_missing_api_key_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    async with resolve_model("anthropic:claude-haiku-4-5", base_url="http://127.0.0.1:9") as model:
        with pytest.raises(ConfigError, match="ANTHROPIC_API_KEY"):
            await model.complete(ModelRequest.prompt("hi"))


async def test_api_key_is_sent_but_never_logged_or_shown(api_key: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    async with FakeServer([anthropic_stream("fine"), anthropic_error(401, message="invalid x-api-key")]) as server:
        model = resolve_model("anthropic:claude-haiku-4-5", base_url=server.base_url)
        assert isinstance(model, AnthropicModel)
        async with model:
            await model.complete(ModelRequest.prompt("hi"))
            try:
                await model.complete(ModelRequest.prompt("hi"))
            except ProviderRejected as err:
                errors.append(err)
    sent = server.requests[0].headers
    assert api_key in (sent.get("x-api-key", "") + sent.get("authorization", "")), "the key reaches the server"
    assert errors and isinstance(errors[0], ModelError)
    shown = [repr(model), str(model.info), repr(model.config), model.config.model_dump_json()]
    shown += [str(e) + repr(e) + repr(e.__cause__) + str(e.__cause__) for e in errors]
    shown += [r.getMessage() + str(r.args) for r in caplog.records]
    assert caplog.records, "debug logging was captured (the SDK logs requests at DEBUG)"
    for text in shown:
        assert api_key not in text
        assert api_key[-12:] not in text
