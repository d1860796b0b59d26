"""assemble(): outline repair before merging and borrowing an implementation from another reply."""

from __future__ import annotations

import pytest

from merge import MergeConfig, NoImplementationFound, assemble, repair_outline

BROKEN_OUTLINE = '''class Calendar:
    """Events."""

    def __init__(self):
        """
        Start with no events.
        self.events = []

    def add(self, event):
        """
        Add an event.
        """

    def count(self):
        """
        How many events.
        """
'''


def test_open_docstring_of_an_unrequested_method_is_closed_before_its_code() -> None:
    fixed, repairs = repair_outline(BROKEN_OUTLINE)
    compile(fixed, "<fixed>", "exec")
    assert repairs == ("closed the docstring of '__init__' (line 5)",)
    assert '        Start with no events.\n        """\n        self.events = []\n' in fixed
    ns: dict[str, object] = {}
    exec(fixed, ns)
    assert ns["Calendar"]().events == []  # type: ignore[operator,attr-defined]


def test_assembly_of_a_broken_outline_runs() -> None:
    replies = [
        ("Calendar.add", "```python\ndef add(self, event):\n    self.events.append(event)\n```"),
        ("Calendar.count", "def count(self):\n    return len(self.events)\n"),
    ]
    a = assemble(BROKEN_OUTLINE, replies)
    assert a.outline_repairs and not a.failures
    ns: dict[str, object] = {}
    exec(a.source, ns)
    cal = ns["Calendar"]()  # type: ignore[operator]
    cal.add("x")
    assert cal.count() == 1


def test_docstring_with_only_prose_is_closed_after_its_text() -> None:
    src = 'def f():\n    """\n    Prose: nothing here looks like code.\n    Returns 1\n\ndef g():\n    """g."""\n    return 2\n'
    fixed, repairs = repair_outline(src)
    assert repairs
    assert '    Returns 1\n    """\n\ndef g():' in fixed
    compile(fixed, "<fixed>", "exec")


@pytest.mark.parametrize(
    "source",
    [
        'def f():\n    """Fine."""\n    return 1\n',  # nothing to repair
        "def f(:\n    return 1\n",  # broken, but not by a docstring: left alone
    ],
)
def test_outline_repair_leaves_other_sources_unchanged(source: str) -> None:
    assert repair_outline(source) == (source, ())


OUTLINE = '''class Combos:
    def __init__(self, items):
        self.items = items

    def pick(self, m):
        """All m-combinations."""

    def _pick(self, start, chosen, out):
        """Recursive helper of pick."""
'''

PICK_WITH_HELPER = """Here is pick, with the helper it relies on:

```python
def pick(self, m):
    out = []
    self._pick(0, [], out, m)
    return out

def _pick(self, start, chosen, out, m):
    if len(chosen) == m:
        out.append(list(chosen))
        return
    for i in range(start, len(self.items)):
        self._pick(i + 1, chosen + [self.items[i]], out, m)
```
"""

# The helper's own reply implemented the wrong method (pick again, not _pick).
HELPER_REPLY = """```python
def pick(self, m):
    return [[x] for x in self.items]
```
"""


def test_a_method_missing_from_its_own_reply_is_borrowed_from_another() -> None:
    a = assemble(OUTLINE, [("Combos.pick", PICK_WITH_HELPER), ("Combos._pick", HELPER_REPLY)])
    assert a.borrowed == {"Combos._pick": "Combos.pick"} and not a.failures
    assert a.source.count("def pick") == 1  # the helper reply's own pick did not replace the real one
    ns: dict[str, object] = {}
    exec(a.source, ns)
    assert ns["Combos"]("abc").pick(2) == [["a", "b"], ["a", "c"], ["b", "c"]]  # type: ignore[operator]


def test_own_reply_wins_and_borrowing_can_be_turned_off() -> None:
    own = "def _pick(self, start, chosen, out):\n    out.append('own')\n"
    a = assemble(OUTLINE, [("Combos.pick", PICK_WITH_HELPER), ("Combos._pick", own)])
    assert not a.borrowed and "out.append('own')" in a.source
    b = assemble(OUTLINE, [("Combos.pick", PICK_WITH_HELPER), ("Combos._pick", HELPER_REPLY)], MergeConfig(borrow_implementations=False))
    assert not b.borrowed and isinstance(b.failures["Combos._pick"], NoImplementationFound)
    assert '"""Recursive helper of pick."""\n' in b.source  # the stub stays


def test_nothing_to_borrow_keeps_the_failure() -> None:
    a = assemble(OUTLINE, [("Combos._pick", HELPER_REPLY), ("Combos.pick", "I cannot help with that.")])
    # pick's reply is prose, so pick comes from _pick's reply; nobody implemented _pick.
    assert a.borrowed == {"Combos.pick": "Combos._pick"}
    assert set(a.failures) == {"Combos._pick"} and isinstance(a.failures["Combos._pick"], NoImplementationFound)
