"""The provider's prompt cache, replayed over a dry run's estimated calls (what ``--dry-run`` bills as cache
writes and reads): each call's shared prefixes, when its reply begins, and which prefixes it reads or writes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from agents.models import CachePolicy, ModelRequest, count_tokens

__all__ = ["CacheCall", "cache_usage", "request_prefixes"]


@dataclass
class CacheCall:
    """One estimated call: its prompt and reply tokens, its shared prefixes, when it starts and when its reply begins."""

    prompt: int
    reply: int
    prefixes: list[tuple[str, int]]  # (digest of the shared prefix, its tokens with the system prompt), shortest first
    ttft: float
    start: float = 0.0


def request_prefixes(request: ModelRequest) -> list[tuple[str, int]]:
    """A request's cache points as (digest of the prompt up to the point, its tokens with the system prompt), shortest first."""
    first = request.messages[0].content if request.messages else ""
    base = count_tokens(request.system) if request.system else 0
    out: list[tuple[str, int]] = []
    tokens = base
    for point, block in zip(request.cache_points, request.first_blocks()):
        tokens += count_tokens(block)
        out.append((hashlib.sha256(f"{request.system}\x00{first[:point]}".encode()).hexdigest(), tokens))
    return out


def cache_usage(calls: list[CacheCall], cache: CachePolicy | None) -> list[tuple[int, int]]:
    """(cache write, cache read) tokens of each call, replaying the provider's prompt cache over their start times.

    A call reads the longest of its shared prefixes that an earlier call wrote, if that write was usable when it
    started (the provider keeps a prefix once the writing call's reply begins) and the prefix was used within
    ``cache.ttl_s``; it writes the rest up to its longest prefix (each prefix counted down to the cache's step,
    none below its minimum).  A read refreshes the prefix.  Without a cache: nothing written or read.
    """
    out = [(0, 0)] * len(calls)
    if cache is None:
        return out
    live: dict[str, tuple[float, float]] = {}  # prefix digest -> (usable from, last used)
    for i in sorted(range(len(calls)), key=lambda i: calls[i].start):
        call = calls[i]
        levels = [(d, t // cache.step_tokens * cache.step_tokens) for d, t in call.prefixes]
        levels = [(d, min(t, call.prompt)) for d, t in levels if t >= cache.min_tokens]

        def hit(digest: str, at: float = call.start) -> bool:
            got = live.get(digest)
            return got is not None and got[0] <= at and at - got[1] <= cache.ttl_s

        read = max((t for d, t in levels if hit(d)), default=0)
        top = max((t for _, t in levels), default=0)
        for digest, tokens in levels:
            if hit(digest):
                live[digest] = (live[digest][0], call.start)
            elif tokens > read:
                old = live.get(digest)
                pending = old is not None and old[0] > call.start and call.start - old[1] <= cache.ttl_s
                usable = min(old[0], call.start + call.ttft) if pending and old is not None else call.start + call.ttft
                live[digest] = (usable, call.start)
        out[i] = (max(0, top - read), read)
    return out
