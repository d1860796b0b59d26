"""Prompt caching end to end: the real anthropic SDK and httpx against fake servers that cache like the real APIs.

A task's calls share a prefix (its spec; in a package, then the file's index): the first call of the task
writes it, the next ones read it, and the cost uses the cache prices.
"""

from __future__ import annotations

from typing import Any

import pytest

from agents.models import ModelRequest, Pricing, StreamingModel, Usage, claude_pricing, count_tokens, openai_pricing, resolve_model
from agents.models.testing import FakePromptCache, FakeServer
from agents.roles import SYSTEM_PROMPT, build_context
from agents.roles._package import committed_text, package_index
from crdt_ws import TodoEntry, TodoStatus, todo_key

pytestmark = pytest.mark.anyio

REPLY = "```python\ndef f():\n    return 1\n```\n"
A = "def a():\n    \"\"\"A.\"\"\"\n    pass\n\n\ndef b():\n    \"\"\"B.\"\"\"\n    pass\n"
B = "class C:\n    def m(self):\n        \"\"\"M.\"\"\"\n        pass\n"
OUTLINES = {"pkg/a.py": A, "pkg/b.py": B}
# A spec well past every model's minimum cacheable length (the real ones are 15-17 k tokens).
SPEC = "\n".join(f"- step {i}: the function a{i} parses record {i} and returns its field {i % 7}" for i in range(400))


def _request(path: str, symbol: str, done: dict[str, str] | None = None) -> ModelRequest:
    done = done or {}
    todos = {
        todo_key(p, s): TodoEntry(id=todo_key(p, s), file=p, symbol=s, status=TodoStatus.DONE if s in done else TodoStatus.PENDING,
                                  result=done.get(s))  # fmt: skip
        for p, s in (("pkg/a.py", "a"), ("pkg/a.py", "b"), ("pkg/b.py", "C.m"))
    }
    entry = todos[todo_key(path, symbol)]
    module = committed_text(OUTLINES[path], [t for t in todos.values() if t.file == path])
    return build_context(
        entry, task_id="pkg", spec=SPEC, outline=OUTLINES[path], todos=todos, module=module, index=package_index(OUTLINES, skip=path)
    ).request


def _tokens(text: str) -> int:
    return count_tokens(text)


def _check_cost(usage: Usage, pricing: Pricing) -> None:
    expected = pricing.cost(
        input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
        cache_write_tokens=usage.cache_write_tokens, cache_read_tokens=usage.cache_read_tokens,
    )  # fmt: skip
    assert usage.cost_usd == pytest.approx(expected)


async def _calls(model: StreamingModel, requests: list[ModelRequest]) -> list[Usage]:
    out: list[Usage] = []
    async with model:
        for request in requests:
            completion = await model.complete(request)
            assert completion.text == REPLY
            out.append(completion.usage)
    return out


async def test_anthropic_second_call_of_a_task_reads_the_spec_and_index_the_first_one_wrote(api_key: str) -> None:
    del api_key
    cache = FakePromptCache(min_tokens=1024)
    first, second = _request("pkg/a.py", "a"), _request("pkg/a.py", "b", {"a": "def a():\n    return 0\n"})
    other = _request("pkg/b.py", "C.m", {"a": "def a():\n    return 0\n"})
    async with FakeServer(responder=cache.anthropic(REPLY)) as server:
        model = resolve_model("anthropic:claude-sonnet-4-5", base_url=server.base_url)
        u1, u2, u3 = await _calls(model, [first, second, other])
        bodies = [r.json() for r in server.requests]

    # What went over the wire: the first turn in blocks, marks ending the spec and the index, nothing else marked.
    content: list[dict[str, Any]] = bodies[0]["messages"][0]["content"]  # type: ignore[index]
    assert [("cache_control" in b) for b in content] == [True, True, False]
    assert "".join(b["text"] for b in content) == first.messages[0].content
    assert "cache_control" not in bodies[0]["system"][0]  # type: ignore[index]  # the short system prompt alone is not cached
    assert content[0]["text"] == bodies[1]["messages"][0]["content"][0]["text"]  # type: ignore[index]

    shared_spec = _tokens(SYSTEM_PROMPT) + _tokens(first.first_blocks()[0])
    shared_index = shared_spec + _tokens(first.first_blocks()[1])
    assert (u1.cache_write_tokens, u1.cache_read_tokens) == (shared_index, 0)
    assert (u2.cache_write_tokens, u2.cache_read_tokens) == (0, shared_index)  # same file: spec and index read
    other_index = shared_spec + _tokens(other.first_blocks()[1])
    assert (u3.cache_write_tokens, u3.cache_read_tokens) == (other_index - shared_spec, shared_spec)  # another file
    pricing = claude_pricing("claude-sonnet-4-5")
    assert pricing is not None
    for usage in (u1, u2, u3):
        _check_cost(usage, pricing)
        assert usage.input_tokens > 0 and not usage.estimated
    assert u2.cost_usd is not None and u1.cost_usd is not None and u2.cost_usd < 0.2 * u1.cost_usd
    # the same calls without the marks pay full price for every prompt token
    unmarked = resolve_model("anthropic:claude-sonnet-4-5", cache_prompt_prefix=False)
    assert unmarked.prompt_cache is None and "cache_control" not in str(unmarked.request_body(second))  # type: ignore[attr-defined]


async def test_anthropic_prefix_below_the_model_minimum_is_not_marked(api_key: str) -> None:
    del api_key
    short = build_context(TodoEntry(id="S.a", file="s.py", symbol="S.a"), task_id="t", spec="Build S.", outline="class S: ...", todos={}).request
    cache = FakePromptCache(min_tokens=1024)
    async with FakeServer(responder=cache.anthropic(REPLY)) as server:
        model = resolve_model("anthropic:claude-sonnet-4-5", base_url=server.base_url)
        u1, u2 = await _calls(model, [short, short])
        body = server.requests[0].json()
    assert "cache_control" not in str(body)
    assert (u1.cache_write_tokens, u1.cache_read_tokens, u2.cache_read_tokens) == (0, 0, 0)


async def test_openai_second_call_of_a_task_is_billed_as_cached_input() -> None:
    cache = FakePromptCache()
    first, second = _request("pkg/a.py", "a"), _request("pkg/a.py", "b", {"a": "def a():\n    return 0\n"})
    pricing = openai_pricing("gpt-4.1-mini")
    assert pricing is not None and pricing.cache_read < pricing.input
    async with FakeServer(responder=cache.openai(REPLY)) as server:
        model = resolve_model(f"openai:gpt-4.1-mini@{server.base_url}/v1", pricing=pricing)
        u1, u2 = await _calls(model, [first, second])
        bodies = [r.json() for r in server.requests]
    # the shared prefix leads the first user turn, as the same plain string in both calls
    end = first.cache_points[-1]
    assert bodies[0]["messages"][1]["content"][:end] == bodies[1]["messages"][1]["content"][:end]  # type: ignore[index]
    assert u1.cache_read_tokens == 0 and u2.cache_read_tokens >= 1024 and u2.cache_read_tokens % 128 == 0
    assert u2.input_tokens + u2.cache_read_tokens == cache.log[1][0] + cache.log[1][2]  # prompt_tokens include the cached ones
    assert u2.cache_read_tokens > 0.8 * (u2.input_tokens + u2.cache_read_tokens)  # nearly all of the prompt is the spec
    for usage in (u1, u2):
        _check_cost(usage, pricing)
    assert u2.cost_usd is not None and u1.cost_usd is not None and u2.cost_usd < 0.5 * u1.cost_usd


def test_openai_prices_apply_at_openai_only_and_snapshots_map_to_their_model() -> None:
    assert resolve_model("openai:gpt-4.1-mini@https://api.openai.com/v1").pricing == openai_pricing("gpt-4.1-mini-2025-04-14")
    local = resolve_model("openai:gpt-4.1-mini@http://127.0.0.1:8000/v1").pricing
    assert local is not None and local.input == local.output == 0  # a local server bills nothing
    assert openai_pricing("qwen2.5-coder") is None
    assert resolve_model("openai:my-finetune@https://api.openai.com/v1").pricing is None  # unknown at OpenAI: not guessed


async def test_a_cost_budget_is_charged_the_cached_prices_the_calls_paid(api_key: str) -> None:
    del api_key
    from agents.models import Budget

    cache = FakePromptCache(min_tokens=1024)
    budget = Budget(max_cost_usd=5.0)
    requests = [_request("pkg/a.py", "a"), _request("pkg/a.py", "b"), _request("pkg/a.py", "b")]
    async with FakeServer(responder=cache.anthropic(REPLY)) as server:
        model = resolve_model("anthropic:claude-sonnet-4-5", base_url=server.base_url, budget=budget)
        usages = await _calls(model, requests)
    snap = budget.snapshot()
    assert snap.calls == 3 and snap.reserved_cost_usd == 0
    assert snap.cost_usd == pytest.approx(sum(u.cost_usd or 0.0 for u in usages))
    pricing = claude_pricing("claude-sonnet-4-5")
    assert pricing is not None
    full = sum(pricing.cost(input_tokens=u.input_tokens + u.cache_write_tokens + u.cache_read_tokens, output_tokens=u.output_tokens) for u in usages)
    assert snap.cost_usd < 0.6 * full  # two of three calls read the prefix: the budget saw the discount


def test_cache_marks_change_neither_a_recording_s_fingerprint_nor_an_offline_reply_s_pacing() -> None:
    import json

    from agents.models import request_fingerprint

    marked = _request("pkg/a.py", "a")
    bare = marked.model_copy(update={"cache_points": ()})
    assert marked.cache_points and marked.messages == bare.messages
    assert request_fingerprint("anthropic:claude-sonnet-4-5", marked) == request_fingerprint("anthropic:claude-sonnet-4-5", bare)
    assert marked.content_key() == bare.content_key() and "cache_points" not in json.loads(marked.content_key())
