"""``anthropic:<model>``: Claude through the official anthropic SDK, streaming.

The API key is read from the environment (``ANTHROPIC_API_KEY`` by default)
when the client is first needed, handed to the SDK and kept nowhere else: it
is not a config field, not in ``repr``, logs or error messages. The SDK's own
retries are off (``max_retries=0``); ``OnlineModel`` retries 429, 529/5xx,
connection errors and timeouts with back-off while no text has been delivered.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import BaseModel, Field

from ._base import CallState, OnlineModel, RetryConfig
from ._budget import Budget
from ._errors import ConfigError, ProviderError, ProviderRejected, ProviderTimeout, ProviderUnavailable, RateLimited
from ._preflight import PreflightFailed, connection_problem
from ._pricing import CachePolicy, Pricing, anthropic_cache, cache_min_tokens, claude_pricing
from ._tokens import count_tokens
from ._types import ModelRequest, ProviderInfo

if TYPE_CHECKING:
    import anthropic
    import httpx2

__all__ = ["AnthropicConfig", "AnthropicModel"]

# The SDK takes ~2.5 s to import: it is imported on first use, so offline runs never pay for it.


class AnthropicConfig(BaseModel):
    """Options of the ``anthropic`` provider (no secret in here: the key comes from the environment)."""

    model: str = Field(description="Claude model id, e.g. 'claude-sonnet-4-5'.")
    api_key_env: str = Field(default="ANTHROPIC_API_KEY", description="Name of the environment variable holding the key.")
    base_url: str | None = Field(default=None, description="API base URL; None = ANTHROPIC_BASE_URL or the SDK default.")
    timeout_s: float = Field(default=120.0, gt=0, description="Per-read timeout (a stalled stream fails after this).")
    connect_timeout_s: float = Field(default=10.0, gt=0, description="TCP/TLS connect timeout.")
    retry: RetryConfig = Field(default_factory=RetryConfig, description="Retry and back-off policy.")
    cache_system_prompt: bool = Field(
        default=True, description="Mark system prompts long enough for the model's cache minimum with cache_control."
    )
    cache_prompt_prefix: bool = Field(
        default=True,
        description="Mark the shared prefixes of the first message (`ModelRequest.cache_points`: a task's spec, a "
        "file's index) with cache_control, where long enough to cache: later calls of the task read them at the "
        "cache-read price.",
    )
    pricing: Pricing | None = Field(default=None, description="Override the cost table (e.g. for a model it lacks).")


def _error_type(body: object) -> str | None:
    if isinstance(body, dict):
        err = body.get("error")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
        if isinstance(err, dict):
            kind = err.get("type")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            return kind if isinstance(kind, str) else None
    return None


def _translate(err: Exception) -> ProviderError:
    """The one boundary where SDK and transport errors become ours."""
    import anthropic
    import httpx2

    if isinstance(err, anthropic.APIStatusError):
        status = err.status_code
        kind = _error_type(err.body)
        retry_after = _retry_after(err.response.headers)
        msg = f"anthropic: HTTP {status} {kind or ''}".rstrip()
        if status == 429 or kind == "rate_limit_error":
            return RateLimited(msg, status=status, retry_after=retry_after)
        if status in (408, 409) or status >= 500 or kind in ("overloaded_error", "api_error"):
            return ProviderUnavailable(msg, status=status, retry_after=retry_after)
        return ProviderRejected(msg, status=status)
    if isinstance(err, (anthropic.APITimeoutError, httpx2.TimeoutException)):
        return ProviderTimeout("anthropic: timed out")
    if isinstance(err, (anthropic.APIConnectionError, httpx2.TransportError)):
        return ProviderUnavailable(f"anthropic: connection failed ({type(err).__name__})")
    return ProviderRejected(f"anthropic: {type(err).__name__}")


def _retry_after(headers: httpx2.Headers) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return float(value) * scale
            except ValueError:
                continue
    return None


class AnthropicModel(OnlineModel):
    """Claude via ``anthropic.AsyncAnthropic`` (created lazily, closed by ``aclose``)."""

    def __init__(self, config: AnthropicConfig, *, budget: Budget | None = None) -> None:
        info = ProviderInfo(provider="anthropic", model=config.model, offline=False, label=f"anthropic:{config.model}")
        super().__init__(info, budget=budget, pricing=config.pricing or claude_pricing(config.model))
        self.config = config
        self.retry = config.retry
        self._client: anthropic.AsyncAnthropic | None = None

    def _get_client(self) -> anthropic.AsyncAnthropic:
        import anthropic

        if self._client is None:
            key = os.environ.get(self.config.api_key_env)
            if not key:
                raise ConfigError(f"anthropic: set the {self.config.api_key_env} environment variable to an API key")
            self._client = anthropic.AsyncAnthropic(
                api_key=key,
                base_url=self.config.base_url,
                max_retries=0,
                timeout=anthropic.Timeout(self.config.timeout_s, connect=self.config.connect_timeout_s),
            )
        return self._client

    @property
    def endpoint(self) -> str:
        return self.config.base_url or os.environ.get("ANTHROPIC_BASE_URL") or "https://api.anthropic.com"

    @property
    def prompt_cache(self) -> CachePolicy | None:
        return anthropic_cache(self.config.model) if self.config.cache_prompt_prefix else None

    async def warm_up(self) -> None:
        if os.environ.get(self.config.api_key_env):  # without a key the check fails at once: no import needed
            await anyio.to_thread.run_sync(importlib.import_module, "anthropic")

    async def check(self, timeout_s: float) -> str:
        """``GET /v1/models/{id}``: free, and proves the key, the endpoint and the model id at once."""
        where = self._where()
        env = self.config.api_key_env
        if not os.environ.get(env):  # before importing the SDK (seconds on a busy machine)
            raise PreflightFailed(f"{where}: no API key; set {env} (export {env}=sk-ant-...) and run again")
        import anthropic
        import httpx2

        client = self._get_client()
        try:
            info = await client.models.retrieve(self.config.model, timeout=timeout_s)
        except anthropic.APIStatusError as err:
            status, kind = err.status_code, _error_type(err.body)
            if status == 401:
                raise PreflightFailed(f"{where}: the key in ${env} was rejected (HTTP 401); set ${env} to a valid API key") from None
            if status == 403:
                raise PreflightFailed(f"{where}: the key in ${env} may not use this API (HTTP 403); check its workspace permissions") from None
            if status == 404:
                raise PreflightFailed(
                    f"{where}: no model {self.config.model!r} (HTTP 404); use a model id your key can see (GET /v1/models)"
                ) from None
            if status == 429 or status >= 500:
                return f"{where}: key accepted; the API is busy now (HTTP {status}), calls will back off"
            raise PreflightFailed(f"{where}: HTTP {status} {kind or ''} on GET /v1/models; check the key and base URL") from None
        except anthropic.APITimeoutError:
            raise TimeoutError from None
        except (anthropic.APIConnectionError, httpx2.TransportError) as err:
            host = httpx2.URL(self.endpoint).host
            raise PreflightFailed(f"{where}: {connection_problem(err, host)}; check ANTHROPIC_BASE_URL / base_url") from None
        return f"{where}: key accepted, model {info.id} found"

    def _where(self) -> str:
        default = self.endpoint == "https://api.anthropic.com"
        return f"anthropic:{self.config.model}" + ("" if default else f" at {self.endpoint}")

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def _system(self, system: str) -> list[dict[str, Any]]:
        block: dict[str, Any] = {"type": "text", "text": system}
        # Below the model's minimum the API would silently not cache; the mark costs nothing but is noise.
        if self.config.cache_system_prompt and count_tokens(system) >= cache_min_tokens(self.config.model):
            block["cache_control"] = {"type": "ephemeral"}
        return [block]

    def _first_turn(self, request: ModelRequest, marks_left: int) -> dict[str, Any]:
        """The first message as text blocks, a cache_control mark ending each shared prefix long enough to cache.

        The API caches the whole prefix up to a mark (system prompt included) once it reaches the model's
        minimum; it allows 4 marks per request, so the most shared prefixes keep theirs.
        """
        first = request.messages[0]
        if not self.config.cache_prompt_prefix or not request.cache_points:
            return {"role": first.role, "content": first.content}
        minimum = cache_min_tokens(self.config.model)
        prefix = count_tokens(request.system) if request.system else 0
        blocks: list[dict[str, Any]] = []
        for i, text in enumerate(request.first_blocks()):
            block: dict[str, Any] = {"type": "text", "text": text}
            prefix += count_tokens(text)
            if i < len(request.cache_points) and prefix >= minimum and marks_left > 0:
                block["cache_control"] = {"type": "ephemeral"}
                marks_left -= 1
            blocks.append(block)
        if not any("cache_control" in b for b in blocks):
            return {"role": first.role, "content": first.content}  # nothing to cache: the plain turn
        return {"role": first.role, "content": blocks}

    def request_body(self, request: ModelRequest) -> dict[str, Any]:
        """Keyword arguments for ``messages.create`` (without ``stream``)."""
        system = self._system(request.system) if request.system else []
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        if messages:
            messages[0] = self._first_turn(request, 4 - sum("cache_control" in b for b in system))
        body: dict[str, Any] = {
            "model": self.config.model,
            "max_tokens": request.max_tokens,
            "messages": messages,
        }
        if request.temperature is not None:
            # Not a named argument of this SDK's create() (newer models fix sampling), still accepted by the API.
            body["extra_body"] = {"temperature": request.temperature}
        if system:
            body["system"] = system
        return body

    async def _attempt(self, request: ModelRequest, state: CallState) -> AsyncIterator[str]:
        import anthropic
        import httpx2
        from anthropic.types import (
            RawContentBlockDeltaEvent,
            RawMessageDeltaEvent,
            RawMessageStartEvent,
            RawMessageStopEvent,
        )

        client = self._get_client()
        finished = False
        try:
            stream = await client.messages.create(**self.request_body(request), stream=True)
            async with stream:
                async for event in stream:
                    if isinstance(event, RawMessageStartEvent):
                        u = event.message.usage
                        state.input_tokens = u.input_tokens
                        state.cache_write_tokens = u.cache_creation_input_tokens or 0
                        state.cache_read_tokens = u.cache_read_input_tokens or 0
                        state.output_tokens = u.output_tokens
                    elif isinstance(event, RawContentBlockDeltaEvent):
                        if event.delta.type == "text_delta" and event.delta.text:
                            yield event.delta.text
                    elif isinstance(event, RawMessageDeltaEvent):
                        state.stop_reason = event.delta.stop_reason
                        state.output_tokens = event.usage.output_tokens  # cumulative
                        if event.usage.input_tokens is not None:
                            state.input_tokens = event.usage.input_tokens
                    elif isinstance(event, RawMessageStopEvent):
                        finished = True
        except (anthropic.APIError, httpx2.HTTPError) as err:
            raise _translate(err) from err
        if not finished:
            raise ProviderUnavailable("anthropic: stream ended without message_stop (connection dropped?)")
