"""Shared machinery: the stream context (budget + parallelism), retries, offline pacing."""

from __future__ import annotations

import logging
import random
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from types import TracebackType

import anyio
from pydantic import BaseModel, Field

from ._budget import Budget, Reservation
from ._errors import ProviderError, RateLimited, StreamInterrupted
from ._latency import LatencyConfig, LatencyModel
from ._limiter import ProviderLimiter
from ._pricing import CachePolicy, Pricing
from ._tokens import count_tokens, tokenize
from ._types import Completion, ModelRequest, ModelStream, ProviderInfo, Usage

log = logging.getLogger("agents.models")

__all__ = ["CallState", "OfflineModel", "OfflineReply", "RetryConfig", "StreamingModel"]


class RetryConfig(BaseModel):
    """Retries of an online provider on 429, 529/5xx, connection errors and timeouts.

    A call is retried only while no text has reached the caller; after that a
    failure is ``StreamInterrupted``. A server's ``retry-after`` wins over the
    computed back-off (capped by ``max_retry_after_s``).
    """

    max_retries: int = Field(default=4, ge=0, description="Retries after the first attempt.")
    initial_backoff_s: float = Field(default=0.5, ge=0, description="Back-off before the first retry.")
    multiplier: float = Field(default=2.0, ge=1, description="Back-off growth per retry.")
    max_backoff_s: float = Field(default=30.0, ge=0, description="Cap on one computed back-off.")
    jitter: float = Field(default=0.25, ge=0, le=1, description="Random fraction shaved off each back-off (de-synchronises callers).")
    max_retry_after_s: float = Field(default=60.0, ge=0, description="Cap on a server-requested wait.")

    def delay(self, retry_index: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry_index`` (0-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after_s)
        base = min(self.initial_backoff_s * self.multiplier**retry_index, self.max_backoff_s)
        return base * (1 - self.jitter * rng.random())


@dataclass
class CallState:
    """Mutable record of one call, filled by the provider while streaming."""

    started: float
    attempts: int = 0
    parts: list[str] = field(default_factory=list)
    ttft_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    stop_reason: str | None = None
    estimated: bool = False
    source: str | None = None
    fault: str | None = None


class _StreamCall:
    """``async with model.stream(request) as stream``: admission, limiter, settlement."""

    def __init__(self, model: StreamingModel, request: ModelRequest) -> None:
        self._model = model
        self._request = request
        self._stream: ModelStream | None = None
        self._reservation: Reservation | None = None
        self._state: CallState | None = None
        self._holding = False

    async def __aenter__(self) -> ModelStream:
        budget = self._model.budget
        if budget is not None:
            await budget.limiter.acquire_on_behalf_of(self)
            self._holding = True
            try:
                tokens, cost = self._model.worst_case(self._request)
                self._reservation = budget.reserve(tokens, cost)
            except BaseException:
                budget.limiter.release_on_behalf_of(self)
                self._holding = False
                raise
        self._state = CallState(started=anyio.current_time())
        self._stream = ModelStream(self._model._events(self._request, self._state))
        return self._stream

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._stream is not None:
                # Shielded: a cancelled caller must still close the connection (bounded, so a hung peer cannot block).
                with anyio.move_on_after(5, shield=True):
                    await self._stream.aclose()
        finally:
            budget = self._model.budget
            if budget is not None:
                if self._reservation is not None:
                    usage: Usage | None = None
                    if self._stream is not None and self._stream.finished:
                        usage = self._stream.usage
                    elif self._state is not None:
                        usage = self._model.partial_usage(self._state)
                    budget.settle(self._reservation, usage)
                if self._holding:
                    budget.limiter.release_on_behalf_of(self)
                    self._holding = False


class StreamingModel(ABC):
    """Base of every provider: implements the ``Model`` protocol around ``_generate``."""

    def __init__(self, info: ProviderInfo, *, budget: Budget | None = None, pricing: Pricing | None = None) -> None:
        self._info = info
        self.budget = budget
        self.pricing = pricing

    @property
    def info(self) -> ProviderInfo:
        return self._info

    def stream(self, request: ModelRequest) -> AbstractAsyncContextManager[ModelStream]:
        """Start a call; ``async with`` it to get the live ``ModelStream``."""
        return _StreamCall(self, request)

    async def complete(self, request: ModelRequest) -> Completion:
        """The whole reply and its usage."""
        async with self.stream(request) as stream:
            return await stream.collect()

    @property
    def endpoint(self) -> str:
        """Where calls go (a URL for online providers), for error messages."""
        return "offline"

    @property
    def prompt_cache(self) -> CachePolicy | None:
        """How the provider caches shared prompt prefixes (what a dry run prices), or None when it does not."""
        return None

    async def warm_up(self) -> None:
        """Load what the first call needs (an SDK import takes seconds) so that timed work does not include it."""

    async def check(self, timeout_s: float) -> str:
        """Prove the provider can answer, with its cheapest real request (see ``preflight``); offline: nothing to do."""
        del timeout_s
        return f"{self._info.label}: offline, nothing to check"

    async def aclose(self) -> None:
        """Release connections (idempotent); offline providers hold none."""

    async def __aenter__(self) -> StreamingModel:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._info.provider}:{self._info.model} offline={self._info.offline}>"

    # -- accounting -------------------------------------------------------------------------------

    def cost(self, state: CallState) -> float | None:
        if self.pricing is None:
            return None
        return self.pricing.cost(
            input_tokens=state.input_tokens or 0,
            output_tokens=state.output_tokens or 0,
            cache_write_tokens=state.cache_write_tokens,
            cache_read_tokens=state.cache_read_tokens,
        )

    def worst_case(self, request: ModelRequest) -> tuple[int, float | None]:
        """Tokens and cost a budget reserves for ``request`` (prompt estimate + max_tokens)."""
        prompt = request.prompt_tokens()
        tokens = prompt + request.max_tokens
        if self.pricing is None:
            return tokens, None
        # Uncached input price is the dearest way to read the prompt, cache writes aside (1.25x).
        return tokens, self.pricing.cost(input_tokens=0, cache_write_tokens=prompt, output_tokens=request.max_tokens)

    def usage(self, state: CallState, *, time_scale: float | None = None) -> Usage:
        now = anyio.current_time()
        return Usage(
            provider=self._info.provider,
            model=self._info.model,
            label=self._info.label,
            offline=self._info.offline,
            input_tokens=state.input_tokens or 0,
            output_tokens=state.output_tokens or 0,
            cache_write_tokens=state.cache_write_tokens,
            cache_read_tokens=state.cache_read_tokens,
            cost_usd=self.cost(state),
            ttft_s=state.ttft_s,
            duration_s=now - state.started,
            attempts=max(state.attempts, 1),
            estimated=state.estimated,
            time_scale=time_scale,
            stop_reason=state.stop_reason,
            source=state.source,
            fault=state.fault,
        )

    def partial_usage(self, state: CallState) -> Usage | None:
        """What a call that did not finish is billed, or None when nothing reached the model."""
        if state.input_tokens is None and not state.parts:
            return None
        if state.output_tokens is None or state.output_tokens < count_tokens("".join(state.parts)):
            state.output_tokens = count_tokens("".join(state.parts))
            state.estimated = True
        return self.usage(state)

    # -- streaming --------------------------------------------------------------------------------

    async def _events(self, request: ModelRequest, state: CallState) -> AsyncGenerator[str | Usage, None]:
        async for chunk in self._generate(request, state):
            if state.ttft_s is None:
                state.ttft_s = anyio.current_time() - state.started
            state.parts.append(chunk)
            yield chunk
        yield self.final_usage(state)

    def final_usage(self, state: CallState) -> Usage:
        return self.usage(state)

    @abstractmethod
    def _generate(self, request: ModelRequest, state: CallState) -> AsyncIterator[str]:
        """Yield text chunks, filling ``state`` (tokens, stop reason) as the provider reports them."""


class OnlineModel(StreamingModel):
    """A provider reached over HTTP: retries ``_attempt`` while nothing was delivered.

    With a ``limiter`` (shared by every client of the same provider in a run),
    each attempt is admitted by it, and a server's retry-after pauses them all.
    """

    retry: RetryConfig
    limiter: ProviderLimiter | None = None

    async def _generate(self, request: ModelRequest, state: CallState) -> AsyncIterator[str]:
        rng = random.Random()
        while True:
            state.attempts += 1
            try:
                if self.limiter is None:
                    async for chunk in self._attempt(request, state):
                        yield chunk
                    return
                async with self.limiter.admit(request.prompt_tokens()) as spent:
                    async for chunk in self._attempt(request, state):
                        yield chunk
                    spent(state.output_tokens or 0)
                return
            except ProviderError as err:
                if self.limiter is not None and isinstance(err, RateLimited) and err.retry_after is not None:
                    self.limiter.pause(min(err.retry_after, self.retry.max_retry_after_s))
                err.attempts = state.attempts
                if state.parts:
                    raise StreamInterrupted(
                        f"stream interrupted after {len(''.join(state.parts))} characters: {err}",
                        partial_text="".join(state.parts),
                        attempts=state.attempts,
                    ) from err
                if not err.retryable or state.attempts > self.retry.max_retries:
                    raise
                delay = self.retry.delay(state.attempts - 1, err.retry_after, rng)
                log.info("%s: %s; retry %d in %.2fs", self.info.label, err, state.attempts, delay)
            # Back off outside the except block so the failed response is released first.
            await anyio.sleep(delay)

    @abstractmethod
    def _attempt(self, request: ModelRequest, state: CallState) -> AsyncIterator[str]:
        """One HTTP attempt; raises ``ProviderError`` subclasses (translated at this boundary)."""


@dataclass(frozen=True)
class OfflineReply:
    """A reply an offline provider will stream."""

    text: str
    source: str
    fault: str | None = None


_FREE = Pricing(input=0, output=0, cache_write=0, cache_read=0)


class OfflineModel(StreamingModel):
    """A provider answering from data, paced by the latency model."""

    def __init__(
        self,
        info: ProviderInfo,
        *,
        latency: LatencyConfig | None = None,
        budget: Budget | None = None,
        pricing: Pricing | None = None,
    ) -> None:
        # Offline replies cost nothing unless a price is given to simulate one (labelled offline anyway).
        super().__init__(info, budget=budget, pricing=pricing or _FREE)
        self.latency = LatencyModel(latency)

    @abstractmethod
    def reply(self, request: ModelRequest) -> OfflineReply:
        """The reply text for ``request`` or ``UnknownRequest``."""

    async def _generate(self, request: ModelRequest, state: CallState) -> AsyncIterator[str]:
        state.attempts = 1
        reply = self.reply(request)  # raises UnknownRequest before any delay: fail fast
        state.source, state.fault = reply.source, reply.fault
        state.input_tokens = request.prompt_tokens()
        state.estimated = True
        text, state.stop_reason = reply.text, "end_turn"
        tokens = tokenize(text)
        if len(tokens) > request.max_tokens:  # as a real model would: cut at max_tokens
            text, state.stop_reason = "".join(tokens[: request.max_tokens]), "max_tokens"
        plan = self.latency.plan(text, request.content_key())
        async for chunk in self.latency.pace(plan, state.started):
            yield chunk
        state.output_tokens = plan.tokens

    def final_usage(self, state: CallState) -> Usage:
        return self.usage(state, time_scale=self.latency.config.time_scale)
