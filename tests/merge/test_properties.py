"""Property tests: splicing is idempotent; merged output always compiles or a MergeError is raised."""

from __future__ import annotations

import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merge import MergeError, splice

MODULE = '''"""Module → é."""
import os


def clamp(v):
    return max(0, v)


class Box:
    """A box — ü."""

    def __init__(self):
        self.items = []

    @staticmethod
    def size(w: int, h: int = 1) -> int:
        """Size."""

    def put(self, item):
        """Put → item."""
'''

STATEMENTS = [
    "self.items.append(item)",
    "return len(self.items)",
    "x = clamp(len(self.items))",
    "total = math.fsum([1.0, 2.0])",
    "if item is None:\n    return None",
    "for i in range(3):\n    self.items.append(i)",
    "data = json.dumps({'é': item})",
    "return helper(item)",
    "value = np.array([1])",
    "self._tidy()",
    "raise ValueError('→ bad')",
]
IMPORTS = ["import json", "import numpy as np", "from os import path as p", "import os", "import math"]
HELPERS = [
    "def helper(x):\n    return [x]",
    "def clamp(v):\n    return min(9, v)",
    "LIMIT = 3",
]
CLASS_HELPERS = ["def _tidy(self):\n    self.items.sort()"]
PROSE = st.text(st.characters(codec="utf-8", exclude_characters="`"), max_size=40)


@st.composite
def replies(draw: st.DrawFn) -> str:
    body = "\n".join(draw(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=4)))
    func = "def put(self, item):\n" + textwrap.indent(body, "    ")
    form = draw(st.sampled_from(["free", "class", "indented"]))
    helpers = draw(st.lists(st.sampled_from(CLASS_HELPERS), max_size=1))
    if form == "class":
        members = "\n\n".join([func, *helpers])
        code = "class Box:\n" + textwrap.indent(members, "    ")
    elif form == "indented":
        code = textwrap.indent("\n\n".join([func, *helpers]), "    ")
    else:
        code = "\n\n".join([func, *[h.replace("(self)", "(self)") for h in helpers]])
    top = draw(st.lists(st.sampled_from(IMPORTS), max_size=3)) + draw(st.lists(st.sampled_from(HELPERS), max_size=2))
    code = "\n\n".join([*top, code])
    if draw(st.booleans()):
        code = f"```python\n{code}\n```"
    if draw(st.booleans()):
        code = code.replace("\n", "\r\n")
    return draw(PROSE) + "\n" + code + "\n" + draw(PROSE)


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(replies())
def test_splice_is_idempotent(reply: str) -> None:
    try:
        once = splice(MODULE, "Box.put", reply)
    except MergeError:
        return
    twice = splice(once.source, "Box.put", reply)
    assert twice.source == once.source
    assert once.source.count("def put") == 1


@SETTINGS
@given(st.one_of(replies(), PROSE, st.text(max_size=200)), st.sampled_from(["Box.put", "Box.size", "clamp"]))
def test_output_compiles_or_error_is_raised(reply: str, qualname: str) -> None:
    try:
        result = splice(MODULE, qualname, reply)
    except MergeError:
        return
    compile(result.source, "merged", "exec", dont_inherit=True)
    assert result.source.startswith('"""Module → é."""\nimport os\n')
