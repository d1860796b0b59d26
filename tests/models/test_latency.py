"""Latency model: stream schedules (timing accuracy itself is measured by bench/micro/latency_model.py)."""

from __future__ import annotations

import anyio
import pytest

from agents.models import PROFILES, ConfigError, LatencyConfig, LatencyModel, get_profile
from agents.models._tokens import tokenize

TEXT = "Here is the implementation:\n```python\ndef push(self, item):\n    self.items.append(item)\n```\n" * 3


def test_plan_follows_profile_exactly_without_jitter() -> None:
    model = LatencyModel(LatencyConfig(profile="sonnet", jitter=0.0, chunk_tokens=3))
    plan = model.plan(TEXT, "k")
    profile = get_profile("sonnet")
    assert profile.tokens_per_s is not None
    n = len(tokenize(TEXT))
    assert "".join(plan.chunks) == TEXT and plan.tokens == n
    assert plan.offsets[0] == pytest.approx(profile.ttft_s)
    assert plan.offsets[-1] == pytest.approx(profile.ttft_s + (n - 1) / profile.tokens_per_s)
    assert plan.offsets == sorted(plan.offsets)
    assert len(plan.chunks[0]) > 0 and len(tokenize(plan.chunks[0])) == 1, "first chunk is the first token, at TTFT"


def test_time_scale_multiplies_every_offset() -> None:
    config = LatencyConfig(profile="haiku", jitter=0.2, seed=4, min_chunk_interval_s=0)
    base = LatencyModel(config).plan(TEXT, "k")
    fast = LatencyModel(config.model_copy(update={"time_scale": 0.1})).plan(TEXT, "k")
    assert fast.chunks == base.chunks
    assert fast.offsets == pytest.approx([o * 0.1 for o in base.offsets])


def test_fast_streams_send_bigger_chunks_not_more() -> None:
    config = LatencyConfig(profile="haiku", jitter=0.0, time_scale=0.1, min_chunk_interval_s=0.02)
    plan = LatencyModel(config).plan(TEXT, "k")
    gaps = [b - a for a, b in zip(plan.offsets, plan.offsets[1:-1])]
    assert gaps and min(gaps) >= 0.02 - 1e-9
    assert "".join(plan.chunks) == TEXT
    assert plan.offsets[-1] == pytest.approx((0.8 + (plan.tokens - 1) / 110) * 0.1), "the last token still lands on time"


def test_jitter_is_seeded_per_request_and_mean_one() -> None:
    model = LatencyModel(LatencyConfig(profile="opus", jitter=0.15, seed=1))
    assert model.plan(TEXT, "a").offsets == model.plan(TEXT, "a").offsets
    ttfts = [model.plan(TEXT, f"req{i}").ttft_s for i in range(2000)]
    assert len(set(ttfts)) > 1000
    mean = sum(ttfts) / len(ttfts)
    assert mean == pytest.approx(get_profile("opus").ttft_s, rel=0.02)


def test_profiles_document_their_sources_and_unknown_is_an_error() -> None:
    for profile in PROFILES.values():
        assert profile.source
        if profile.name != "instant":
            assert "approximate" in profile.source
    with pytest.raises(ConfigError, match="known: .*claude-sonnet-4-6"):
        get_profile("gpt-9")


@pytest.mark.anyio
async def test_pace_yields_chunks_in_order_no_earlier_than_planned() -> None:
    model = LatencyModel(LatencyConfig(profile="haiku", jitter=0.0, time_scale=0.02))
    plan = model.plan(TEXT, "k")
    start = anyio.current_time()
    got: list[tuple[str, float]] = []
    async for chunk in model.pace(plan, start):
        got.append((chunk, anyio.current_time() - start))
    assert [c for c, _ in got] == plan.chunks
    assert all(t >= o - 1e-3 for (_, t), o in zip(got, plan.offsets))
