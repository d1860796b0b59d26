"""One limiter per provider, shared by every client that calls it (concurrent trials each have their own).

A provider's limits are per key or per server, not per client: eight trials
running at once must together stay under them.  The limiter caps requests in
flight, keeps a one-minute window of tokens under ``tokens_per_minute``
(prompt estimate at admission, output added when the call ends), and when any
call is told ``retry-after`` every call to that provider waits it out before
its next attempt, instead of each trial learning it with its own 429.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
from pydantic import BaseModel, Field

__all__ = ["LimiterConfig", "ProviderLimiter"]

_WINDOW_S = 60.0


class LimiterConfig(BaseModel):
    """Limits of one provider endpoint (None: unlimited)."""

    max_concurrent: int | None = Field(default=None, gt=0, description="Requests in flight at once, over all clients.")
    tokens_per_minute: int | None = Field(default=None, gt=0, description="Prompt + output tokens per rolling minute.")


class ProviderLimiter:
    """``async with limiter.admit(prompt_tokens) as spent: ...; spent(output_tokens)``; ``pause(s)`` on retry-after."""

    def __init__(self, config: LimiterConfig | None = None) -> None:
        self.config = config or LimiterConfig()
        self._slots = anyio.Semaphore(self.config.max_concurrent or 1 << 30)
        self._paused_until = -math.inf
        self._window: deque[tuple[float, int]] = deque()
        self.pauses = 0
        """How many times a retry-after paused every caller (for reports and tests)."""

    def pause(self, seconds: float) -> None:
        """No new attempt to this provider starts for ``seconds`` (a server's retry-after)."""
        self._paused_until = max(self._paused_until, anyio.current_time() + seconds)
        self.pauses += 1

    async def _wait_unpaused(self) -> None:
        while (left := self._paused_until - anyio.current_time()) > 0:
            await anyio.sleep(left)

    def _used(self, now: float) -> int:
        while self._window and self._window[0][0] <= now - _WINDOW_S:
            self._window.popleft()
        return sum(tokens for _, tokens in self._window)

    async def _wait_for_tokens(self, tokens: int) -> None:
        cap = self.config.tokens_per_minute
        if cap is None:
            return
        tokens = min(tokens, cap)  # a request larger than the cap still runs, alone in its minute
        while True:
            now = anyio.current_time()
            if not self._window or self._used(now) + tokens <= cap:
                return
            await anyio.sleep(max(self._window[0][0] + _WINDOW_S - now, 0.01))

    async def acquire(self, prompt_tokens: int) -> None:
        """Wait for a pause to end, a free slot and room in the token window; the slot is held until ``release``.

        ``admit`` is this and ``release`` around a block; a limiter shared by
        processes (the Ray executor's) calls the two from different requests.
        """
        await self._wait_unpaused()
        await self._slots.acquire()
        try:
            await self._wait_for_tokens(prompt_tokens)
            await self._wait_unpaused()  # a pause may have begun while this call queued
        except BaseException:
            self._slots.release()
            raise
        self._window.append((anyio.current_time(), prompt_tokens))

    def release(self, output_tokens: int = 0) -> None:
        """Free the slot an ``acquire`` took, counting the call's output tokens in the window."""
        if output_tokens > 0:
            self._window.append((anyio.current_time(), output_tokens))
        self._slots.release()

    @asynccontextmanager
    async def admit(self, prompt_tokens: int) -> AsyncIterator[Callable[[int], None]]:
        """Hold a slot for the block; the block reports its output tokens by calling what it is given."""
        await self.acquire(prompt_tokens)
        output = [0]
        try:
            yield lambda tokens: output.__setitem__(0, output[0] + max(0, tokens))
        finally:
            self.release(output[0])
