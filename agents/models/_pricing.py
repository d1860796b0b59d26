"""Cost tables and prompt-cache rules: Claude models, and OpenAI's own API.

Prices are USD per million tokens from Anthropic's public pricing page and
model overview pages as of late 2026 (uncached input, output, 5-minute cache
write, cache read). They are *approximate list prices*: batch discounts, fast
mode, 1-hour cache writes and data-residency multipliers are not modelled; the
long-prompt bands that are published (Haiku 5.5 above 100k prompt tokens,
Sonnet 4 / 4.5 above 200k) are. A model id that is not in the table has no
price (cost ``None``) unless the caller passes one: a wrong guess would be
worse than an honest "unknown".

Minimum cacheable prompt lengths follow the prompt-caching documentation where
known (4096 tokens for Opus 4.5-4.7 and Haiku 4.5, 2048 for Haiku 3 / 3.5)
and 1024 otherwise. Shorter prompts are accepted but silently not cached, so
marking one costs nothing; the threshold only avoids pointless marks.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

__all__ = ["CachePolicy", "Pricing", "cache_min_tokens", "claude_pricing", "known_claude_models", "openai_pricing"]


class Pricing(BaseModel):
    """Per-million-token prices in USD."""

    input: float = Field(ge=0, description="Uncached input tokens.")
    output: float = Field(ge=0, description="Output tokens.")
    cache_write: float = Field(ge=0, description="Input tokens written to the prompt cache (5-minute TTL).")
    cache_read: float = Field(ge=0, description="Input tokens read from the prompt cache.")
    long_prompt_tokens: int | None = Field(
        default=None, description="Prompts (input + cache reads + writes) above this many tokens use `long_prompt`."
    )
    long_prompt: Pricing | None = Field(default=None, description="Prices for every token of a long-prompt request.")

    def cost(self, *, input_tokens: int, output_tokens: int, cache_write_tokens: int = 0, cache_read_tokens: int = 0) -> float:
        """Cost in USD of one call with these token counts."""
        prompt = input_tokens + cache_write_tokens + cache_read_tokens
        price = self
        if self.long_prompt is not None and self.long_prompt_tokens is not None and prompt > self.long_prompt_tokens:
            price = self.long_prompt
        return (
            input_tokens * price.input
            + output_tokens * price.output
            + cache_write_tokens * price.cache_write
            + cache_read_tokens * price.cache_read
        ) / 1_000_000


def _p(inp: float, out: float, read: float | None = None, *, long: tuple[int, Pricing] | None = None) -> Pricing:
    # Published rule: 5-minute cache writes cost 1.25x input; reads 0.1x input unless the page says otherwise.
    return Pricing(
        input=inp,
        output=out,
        cache_write=round(inp * 1.25, 4),
        cache_read=round(inp * 0.1, 4) if read is None else read,
        long_prompt_tokens=long[0] if long else None,
        long_prompt=long[1] if long else None,
    )


_SONNET4 = _p(3.0, 15.0, long=(200_000, _p(6.0, 22.5)))
_OPUS_5 = _p(5.0, 25.0)
_OPUS_15 = _p(15.0, 75.0)

# family id -> (price, minimum cacheable prompt tokens)
_CLAUDE: dict[str, tuple[Pricing, int]] = {
    "claude-fable-5-1": (_p(10.0, 50.0, 0.25), 1024),
    "claude-mythos-5-1": (_p(10.0, 50.0, 0.25), 1024),
    "claude-fable-5": (_p(10.0, 50.0, 1.0), 1024),
    "claude-mythos-5": (_p(10.0, 50.0, 1.0), 1024),
    "claude-opus-5-5": (_p(4.0, 20.0, 0.20), 1024),
    "claude-opus-5": (_OPUS_5, 1024),
    "claude-opus-4-8": (_OPUS_5, 1024),
    "claude-opus-4-7": (_OPUS_5, 4096),
    "claude-opus-4-6": (_OPUS_5, 4096),
    "claude-opus-4-5": (_OPUS_5, 4096),
    "claude-opus-4-1": (_OPUS_15, 1024),
    "claude-opus-4": (_OPUS_15, 1024),
    "claude-opus-4-0": (_OPUS_15, 1024),
    "claude-sonnet-5-5": (_p(2.0, 10.0, 0.10), 1024),  # cache reads cut to 0.05x input on 2026-10-07
    "claude-sonnet-5": (_p(2.0, 10.0), 1024),
    "claude-sonnet-4-6": (_p(3.0, 15.0), 1024),  # no long-context surcharge
    "claude-sonnet-4-5": (_SONNET4, 1024),
    "claude-sonnet-4": (_SONNET4, 1024),
    "claude-sonnet-4-0": (_SONNET4, 1024),
    "claude-3-7-sonnet": (_p(3.0, 15.0), 1024),
    "claude-haiku-5-5": (_p(0.10, 0.50, 0.01, long=(100_000, _p(0.50, 2.50, 0.05))), 1024),
    "claude-haiku-4-5": (_p(1.0, 5.0), 4096),
    "claude-3-5-haiku": (_p(0.8, 4.0), 2048),
    "claude-3-haiku": (_p(0.25, 1.25), 2048),
}

# Dated snapshots ("claude-sonnet-4-5-20250929") and "-latest" aliases map to their family.
_SUFFIX = re.compile(r"-(\d{8}|latest)$")

_DEFAULT_CACHE_MIN = 1024


def _family(model: str) -> str:
    return _SUFFIX.sub("", model.strip().lower())


def claude_pricing(model: str) -> Pricing | None:
    """List price of a Claude model id (dated or not), or ``None`` when unknown."""
    entry = _CLAUDE.get(_family(model))
    return entry[0] if entry else None


def cache_min_tokens(model: str) -> int:
    """Minimum prompt length (tokens) that the API caches for ``model``."""
    entry = _CLAUDE.get(_family(model))
    return entry[1] if entry else _DEFAULT_CACHE_MIN


def known_claude_models() -> list[str]:
    """Family ids present in the cost table."""
    return sorted(_CLAUDE)


# OpenAI's API (api.openai.com) caches prompt prefixes of 1024 tokens and more by itself, in 128-token steps, and
# bills cached tokens at the "cached input" price; writing costs the normal input price. USD per million tokens
# (input, cached input, output) from https://platform.openai.com/docs/pricing (standard tier, as listed in 2025-26).
_OPENAI: dict[str, tuple[float, float, float]] = {
    "gpt-5": (1.25, 0.125, 10.0),
    "gpt-5-mini": (0.25, 0.025, 2.0),
    "gpt-5-nano": (0.05, 0.005, 0.40),
    "gpt-4.1": (2.0, 0.50, 8.0),
    "gpt-4.1-mini": (0.40, 0.10, 1.60),
    "gpt-4.1-nano": (0.10, 0.025, 0.40),
    "gpt-4o": (2.50, 1.25, 10.0),
    "gpt-4o-mini": (0.15, 0.075, 0.60),
}
_OPENAI_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|latest)$")


def openai_pricing(model: str) -> Pricing | None:
    """List price of an OpenAI API model id (dated snapshots map to their model), or ``None`` when unknown."""
    entry = _OPENAI.get(_OPENAI_SNAPSHOT.sub("", model.strip().lower()))
    if entry is None:
        return None
    inp, cached, out = entry
    return Pricing(input=inp, output=out, cache_write=inp, cache_read=cached)


class CachePolicy(BaseModel):
    """How a provider caches prompt prefixes: what an estimate of a run assumes it will pay."""

    min_tokens: int = Field(ge=0, description="Shortest prefix (tokens, system prompt included) the provider caches.")
    ttl_s: float = Field(gt=0, description="Seconds an unused cached prefix lives; every read refreshes it.")
    step_tokens: int = Field(default=1, ge=1, description="A cached prefix is a multiple of this many tokens (OpenAI: 128).")
    note: str = Field(description="One line for the dry run saying what was assumed.")


def anthropic_cache(model: str) -> CachePolicy:
    """Anthropic's ephemeral cache: 5 minutes, refreshed on each hit; written at 1.25x input, read at 0.1x."""
    return CachePolicy(
        min_tokens=cache_min_tokens(model), ttl_s=300.0,
        note=f"Anthropic ephemeral prompt cache: a prefix of {cache_min_tokens(model):,}+ tokens lives 5 min and "
        "each read refreshes it; a write costs 1.25x input, a read 0.1x",
    )  # fmt: skip


def openai_cache() -> CachePolicy:
    """OpenAI's automatic prefix cache: 1024 tokens and more, 128-token steps, kept 5-10 minutes idle (5 assumed)."""
    return CachePolicy(
        min_tokens=1024, ttl_s=300.0, step_tokens=128,
        note="OpenAI automatic prefix cache: prefixes of 1024+ tokens in 128-token steps, assumed kept 5 min idle; "
        "cached tokens at the cached-input price",
    )  # fmt: skip
