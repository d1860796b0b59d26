"""Latency model for offline providers: time to first token + steady tokens/s.

Named profiles use *approximate public figures* for Claude models (medians
published by third-party API benchmarks, first-party API, standard mode). They
are not this project's measurements and vary by hour, region and prompt length;
they exist so offline runs have realistic absolute and relative timings:

==================  ========  ========  ==================================================
profile             TTFT (s)  tokens/s  source
==================  ========  ========  ==================================================
claude-haiku-4-5    0.8       110       rounded public range (least certain of the four)
claude-sonnet-4-6   1.21      95        BridgeBench speedbench medians (1207 ms, 95.3 tok/s)
claude-sonnet-4-5   1.80      63        Artificial Analysis (as cited late 2025)
claude-opus-4-1     2.67      45        Artificial Analysis (as cited late 2025)
instant             0         -         no delay (tests)
==================  ========  ========  ==================================================

Aliases: ``haiku``, ``sonnet`` (4.6), ``opus`` (4.1: the newest Opus with a
published figure we could source).

A stream's schedule: the first token arrives at TTFT, token *k* at
``TTFT + k / tokens_per_s``; tokens are sent ``chunk_tokens`` at a time (the
first chunk alone, at TTFT), as the real APIs send small multi-token deltas,
and no closer than ``min_chunk_interval_s`` of wall time (fast streams send
bigger chunks rather than flooding the event loop).
Per stream, TTFT and tokens/s are each multiplied by an independent mean-one
log-normal jitter factor drawn from a RNG seeded by (seed, request key), so
timings are reproducible and their means are the profile's.
``time_scale`` multiplies every delay (0.1 = ten times faster than real time)
so long benchmarks can run quickly with the same shape.
Deadlines are absolute (``anyio.sleep_until``), so scheduling overhead does not
accumulate over a long stream.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio
import anyio.lowlevel
from pydantic import BaseModel, Field

from ._errors import ConfigError
from ._tokens import tokenize

__all__ = ["LatencyConfig", "LatencyModel", "LatencyProfile", "StreamPlan", "PROFILES"]


class LatencyProfile(BaseModel):
    """Timing of one model class."""

    name: str = Field(description="Profile name.")
    ttft_s: float = Field(ge=0, description="Median time to first token, seconds.")
    tokens_per_s: float | None = Field(gt=0, description="Median output speed; None = unlimited.")
    source: str = Field(description="Where the figure comes from.")


_APPROX = "approximate public figure; not measured by this project"

PROFILES: dict[str, LatencyProfile] = {
    p.name: p
    for p in (
        LatencyProfile(name="claude-haiku-4-5", ttft_s=0.8, tokens_per_s=110.0, source=f"rounded public range; {_APPROX}"),
        LatencyProfile(name="claude-sonnet-4-6", ttft_s=1.21, tokens_per_s=95.0, source=f"BridgeBench speedbench median; {_APPROX}"),
        LatencyProfile(name="claude-sonnet-4-5", ttft_s=1.80, tokens_per_s=63.0, source=f"Artificial Analysis; {_APPROX}"),
        LatencyProfile(name="claude-opus-4-1", ttft_s=2.67, tokens_per_s=45.0, source=f"Artificial Analysis; {_APPROX}"),
        LatencyProfile(name="instant", ttft_s=0.0, tokens_per_s=None, source="no delay (tests)"),
    )
}
_ALIASES = {"haiku": "claude-haiku-4-5", "sonnet": "claude-sonnet-4-6", "opus": "claude-opus-4-1"}


def get_profile(name: str) -> LatencyProfile:
    """Profile by name or alias (haiku, sonnet, opus), with a helpful error."""
    key = _ALIASES.get(name, name)
    try:
        return PROFILES[key]
    except KeyError:
        known = ", ".join([*PROFILES, *_ALIASES])
        raise ConfigError(f"unknown latency profile {name!r}; known: {known}") from None


class LatencyConfig(BaseModel):
    """How an offline provider paces its stream."""

    profile: str = Field(default="claude-sonnet-4-6", description="Profile name or alias (haiku, sonnet, opus, instant).")
    time_scale: float = Field(default=1.0, ge=0, description="Multiplies every delay: 1 = real time, 0.1 = 10x faster, 0 = none.")
    jitter: float = Field(
        default=0.15, ge=0, le=1, description="Log-normal sigma of per-stream TTFT and throughput factors (0 = exact)."
    )
    chunk_tokens: int = Field(default=3, gt=0, description="Tokens per streamed chunk after the first (at least).")
    min_chunk_interval_s: float = Field(
        default=0.02,
        ge=0,
        description="Minimum wall time between chunks: faster streams (high tokens/s or a small time_scale) send "
        "bigger chunks instead of more of them, so many concurrent streams do not saturate the event loop.",
    )
    seed: int = Field(default=0, description="Seed for the jitter draws (combined with each request's key).")


@dataclass(frozen=True)
class StreamPlan:
    """Chunks and their offsets (seconds after the call's start, already time-scaled)."""

    chunks: list[str]
    offsets: list[float]
    ttft_s: float
    tokens_per_s: float | None
    tokens: int


def _rng(seed: int, key: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


class LatencyModel:
    """Plans and paces offline streams according to a ``LatencyConfig``."""

    def __init__(self, config: LatencyConfig | None = None) -> None:
        self.config = config or LatencyConfig()
        self.profile = get_profile(self.config.profile)

    def _factor(self, rng: random.Random) -> float:
        sigma = self.config.jitter
        if sigma == 0:
            return 1.0
        # Mean-one log-normal, clamped so one unlucky draw cannot stall a run.
        return min(max(math.exp(rng.gauss(0.0, sigma) - sigma * sigma / 2), 0.25), 4.0)

    def plan(self, text: str, key: str) -> StreamPlan:
        """Schedule for streaming ``text``; ``key`` identifies the request (jitter draw)."""
        rng = _rng(self.config.seed, key)
        scale = self.config.time_scale
        ttft = self.profile.ttft_s * self._factor(rng)
        tps = self.profile.tokens_per_s
        if tps is not None:
            tps = tps * self._factor(rng)  # independent draw: mean tokens/s stays the profile's
        tokens = tokenize(text)
        n = len(tokens)
        chunks: list[str] = []
        offsets: list[float] = []
        if n == 0:
            return StreamPlan(chunks=[""], offsets=[ttft * scale], ttft_s=ttft, tokens_per_s=tps, tokens=0)
        step = self.config.chunk_tokens
        gap = self.config.min_chunk_interval_s

        def offset(token: int) -> float:
            return (ttft + (token / tps if tps else 0.0)) * scale

        # First chunk: token 0 alone at TTFT; then chunks of >= `step` tokens and >= `gap` apart; the last ends at n-1.
        ends = [0]
        for end in range(step, n - 1, step):
            if offset(end) - offset(ends[-1]) >= gap:
                ends.append(end)
        if ends[-1] != n - 1:
            ends.append(n - 1)
        start = 0
        for end in ends:
            chunks.append("".join(tokens[start : end + 1]))
            offsets.append(offset(end))
            start = end + 1
        return StreamPlan(chunks=chunks, offsets=offsets, ttft_s=ttft, tokens_per_s=tps, tokens=n)

    async def pace(self, plan: StreamPlan, started_at: float) -> AsyncIterator[str]:
        """Yield the plan's chunks at ``started_at + offset`` (``anyio.current_time()`` clock)."""
        for chunk, offset in zip(plan.chunks, plan.offsets):
            deadline = started_at + offset
            if deadline > anyio.current_time():
                await anyio.sleep_until(deadline)
            else:
                await anyio.lowlevel.checkpoint()
            yield chunk
