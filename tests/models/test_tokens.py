"""Offline token approximation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agents.models import count_tokens
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
