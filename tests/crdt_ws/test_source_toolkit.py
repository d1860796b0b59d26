"""crdt_ws's source toolkit: stubs and spans under compound statements, the line scanner, the parse boundary."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crdt_ws import (
    compiles,
    def_header,
    defines,
    find_def_line,
    find_span,
    find_stubs,
    next_definition,
    outline,
    parse_cst,
)

GUARDED = '''import sys

if sys.version_info >= (3, 12):
    def fast(x):
        """Fast path."""
        ...
else:
    def fast(x):
        raise NotImplementedError

try:
    import numpy
except ImportError:
    class Matrix:
        def det(self):
            pass

        def real(self):
            return 1
finally:
    def cleanup():
        pass

with open(__file__) as handle:
    def done(): ...


def outer():
    def inner():
        pass
    return inner
'''


def test_find_stubs_sees_definitions_under_if_try_and_with() -> None:
    # `outer` has a body (its nested stub is its own business, not a TODO).
    # The two branches' `fast` are two TODOs: the second is numbered by occurrence.
    assert find_stubs(GUARDED) == ["fast", "fast#2", "Matrix.det", "cleanup", "done"]


def test_outline_spans_definitions_under_compound_statements() -> None:
    names = [s.qualname for s in outline(GUARDED)]
    assert names == ["fast", "fast#2", "Matrix", "Matrix.det", "Matrix.real", "cleanup", "done", "outer", "outer.inner"]
    det = find_span(GUARDED, "Matrix.det")
    assert GUARDED[det.start : det.end] == "        def det(self):\n            pass\n"


def test_find_stubs_rejects_source_that_does_not_parse() -> None:
    with pytest.raises(SyntaxError):
        find_stubs("def f(:\n    pass\n")


def test_line_scanner_reads_headers_boundaries_and_definitions() -> None:
    assert def_header("    async def run(self):") == (4, "def", "run")
    assert def_header("class Café(Base):") == (0, "class", "Café")
    assert def_header("    define = 1") is None
    lines = ["class A:\n", "    def f(self):\n", '        """open\n', "    @property\n", "    def g(self):\n"]
    assert next_definition(lines, 1, 4) == 3  # the decorator starts the next definition
    assert next_definition(lines, 1, 0) == len(lines)  # nothing at column 0 follows
    broken = "class A:\n    x = (\n    @staticmethod\n    def f(y):\n        return y\n"
    start, indent = find_def_line(broken, "A.f") or (-1, -1)
    assert (broken[start:].splitlines()[0], indent) == ("    @staticmethod", 4)
    assert find_def_line(broken, "B.f") is None
    assert defines(broken, "f") and defines("LIMIT = 3\n", "LIMIT") and not defines("LIMITS = 3\n", "LIMIT")


def test_parse_cst_reports_a_plain_syntax_error() -> None:
    with pytest.raises(SyntaxError, match="line 1"):
        parse_cst("def f(:\n")
    # libcst alone overflows its native stack on these (the process dies): they must be refused first.
    for hostile in ("x = " + "(" * 5000 + ")" * 5000, "x = " + "[" * 1500 + "]" * 1500, "x = 1" + " + 1" * 20000):
        with pytest.raises(SyntaxError):
            parse_cst(hostile)
    wide = "x = [" + ", ".join(f"({i}, [{i}])" for i in range(2000)) + "]\n"  # long and bracket-heavy, but shallow
    assert parse_cst(wide).code == wide
    assert parse_cst("x = 1\n").code == "x = 1\n"
    assert compiles("x = '\\d'\n") and not compiles("x = (\n")


@given(st.text(alphabet="ab \n\r\t", max_size=200))
def test_line_starts_are_the_offsets_after_each_newline(source: str) -> None:
    from crdt_ws._def_lines import _line_starts

    assert _line_starts(source) == [0, *(i + 1 for i, ch in enumerate(source) if ch == "\n")]
