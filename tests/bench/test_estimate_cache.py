"""The dry run prices what a run would pay: prompt-cache writes and reads replayed over the calls' start times."""

from __future__ import annotations

import pytest

from agents.models import CachePolicy, ModelRequest, resolve_model
from agents.models._pricing import anthropic_cache, claude_pricing, openai_cache  # pyright: ignore[reportPrivateUsage]
from bench._cache_replay import CacheCall, cache_usage, request_prefixes
from bench._estimate import Estimate, TrialEstimate, estimate_trials, summarize_estimate
from bench.suites import SuiteReferences, get_suite

CACHE = CachePolicy(min_tokens=1024, ttl_s=300.0, note="test cache")


def _call(start: float, *prefixes: tuple[str, int], prompt: int = 5000, ttft: float = 1.0) -> CacheCall:
    return CacheCall(prompt=prompt, reply=100, prefixes=list(prefixes), ttft=ttft, start=start)


def test_a_serial_task_writes_its_spec_once_and_reads_it_after() -> None:
    calls = [_call(t, ("spec", 2000)) for t in (0.0, 10.0, 20.0)]
    assert cache_usage(calls, CACHE) == [(2000, 0), (0, 2000), (0, 2000)]
    assert cache_usage(calls, None) == [(0, 0)] * 3


def test_parallel_agents_starting_before_the_first_write_is_usable_all_write() -> None:
    calls = [_call(0.0, ("spec", 2000)) for _ in range(4)] + [_call(0.5, ("spec", 2000)), _call(1.5, ("spec", 2000))]
    assert cache_usage(calls, CACHE) == [(2000, 0)] * 5 + [(0, 2000)]  # usable once the first reply began (ttft 1 s)


def test_the_prefix_expires_after_its_lifetime_unless_a_read_refreshed_it() -> None:
    assert cache_usage([_call(0.0, ("s", 2000)), _call(301.0, ("s", 2000))], CACHE) == [(2000, 0), (2000, 0)]
    refreshed = [_call(t, ("s", 2000)) for t in (0.0, 250.0, 500.0, 750.0)]
    assert cache_usage(refreshed, CACHE) == [(2000, 0), (0, 2000), (0, 2000), (0, 2000)]


def test_a_file_index_after_the_spec_is_written_per_file_and_the_spec_read_across_files() -> None:
    a1, b1, a2 = _call(0.0, ("spec", 2000), ("index a", 2300)), _call(10.0, ("spec", 2000), ("index b", 2600)), _call(20.0, ("spec", 2000), ("index a", 2300))
    assert cache_usage([a1, b1, a2], CACHE) == [(2300, 0), (600, 2000), (0, 2300)]


def test_prefixes_below_the_minimum_are_not_cached_and_openai_counts_in_steps() -> None:
    assert cache_usage([_call(0.0, ("s", 900)), _call(5.0, ("s", 900))], CACHE) == [(0, 0), (0, 0)]
    calls = [_call(0.0, ("s", 1300)), _call(5.0, ("s", 1300))]
    assert cache_usage(calls, openai_cache()) == [(1280, 0), (0, 1280)]  # 1024 + 2 x 128
    assert anthropic_cache("claude-haiku-4-5").min_tokens == 4096 and anthropic_cache("claude-sonnet-4-5").ttl_s == 300


def test_a_request_s_prefixes_are_its_cache_points_with_the_system_prompt_counted() -> None:
    request = ModelRequest(system="sys " * 10, messages=(ModelRequest.prompt("a " * 100 + "b " * 50 + "rest").messages), cache_points=(200, 300))
    (d1, t1), (d2, t2) = request_prefixes(request)
    assert d1 != d2 and 0 < t1 < t2
    same_spec = ModelRequest(system="sys " * 10, messages=(ModelRequest.prompt("a " * 100 + "c " * 50 + "rest").messages), cache_points=(200, 300))
    assert request_prefixes(same_spec)[0] == (d1, t1) and request_prefixes(same_spec)[1][0] != d2


def test_estimate_trials_prices_a_bundled_task_call_by_call_with_the_cache() -> None:
    suite = get_suite("bundled")
    task = suite.tasks[0]
    pricing = claude_pricing("claude-sonnet-4-5")
    assert pricing is not None
    free_min = CachePolicy(min_tokens=0, ttl_s=300.0, note="every prefix cached")  # bundled specs are short
    args: dict[str, object] = {"agents": 4, "references": SuiteReferences(suite), "profile": "sonnet", "time_scale": 1.0, "pricing": pricing}
    cached = estimate_trials([task], ["serial"], cache=free_min, **args)[f"{task.id}/serial"]  # type: ignore[arg-type]
    plain = estimate_trials([task], ["serial"], **args)[f"{task.id}/serial"]  # type: ignore[arg-type]
    assert cached.calls > 1 and (plain.cache_write_tokens, plain.cache_read_tokens) == (0, 0)
    assert (cached.input_tokens, cached.output_tokens) == (plain.input_tokens, plain.output_tokens)
    # serial: the first call writes the task's one shared prefix (spec + outline), every later call reads it
    assert cached.cache_read_tokens == cached.cache_write_tokens * (cached.calls - 1) > 0
    uncached = pricing.cost(input_tokens=plain.input_tokens, output_tokens=plain.output_tokens)
    assert plain.cost_usd == pytest.approx(uncached) and cached.uncached_cost_usd == pytest.approx(uncached)
    w, r = cached.cache_write_tokens, cached.cache_read_tokens
    expected = pricing.cost(input_tokens=cached.input_tokens - w - r, output_tokens=cached.output_tokens, cache_write_tokens=w, cache_read_tokens=r)
    assert cached.cost_usd is not None and cached.cost_usd == pytest.approx(expected) and cached.cost_usd < uncached


def _trial(prompt_per_call: int, calls: int, cost: float | None) -> TrialEstimate:
    return TrialEstimate(task="t", requested="serial", mode="serial", calls=calls, input_tokens=prompt_per_call * calls,
                         output_tokens=100 * calls, cache_write_tokens=10, cache_read_tokens=20, cost_usd=cost,
                         uncached_cost_usd=None if cost is None else cost * 2, model_s=1.0)  # fmt: skip


def test_the_summary_sums_per_call_prices_so_a_long_prompt_band_never_applies_to_totals() -> None:
    # 20 calls of 15 k tokens: 300 k in all, but every request is below Sonnet 4.5's 200 k long-prompt band.
    pricing = claude_pricing("claude-sonnet-4-5")
    assert pricing is not None
    per_call = pricing.cost(input_tokens=15_000, output_tokens=100)
    trial = _trial(15_000, 20, per_call * 20)
    model = resolve_model("anthropic:claude-sonnet-4-5")
    summary = summarize_estimate({"t/serial": trial}, [("t", "serial", 0)], model, 1)
    assert summary.cost_usd is not None
    assert summary.cost_usd == pytest.approx(20 * (15_000 * 3.0 + 100 * 15.0) / 1e6)  # base prices
    assert pricing.cost(input_tokens=300_000, output_tokens=2000) > 1.9 * summary.cost_usd  # what pricing the totals did
    assert (summary.cache_write_tokens, summary.cache_read_tokens, summary.uncached_cost_usd) == (10, 20, pytest.approx(2 * summary.cost_usd))
    text = "\n".join(summary.lines())
    assert "with prompt caching" in text and "5 min" in text and "no reuse across trials" in text
    offline = summarize_estimate({"t/serial": _trial(10, 1, None)}, [("t", "serial", 0)], resolve_model("scripted", references=SuiteReferences(get_suite("bundled"))), 1)
    assert "none assumed" in "\n".join(offline.lines()) and isinstance(offline, Estimate)
