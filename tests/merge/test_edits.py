"""SEARCH/REPLACE edits: what a repair reply may hold, applied to the code it was shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from merge import ExtractError, apply_edits, write_edits
from merge._errors import EditNotApplied

BASE = '''import re

    def area(self, w, h):
        """Area."""
        if w < 0:
            raise ValueError(w)
        return w * h
'''


def block(search: str, replace: str) -> str:
    return f"<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n"


def test_an_exact_edit_replaces_its_lines() -> None:
    reply = "Fixed the product:\n" + block("        return w * h", "        return w * h * 1.0")
    assert apply_edits(BASE, reply) == BASE.replace("return w * h", "return w * h * 1.0")


def test_an_edit_written_flush_left_is_shifted_to_its_place() -> None:
    reply = block("if w < 0:\n    raise ValueError(w)", "if w <= 0:\n    raise ValueError(w)")
    assert apply_edits(BASE, reply) == BASE.replace("if w < 0", "if w <= 0")


def test_several_edits_apply_in_one_reply_and_fences_around_them_are_ignored() -> None:
    reply = "```\n" + block("import re", "import math") + block("return w * h", "return math.prod((w, h))") + "```\n"
    assert apply_edits(BASE, reply) == BASE.replace("import re", "import math").replace("return w * h", "return math.prod((w, h))")


def test_a_reply_without_markers_is_not_an_edit() -> None:
    assert apply_edits(BASE, "```python\ndef area(self, w, h):\n    return 0\n```") is None


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (block("return w + h", "return 0"), "not in the code shown"),
        (block("", "x = 1"), "empty"),
        ("<<<<<<< SEARCH\nreturn w * h\n=======\nreturn 0\n", "no complete"),  # cut before its end marker
        (block("w", "v"), "not in the code shown"),
        (block("        if w < 0:\n            raise ValueError(w)", "pass") + block("            raise ValueError(w)\n        return w * h", "pass"), "overlap"),
    ],
)
def test_edits_that_do_not_apply_say_why(reply: str, why: str) -> None:
    with pytest.raises(EditNotApplied, match=why):
        apply_edits(BASE, reply)


def test_an_edit_naming_two_places_is_refused() -> None:
    base = "def f():\n    x = 1\n    x = 1\n"
    with pytest.raises(EditNotApplied, match="2 times"):
        apply_edits(base, block("x = 1", "x = 2"))
    assert issubclass(EditNotApplied, ExtractError)  # the implementer treats it like any unusable reply


def test_written_edits_are_short_and_unique() -> None:
    new = BASE.replace("return w * h", "return w * h or 0")
    edits = write_edits(BASE, new)
    assert edits.count("<<<<<<< SEARCH") == 1 and "import re" not in edits
    assert apply_edits(BASE, edits) == new
    assert write_edits(BASE, BASE) == ""
    repeated = "def f():\n    x = 1\n    y = 2\n    x = 1\n    y = 2\n"
    changed = repeated[: repeated.rindex("y = 2")] + "y = 3\n"
    assert apply_edits(repeated, write_edits(repeated, changed)) == changed  # widened until it names one place


_LINES = st.lists(st.sampled_from(["    a = 1", "    b = 2", "    return a", "", "    if a:", "        pass"]), max_size=12)


@given(_LINES, _LINES, _LINES)
def test_written_edits_always_turn_the_base_into_the_new_text(head: list[str], old: list[str], new: list[str]) -> None:
    base = "\n".join(["def f():", *head, *old]) + "\n"
    target = "\n".join(["def f():", *head, *new]) + "\n"
    edits = write_edits(base, target)
    assert (apply_edits(base, edits) if edits else base) == target
