"""A name defined more than once in one module: one numbering rule, spans and stubs that address every definition."""

from __future__ import annotations

import pytest

from crdt_ws import SymbolNotFound, definition_role, find_def_line, find_span, find_stubs, numbered, outline, split_occurrence

PROPERTY = '''class C:
    @property
    def x(self):
        """The x."""
        pass

    @x.setter
    def x(self, value):
        """Set x."""
        pass

    def y(self):
        pass
'''

OVERLOADS = '''from typing import overload


@overload
def f(a: int) -> int: ...
@overload
def f(a: str) -> str: ...
def f(a):
    """Either."""
    pass
'''


def test_numbered_is_the_one_rule_and_split_occurrence_reads_it_back() -> None:
    assert numbered(["C.x", "C.y", "C.x", "f", "C.x"]) == ["C.x", "C.y", "C.x#2", "f", "C.x#3"]
    assert [split_occurrence(s) for s in numbered(["a", "a", "a"])] == [("a", 1), ("a", 2), ("a", 3)]
    assert split_occurrence("pkg.Cls.meth") == ("pkg.Cls.meth", 1)
    with pytest.raises(ValueError, match="numbered already"):
        numbered(["x#2"])


@pytest.mark.parametrize("bad", ["x#", "x#0", "x#1", "x#02", "x#a", "x#2#3", "#2", "x#-2", "x# 2"])
def test_a_malformed_number_is_refused_never_read_as_the_first_definition(bad: str) -> None:
    with pytest.raises(ValueError):
        split_occurrence(bad)
    with pytest.raises(SymbolNotFound):
        find_span(PROPERTY.replace("C", "x"), bad)
    assert find_def_line(PROPERTY, bad) is None and definition_role(PROPERTY, bad) is None


def test_spans_number_the_getter_and_the_setter_and_address_each() -> None:
    spans = outline(PROPERTY)
    assert [s.qualname for s in spans] == ["C", "C.x", "C.x#2", "C.y"]
    getter, setter = find_span(PROPERTY, "C.x"), find_span(PROPERTY, "C.x#2")
    assert PROPERTY[getter.start : getter.end].lstrip().startswith("@property") and "The x." in PROPERTY[getter.start : getter.end]
    assert PROPERTY[setter.start : setter.end].lstrip().startswith("@x.setter") and "Set x." in PROPERTY[setter.start : setter.end]
    with pytest.raises(SymbolNotFound):
        find_span(PROPERTY, "C.x#3")


def test_a_broken_buffer_still_numbers_by_the_indentation_scan_and_the_def_line_scan() -> None:
    broken = PROPERTY.replace('"""The x."""', '"""The x.')  # an unterminated docstring mid-edit
    spans = {s.qualname: s for s in outline(broken)}
    assert list(spans) == ["C", "C.x", "C.x#2", "C.y"] and broken[spans["C.x#2"].start :].startswith("    @x.setter")
    start, indent = find_def_line(broken, "C.x#2") or (-1, -1)
    assert broken[start:].startswith("    @x.setter") and indent == 4
    assert find_def_line(broken, "C.x#3") is None


def test_stubs_are_numbered_among_all_definitions_so_a_setter_after_a_written_getter_is_still_number_two() -> None:
    written_getter = PROPERTY.replace('        """The x."""\n        pass\n', "        return self._x\n")
    assert find_stubs(written_getter) == ["C.x#2", "C.y"]
    assert find_stubs(PROPERTY) == ["C.x", "C.x#2", "C.y"]
    assert find_stubs(OVERLOADS) == ["f", "f#2", "f#3"]  # overload bodies are placeholders too; a suite lists its own TODOs
    assert [s.qualname for s in outline(OVERLOADS)] == ["f", "f#2", "f#3"]


def test_the_role_of_a_repeated_definition_is_described_for_the_prompt() -> None:
    assert definition_role(PROPERTY, "C.x#2") == "the setter of property `x` (definition 2 of 2 of `C.x` in this module, line 8)"
    assert (definition_role(PROPERTY, "C.x") or "").startswith("the getter of property `x`")
    assert definition_role(PROPERTY, "C.y") is None  # defined once: nothing to say
    assert (definition_role(OVERLOADS, "f#3") or "").startswith("the implementation of `f` after its `@overload` signatures")
    assert "line 8" in (definition_role(OVERLOADS, "f#3") or "")
    twice = "if X:\n    def g():\n        pass\nelse:\n    def g():\n        pass\n"
    assert definition_role(twice, "g#2") == "definition 2 of `g` (definition 2 of 2 of `g` in this module, line 5)"


def test_a_function_nested_in_the_setter_is_named_after_the_setter() -> None:
    nested = PROPERTY.replace('        """Set x."""\n        pass\n', '        """Set x."""\n        def check(v):\n            return v\n        self._x = check(value)\n')
    nested = nested.replace('        """The x."""\n        pass\n', '        """The x."""\n        def check(v):\n            return v\n        return check(self._x)\n')
    names = [s.qualname for s in outline(nested)]
    assert names == ["C", "C.x", "C.x.check", "C.x#2", "C.x#2.check", "C.y"]
    assert split_occurrence("C.x#2.check") == ("C.x#2.check", 1) and split_occurrence("C.x#2.check#3") == ("C.x#2.check", 3)
    broken = nested + "    def z(self:\n"  # the indentation scan names them the same way
    assert [s.qualname for s in outline(broken)][:6] == names
    twice = "if A:\n    class K:\n        def m(self):\n            pass\nelse:\n    class K:\n        def m(self):\n            pass\n"
    assert [s.qualname for s in outline(twice)] == ["K", "K.m", "K#2", "K.m#2"]  # methods as the suites number stubs
    assert find_stubs(twice) == ["K.m", "K.m#2"]


def test_the_role_is_found_however_the_repeated_def_lines_are_spaced() -> None:
    # The text scan that skips the outline for names written once must still see every way of writing the second.
    spaced = PROPERTY.replace("    def x(self, value):", "    async  def   x (self, value):")
    assert (definition_role(spaced, "C.x#2") or "").startswith("the setter of property `x`")
    generic = PROPERTY.replace("    def x(self, value):", "    def x[T](self, value: T):")
    assert (definition_role(generic, "C.x#2") or "").startswith("the setter of property `x`")
    assert definition_role(PROPERTY.replace("def x(self, value)", "def xx(self, value)"), "C.x") is None
