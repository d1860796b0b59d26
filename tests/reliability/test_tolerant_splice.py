"""Regression: a commit into a module that a neighbour's live stream has broken keeps its own docstring intact.

Found by the hostile-reply tests: while ``_apply`` held a streamed ``return (``
(the module did not parse), ``evaluate`` was committed through the tolerant
region splice, which dedented the region to parse it and so took four spaces
out of every docstring line; rendering back at the method's depth never
restores a string's contents.  The committed ``evaluate`` then differed from
a clean run (the text of its doctests included).
"""

from __future__ import annotations

import textwrap

import pytest

from merge import splice

METHODS = '''def evaluate(self, text: str) -> float:
    """Value of an expression.

    >>> Calculator().evaluate("1 + 2")
    3.0
    """
    ...

def _apply(self, op: str, left: float, right: float) -> float:
    """Apply an operator."""
    return (
'''

REPLY = "```python\ndef evaluate(self, text):\n    return float(eval(text))\n```\n"

CASES = {
    "method": ("class Calculator:\n", 4, "Calculator.evaluate"),
    "nested class method": ("class Outer:\n    class Calculator:\n", 8, "Outer.Calculator.evaluate"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_tolerant_splice_keeps_the_stub_docstring_byte_for_byte(case: str) -> None:
    header, depth, qualname = CASES[case]
    module = header + textwrap.indent(METHODS, " " * depth)
    result = splice(module, qualname, REPLY, tolerant=True)
    assert not result.parses  # the neighbour is still broken: this went through the region splice
    start = module.index('"""Value')
    docstring = module[start : module.index('"""\n', start + 3) + 4]
    assert docstring.endswith(" " * (depth + 4) + '3.0\n' + " " * (depth + 4) + '"""\n')
    assert docstring in result.source
    assert " " * (depth + 4) + "return float(eval(text))\n" in result.source
    assert result.source.endswith(module[module.index("def _apply") - depth :])  # the broken neighbour is untouched


def test_a_commit_into_its_own_broken_region_keeps_the_docstring_indented() -> None:
    """The region itself does not parse (a half-streamed body after the docstring), as after a relay restart.

    Found by ``bench.faults`` (kind relay): restoring a done TODO's result into
    such a region parsed only the def line, so the reply's docstring, dedented
    by extraction, was used and lost four spaces on every continuation line.
    """
    from pycrdt import Doc, Text

    from merge import commit_to_text

    result = '    def f(self):\n        """Doc.\n\n        >>> 1\n        1\n        """\n        return 1\n'
    broken = 'class A:\n    def f(self):\n        """Doc.\n\n        >>> 1\n        1\n        """\n        def f(sel\n\n    def g(self):\n        pass\n'
    doc = Doc()
    doc["t"] = text = Text(broken)
    commit_to_text(text, "A.f", result, origin="test")
    assert str(text) == "class A:\n" + result + "\n    def g(self):\n        pass\n"
