"""Extraction from messy replies: every shape seen in the recorded ClassEval replies."""

from __future__ import annotations

import libcst as cst
import pytest

from merge import (
    AmbiguousImplementation,
    MergeConfig,
    NoImplementationFound,
    UnparsableReply,
    extract,
    find_stub,
)

STUB_MODULE = '''class Stack:
    def __init__(self):
        self.items = []

    def push(self, item, times=1):
        """Push item."""
'''


def body_of(code: str) -> str:
    return code.split(":", 1)[1]


def test_plain_function() -> None:
    e = extract("def push(self, item, times=1):\n    self.items.append(item)\n", "Stack.push")
    assert "self.items.append(item)" in e.code
    assert e.repairs == ()


def test_prose_and_fence_with_trailing_explanation() -> None:
    reply = (
        "Here is the completed `push` method:\n\n```python\ndef push(self, item, times=1):\n"
        "    for _ in range(times):\n        self.items.append(item)\n```\n\nThis appends the item."
    )
    e = extract(reply, "Stack.push")
    assert "for _ in range(times)" in e.code
    assert "fenced" in e.repairs


def test_unclosed_fence_and_crlf() -> None:
    reply = "Sure:\r\n```py\r\ndef push(self, item, times=1):\r\n    self.items.append(item)\r\n"
    e = extract(reply, "Stack.push")
    assert "\r" not in e.code and "append" in e.code


def test_whole_class_with_stubs_and_imports() -> None:
    reply = '''```python
import collections
from typing import List

class Stack:
    def __init__(self):
        pass

    def pop(self):
        pass

    def push(self, item, times=1):
        self._grow()
        self.items.extend(collections.deque([item] * times))

    def _grow(self):
        self.capacity = 2
```'''
    e = extract(reply, "Stack.push")
    assert "collections.deque" in e.code
    assert {cst.Module(body=[i]).code.strip() for i in e.imports} == {"import collections", "from typing import List"}
    names = [h.name.value for h in e.class_helpers if isinstance(h, cst.FunctionDef)]
    assert names == ["__init__", "pop", "_grow"]


def test_indented_method_snippet_after_prose() -> None:
    reply = "You can add this to the class:\n\n    @staticmethod\n    def push(item):\n        return [item]\n\nDone."
    e = extract(reply, "Stack.push")
    assert e.function.decorators and "return [item]" in e.code
    assert "skip_prose" in e.repairs


def test_echoed_prompt_is_ignored() -> None:
    reply = (
        "### Instruction:\nplease complete push\n\nclass Stack:\n    def push(self, item, times=1):\n"
        '        """Push item."""\n\n### Response:def push(self, item, times=1):\n    self.items.append(item)\n'
    )
    e = extract(reply, "Stack.push")
    assert "append" in e.code and "response_marker" in e.repairs


def test_truncated_reply_is_trimmed() -> None:
    reply = "def push(self, item, times=1):\n    if times > 1:\n        self.items.extend([item] * times)\n    else:\n        self.items.append("
    e = extract(reply, "Stack.push")
    assert "trimmed_tail" in e.repairs
    assert "extend" in e.code
    with pytest.raises(UnparsableReply):
        extract(reply, "Stack.push", MergeConfig(accept_truncated=False))


def test_body_only_reply_needs_the_stub() -> None:
    reply = "self.items.append(item)\nreturn len(self.items)"
    with pytest.raises(NoImplementationFound):
        extract(reply, "Stack.push")
    stub = find_stub(STUB_MODULE, "Stack.push")
    e = extract(reply, "Stack.push", stub=stub)
    assert "body_only" in e.repairs
    assert e.code.startswith("def push(self, item, times=1):")


def test_only_stubs_or_other_names() -> None:
    with pytest.raises(NoImplementationFound, match="stub"):
        extract("```python\ndef push(self, item, times=1):\n    pass\n```", "Stack.push")
    with pytest.raises(NoImplementationFound):
        extract("def pop(self):\n    return 1\n", "Stack.push")


def test_no_code_at_all() -> None:
    with pytest.raises(UnparsableReply):
        extract("The method is already implemented correctly; no change is needed!", "Stack.push")


def test_ambiguity_policies() -> None:
    reply = "```python\ndef push(self, item):\n    return 1\n```\nOr:\n```python\ndef push(self, item):\n    return 2\n```"
    assert "return 1" in extract(reply, "Stack.push").code
    assert "return 2" in extract(reply, "Stack.push", MergeConfig(ambiguity="last")).code
    with pytest.raises(AmbiguousImplementation):
        extract(reply, "Stack.push", MergeConfig(ambiguity="error"))


def test_exact_class_beats_free_function() -> None:
    reply = "def push(self, item):\n    return 'free'\n\nclass Stack:\n    def push(self, item):\n        return 'method'\n"
    assert "'method'" in extract(reply, "Stack.push").code


def test_bad_qualname() -> None:
    with pytest.raises(ValueError):
        extract("def f(): return 1", "Stack.1push")
