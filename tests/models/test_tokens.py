"""Offline token approximation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agents.models import Message, ModelRequest, count_tokens
from agents.models._tokens import tokenize


@given(st.text())
def test_tokenize_is_lossless(text: str) -> None:
    pieces = tokenize(text)
    assert "".join(pieces) == text
    assert all(pieces)
    assert count_tokens(text) == len(pieces)


def test_counts_follow_documented_rules() -> None:
    assert tokenize("def push(self, item):") == ["def", " push", "(", "self", ",", " item", ")", ":"]
    assert tokenize("\n        return 12345") == ["\n        ", "return", " 123", "45"]
    assert count_tokens("implementation") == 3  # letters in runs of up to 6
    assert count_tokens("") == 0


@given(st.text(max_size=300), st.text(max_size=300), st.text(max_size=300), st.text(max_size=100))
def test_prompt_tokens_count_each_cache_block(spec: str, index: str, rest: str, system: str) -> None:
    first = spec + index + rest
    request = ModelRequest(
        system=system,
        messages=(Message(role="user", content=first), Message(role="assistant", content=rest)),
        cache_points=tuple(sorted({len(spec), len(spec) + len(index)} - {0})),
    )
    joined = count_tokens("\n".join([system, first, rest]))
    counted = request.prompt_tokens()
    assert counted == count_tokens(system) + sum(count_tokens(b) for b in request.first_blocks()) + count_tokens(rest)
    # A cut can split one token in two (and the joining newlines of the whole text are not counted).
    assert joined - 2 <= counted <= joined + len(request.cache_points)


def test_a_shared_spec_is_tokenized_once() -> None:
    spec = "Spec of the task.\n" * 2000
    requests = [ModelRequest.prompt(spec + f"Implement f{i}.", cache_points=(len(spec),)) for i in range(5)]
    requests[0].prompt_tokens()  # the spec block enters the cache
    before = count_tokens.cache_info()
    totals = [r.prompt_tokens() for r in requests[1:]]
    after = count_tokens.cache_info()
    assert after.hits - before.hits == 4  # the spec block, once per later request
    assert totals == [count_tokens(spec) + count_tokens(f"Implement f{i}.") for i in range(1, 5)]
