"""``openai:<model>@<base_url>``: OpenAI-compatible chat completions over httpx.

For local model servers that speak the OpenAI wire format (vLLM, llama.cpp
server, Ollama's ``/v1``). Streams ``POST {base_url}/chat/completions`` with
``stream_options.include_usage`` and reads the SSE ``data:`` lines itself; a
server that sends no usage gets the offline token estimate (``estimated``).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
from pydantic import BaseModel, Field

from ._base import CallState, OnlineModel, RetryConfig
from ._budget import Budget
from ._errors import ProviderError, ProviderRejected, ProviderTimeout, ProviderUnavailable, RateLimited
from ._preflight import PreflightFailed, connection_problem
from ._pricing import CachePolicy, Pricing, openai_cache, openai_pricing
from ._tokens import count_tokens
from ._types import ModelRequest, ProviderInfo

__all__ = ["OpenAIConfig", "OpenAIModel"]

_LOCAL_PRICE = Pricing(input=0, output=0, cache_write=0, cache_read=0)


class OpenAIConfig(BaseModel):
    """Options of the ``openai`` provider."""

    model: str = Field(description="Model name as the server knows it.")
    base_url: str = Field(description="API root including /v1, e.g. 'http://127.0.0.1:8000/v1'.")
    api_key_env: str | None = Field(
        default="OPENAI_API_KEY",
        description="Environment variable with a bearer token, if set; local servers usually need none.",
    )
    timeout_s: float = Field(default=300.0, gt=0, description="Per-read timeout (local models can be slow).")
    connect_timeout_s: float = Field(default=10.0, gt=0, description="Connect timeout.")
    retry: RetryConfig = Field(default_factory=RetryConfig, description="Retry and back-off policy.")
    include_usage: bool = Field(default=True, description="Ask for usage in the final chunk (stream_options).")
    pricing: Pricing | None = Field(
        default=None,
        description="Prices per million tokens; None = at api.openai.com OpenAI's list price (unknown for a model "
        "not in the table), elsewhere nothing (local servers bill nothing).",
    )


def _is_openai(base_url: str) -> bool:
    host = httpx.URL(base_url).host
    return host == "api.openai.com" or host.endswith(".openai.com")


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _status_error(status: int, body: bytes, headers: httpx.Headers) -> ProviderError:
    detail = body[:200].decode("utf-8", "replace")
    msg = f"openai-compatible server: HTTP {status}: {detail}"
    if status == 429:
        return RateLimited(msg, status=status, retry_after=_retry_after(headers))
    if status in (408, 409) or status >= 500:
        return ProviderUnavailable(msg, status=status, retry_after=_retry_after(headers))
    return ProviderRejected(msg, status=status)


class OpenAIModel(OnlineModel):
    """An OpenAI-compatible server via ``httpx.AsyncClient`` (created lazily, closed by ``aclose``)."""

    def __init__(self, config: OpenAIConfig, *, budget: Budget | None = None) -> None:
        info = ProviderInfo(
            provider="openai", model=config.model, offline=False, label=f"openai:{config.model}@{config.base_url}"
        )
        pricing = config.pricing
        if pricing is None:
            # OpenAI's list price, or unknown (None) for a model it lacks: guessing "free" there would be wrong.
            pricing = openai_pricing(config.model) if _is_openai(config.base_url) else _LOCAL_PRICE
        super().__init__(info, budget=budget, pricing=pricing)
        self.config = config
        self.retry = config.retry
        self._client: httpx.AsyncClient | None = None

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            headers = {"Accept": "text/event-stream"}
            token = os.environ.get(self.config.api_key_env) if self.config.api_key_env else None
            if token:
                headers["Authorization"] = f"Bearer {token}"
            self._client = httpx.AsyncClient(
                headers=headers, timeout=httpx.Timeout(self.config.timeout_s, connect=self.config.connect_timeout_s)
            )
        return self._client

    @property
    def endpoint(self) -> str:
        return self.config.base_url

    @property
    def prompt_cache(self) -> CachePolicy | None:
        # OpenAI caches shared prefixes by itself; local servers with prefix caching (vLLM) bill nothing either way.
        return openai_cache()

    async def check(self, timeout_s: float) -> str:
        """``GET {base_url}/models``: every OpenAI-compatible server (vLLM, llama.cpp, Ollama) answers it for free."""
        where = self.info.label
        url = self.config.base_url.rstrip("/") + "/models"
        try:
            response = await self._get_client().get(url, timeout=timeout_s)
        except httpx.TimeoutException:
            raise TimeoutError from None
        except httpx.HTTPError as err:
            host = httpx.URL(self.config.base_url).host
            raise PreflightFailed(f"{where}: {connection_problem(err, host)}; check the URL after '@' in --model") from None
        env = self.config.api_key_env or "OPENAI_API_KEY"
        if response.status_code in (401, 403):
            raise PreflightFailed(
                f"{where}: the server refused the bearer token (HTTP {response.status_code}); set ${env} to a key it accepts"
            )
        if response.status_code == 404:
            raise PreflightFailed(f"{where}: no OpenAI-compatible API at {url} (HTTP 404); the URL usually ends in /v1")
        if response.status_code == 429 or response.status_code >= 500:
            return f"{where}: server reachable; busy now (HTTP {response.status_code}), calls will back off"
        if response.status_code != 200:
            raise PreflightFailed(f"{where}: HTTP {response.status_code} on GET {url}; check the URL and key")
        try:
            served = [str(m.get("id")) for m in response.json().get("data") or ()]
        except (ValueError, AttributeError):
            raise PreflightFailed(f"{where}: GET {url} did not return a model list; is this an OpenAI-compatible API?") from None
        if served and self.config.model not in served:
            # llama.cpp serves one model under its file name and ignores the name asked for: a note, not a failure.
            return f"{where}: server reachable; note: it lists {', '.join(served[:5])}, not {self.config.model!r}"
        return f"{where}: server reachable, model {self.config.model} served"

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def request_body(self, request: ModelRequest) -> dict[str, Any]:
        """JSON body of the chat completion request."""
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "max_tokens": request.max_tokens,
            "stream": True,
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if self.config.include_usage:
            body["stream_options"] = {"include_usage": True}
        return body

    async def _attempt(self, request: ModelRequest, state: CallState) -> AsyncIterator[str]:
        client = self._get_client()
        url = self.config.base_url.rstrip("/") + "/chat/completions"
        done = False
        got_usage = False
        try:
            async with client.stream("POST", url, json=self.request_body(request)) as response:
                if response.status_code != 200:
                    raise _status_error(response.status_code, await response.aread(), response.headers)
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue  # blank separators, comments, `event:` lines some servers add
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        done = True
                        break
                    chunk = json.loads(payload)
                    if "error" in chunk:
                        raise ProviderUnavailable(f"openai-compatible server: error event: {str(chunk['error'])[:200]}")
                    for choice in chunk.get("choices") or ():
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            yield text
                        if choice.get("finish_reason"):
                            state.stop_reason = choice["finish_reason"]
                    usage = chunk.get("usage")
                    if usage:
                        got_usage = True
                        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
                        state.cache_read_tokens = cached
                        state.input_tokens = max(int(usage.get("prompt_tokens", 0)) - cached, 0)
                        state.output_tokens = int(usage.get("completion_tokens", 0))
        except httpx.TimeoutException as err:
            raise ProviderTimeout(f"openai-compatible server: timed out ({type(err).__name__})") from err
        except httpx.HTTPError as err:
            raise ProviderUnavailable(f"openai-compatible server: connection failed ({type(err).__name__})") from err
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError) as err:
            raise ProviderRejected(f"openai-compatible server: malformed stream chunk ({err})") from err
        if not done:
            raise ProviderUnavailable("openai-compatible server: stream ended without [DONE] (connection dropped?)")
        if not got_usage:
            state.input_tokens = request.prompt_tokens()
            state.output_tokens = count_tokens("".join(state.parts))
            state.estimated = True
