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
