"""Merges committed to real pycrdt documents: minimal edits, idempotence, concurrent edits survive."""

from __future__ import annotations

import itertools

import pycrdt
import pytest

from crdt_ws._text import TextBuffer
from merge import commit_to_text, find_conflicts, reconcile_text

SOURCE = '''"""Queue — a FIFO with é, → and 字 in its docs."""
from collections import deque


class Queue:
    """FIFO → first in, first out."""

    def __init__(self):
        self.items = deque()

    def push(self, item):
        """Add item → back (é)."""

    def pop(self):
        """Remove → front (字)."""

    def peek(self):
        """Look at the front without removing it — ü."""
'''

PEEK_REPLY = """Here you go:

```python
import json
from collections import deque

def _describe(item):
    return json.dumps({"front": item}, ensure_ascii=False)

class Queue:
    def peek(self):
        \"\"\"Peek.\"\"\"
        return _describe(self.items[0]) if self.items else None
```
It returns the front item → as JSON."""


def make_replicas(n: int) -> list[pycrdt.Doc]:
    origin = pycrdt.Doc()
    origin["files"] = files = pycrdt.Map()
    files["queue.py"] = pycrdt.Text(SOURCE)
    docs = []
    for _ in range(n):
        doc = pycrdt.Doc()
        doc.apply_update(origin.get_update())
        docs.append(doc)
    return docs


def text_of(doc: pycrdt.Doc) -> pycrdt.Text:
    files = doc.get("files", type=pycrdt.Map)
    text = files["queue.py"]
    assert isinstance(text, pycrdt.Text)
    return text


def sync(docs: list[pycrdt.Doc], order: tuple[int, ...]) -> None:
    """Exchange updates pairwise in the given order until everyone has everything."""
    for _ in range(2):
        for i in order:
            for j in order:
                if i != j:
                    docs[j].apply_update(docs[i].get_update(docs[j].get_state()))


def test_commit_edits_only_the_symbol_import_and_helper() -> None:
    (doc,) = make_replicas(1)
    text = text_of(doc)
    events: list[pycrdt.TextEvent] = []
    text.observe(lambda e: events.append(e))  # type: ignore[arg-type]
    result = commit_to_text(text, "Queue.peek", PEEK_REPLY, origin="agent-c")
    source = str(text)
    assert result.changed and result.edits == 2  # import + helper (adjacent), method body
    assert "import json\n" in source and "def _describe(item):" in source
    assert '        """Look at the front without removing it — ü."""\n        return _describe(' in source
    deleted = sum(d.get("delete", 0) for e in events for d in e.delta)  # type: ignore[union-attr]
    assert deleted == 0  # nothing outside the region was deleted and reinserted
    compile(source, "queue.py", "exec")
    again = commit_to_text(text, "Queue.peek", PEEK_REPLY, origin="agent-c")
    assert not again.changed and str(text) == source and source.count("def peek") == 1


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_two_edits_and_a_merge_all_survive(order: tuple[int, ...]) -> None:
    a, b, c = make_replicas(3)
    # Replica A types an implementation into push (a plain region edit, as a streaming implementer does).
    ta = text_of(a)
    with a.transaction(origin="agent-a"):
        TextBuffer(ta).replace_symbol(
            "Queue.push", '    def push(self, item):\n        """Add item → back (é)."""\n        self.items.append(item)  # é\n\n'
        )
    # Replica B commits pop through the merge, as a bare body.
    commit_to_text(text_of(b), "Queue.pop", "return self.items.popleft()  # → 字", origin="agent-b")
    # Replica C commits peek with an import and a helper.
    commit_to_text(text_of(c), "Queue.peek", PEEK_REPLY, origin="agent-c")
    sync([a, b, c], order)
    sources = {str(text_of(d)) for d in (a, b, c)}
    assert len(sources) == 1
    (merged,) = sources
    assert "self.items.append(item)  # é" in merged
    assert "return self.items.popleft()  # → 字" in merged
    assert "return _describe(self.items[0])" in merged and "import json" in merged
    assert merged.count("def push") == merged.count("def pop") == merged.count("def peek") == 1
    namespace: dict[str, object] = {}
    exec(compile(merged, "queue.py", "exec"), namespace)
    queue = namespace["Queue"]()  # type: ignore[operator]
    queue.push("é")
    assert queue.peek() == '{"front": "é"}' and queue.pop() == "é"


def test_concurrent_double_commit_is_reconciled_to_the_winner() -> None:
    a, b = make_replicas(2)
    commit_to_text(text_of(a), "Queue.pop", "def pop(self):\n    return self.items.popleft()  # A\n", origin="a")
    commit_to_text(text_of(b), "Queue.pop", "def pop(self):\n    return self.items.pop()  # B wins\n", origin="b")
    sync([a, b], (0, 1))
    both = str(text_of(a))
    assert "# A" in both and "# B wins" in both  # the CRDT kept both replicas' text
    winner = "def pop(self):\n    return self.items.pop()  # B wins\n"
    reconcile_text(text_of(a), origin="a", preferred={"Queue.pop": winner})
    reconcile_text(text_of(b), origin="b", preferred={"Queue.pop": winner})  # concurrently, same decision
    sync([a, b], (1, 0))
    final = str(text_of(a))
    assert final == str(text_of(b))
    assert "# A" not in final and final.count("# B wins") == 1 and final.count("def pop") == 1
    assert find_conflicts(final) == []


def test_commit_while_another_method_is_mid_edit() -> None:
    (doc,) = make_replicas(1)
    text = text_of(doc)
    with doc.transaction(origin="streamer"):
        TextBuffer(text).replace_symbol("Queue.push", "    def push(self, item):\n        self.items.append(\n\n")
    commit_to_text(text, "Queue.peek", "def peek(self):\n    return self.items[0]\n", origin="merger")
    source = str(text)
    assert "        self.items.append(\n" in source  # the half-written line is untouched
    assert "return self.items[0]" in source


@pytest.mark.parametrize("seed", range(40))
def test_apply_source_turns_any_text_into_any_other_with_edits_between_their_common_head_and_tail(seed: int) -> None:
    import random

    from merge._crdt import apply_source

    rng = random.Random(seed)
    words = ["a\n", "b\n", "a\n", "def f():\n", "    pass\n", "\n", "x = 1\n", "import os\n"]
    old = "".join(rng.choice(words) for _ in range(rng.randrange(0, 30)))
    lines = old.splitlines(keepends=True)
    for _ in range(rng.randrange(0, 4)):  # inserts, deletes and rewrites anywhere, repeated lines included
        at = rng.randrange(0, len(lines) + 1)
        if rng.random() < 0.4:
            lines[at:at] = [rng.choice(words) for _ in range(rng.randrange(1, 3))]
        else:
            del lines[at : at + rng.randrange(0, 3)]
            lines[at:at] = [rng.choice(words)] if rng.random() < 0.5 else []
    new = "".join(lines) + ("tail\n" if rng.random() < 0.3 else "")
    doc = pycrdt.Doc()
    doc["code"] = text = pycrdt.Text(old)
    edits = apply_source(TextBuffer(text), old, new)
    assert str(text) == new
    assert (edits == 0) == (old == new)
