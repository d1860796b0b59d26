"""Splicing into a name defined more than once: ``Cls.x#2`` is the second ``def x``, and only it changes."""

from __future__ import annotations

import ast

import pytest

from merge import find_stub, reconcile, splice
from merge._errors import NoImplementationFound, SymbolNotInModule
from merge._conflicts import find_conflicts

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

WHOLE = '''Here is the property:

```python
class C:
    @property
    def x(self):
        return self._x

    @x.setter
    def x(self, value):
        self._x = int(value)
```
'''

SETTER_FIRST = '''```python
@x.setter
def x(self, value):
    self._x = int(value)

@property
def x(self):
    return self._x
```'''

OVERLOADS = '''from typing import overload


class Box:
    @overload
    def get(self, key: int) -> int: ...
    @overload
    def get(self, key: str) -> str: ...
    def get(self, key):
        """Either."""
        pass
'''


def body_of(source: str, nth: int, name: str = "x") -> str:
    """The n-th ``def name``'s statements (docstring dropped), unparsed, by an independent ast walk."""
    defs = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == name]
    func = defs[nth - 1]
    body = func.body[1:] if isinstance(func.body[0], ast.Expr) and isinstance(func.body[0].value, ast.Constant) else func.body
    return "\n".join(ast.unparse(s) for s in body)


def decorators_of(source: str, name: str = "x") -> list[list[str]]:
    return [[ast.unparse(d) for d in n.decorator_list] for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == name]


@pytest.mark.parametrize("order", [("C.x", "C.x#2"), ("C.x#2", "C.x")])
@pytest.mark.parametrize("reply", [WHOLE, SETTER_FIRST])
def test_getter_and_setter_each_take_their_own_body_in_either_order(order: tuple[str, str], reply: str) -> None:
    source = PROPERTY
    for symbol in order:
        source = splice(source, symbol, reply).source
    assert body_of(source, 1) == "return self._x" and body_of(source, 2) == "self._x = int(value)"
    assert decorators_of(source) == [["property"], ["x.setter"]]
    assert '"""The x."""' in source and '"""Set x."""' in source  # each stub's docstring stays with its own definition
    ns: dict[str, object] = {}
    exec(compile(source, "<c>", "exec"), ns)
    obj = ns["C"]()  # type: ignore[operator]
    obj.x = "7"
    assert obj.x == 7


def test_splicing_the_setter_leaves_every_other_byte_as_it_was() -> None:
    out = splice(PROPERTY, "C.x#2", WHOLE).source
    cut = PROPERTY.index("    @x.setter")
    assert out[:cut] == PROPERTY[:cut] and out.endswith(PROPERTY[PROPERTY.index("\n    def y") :])


def test_a_reply_redefining_the_getter_when_asked_for_the_setter_never_touches_the_getter() -> None:
    hostile_only = "```python\n@property\ndef x(self):\n    return 'pwned'\n```"
    with pytest.raises(NoImplementationFound, match="getter .* not the setter"):
        splice(PROPERTY, "C.x#2", hostile_only)
    getter_done = splice(PROPERTY, "C.x", WHOLE).source
    both = "```python\nclass C:\n    @property\n    def x(self):\n        return 'pwned'\n\n    @x.setter\n    def x(self, value):\n        self._x = value\n```"
    out = splice(getter_done, "C.x#2", both).source
    assert "pwned" not in out and body_of(out, 1) == "return self._x" and body_of(out, 2) == "self._x = value"
    # A bare (undecorated) definition is taken as the setter's body, under the stub's own decorator.
    out = splice(PROPERTY, "C.x#2", "```python\ndef x(self, value):\n    self._x = value\n```").source
    assert decorators_of(out) == [["property"], ["x.setter"]] and body_of(out, 1) == "pass" and body_of(out, 2) == "self._x = value"


def test_the_implementation_after_overloads_lands_in_its_own_place() -> None:
    reply = '''```python
from typing import overload

class Box:
    @overload
    def get(self, key: int) -> int: ...
    @overload
    def get(self, key: str) -> str: ...
    def get(self, key):
        return self.items[key]
```'''
    out = splice(OVERLOADS, "Box.get#3", reply).source
    assert out.replace("        return self.items[key]\n", "        pass\n") == OVERLOADS
    assert find_stub(out, "Box.get#3").decorators == () and find_stub(out, "Box.get").decorators
    # A reply holding only a non-stub @overload is not the implementation.
    with pytest.raises(NoImplementationFound, match="overload"):
        splice(OVERLOADS, "Box.get#3", "```python\n@overload\ndef get(self, key: int) -> int:\n    return 1\n```")


def test_definitions_under_if_and_a_class_under_if_are_addressed_by_occurrence() -> None:
    source = '''import sys

if sys.version_info >= (3, 12):
    def fast(x):
        pass
else:
    def fast(x):
        pass

if True:
    class K:
        def m(self):
            pass
'''
    out = splice(source, "fast#2", "```python\ndef fast(x):\n    return x + 2\n```").source
    assert body_of(out, 1, "fast") == "pass" and body_of(out, 2, "fast") == "return x + 2"
    out = splice(out, "fast", "```python\ndef fast(x):\n    return x + 1\n```").source
    assert body_of(out, 1, "fast") == "return x + 1" and body_of(out, 2, "fast") == "return x + 2"
    out = splice(out, "K.m", "```python\ndef m(self):\n    return 3\n```").source
    assert body_of(out, 1, "m") == "return 3"
    ast.parse(out)


@pytest.mark.parametrize("bad", ["C.x#3", "C.x#1", "C.x#0", "C.x#", "C.y#2"])
def test_a_symbol_numbered_past_the_definitions_or_malformed_is_refused(bad: str) -> None:
    with pytest.raises((SymbolNotInModule, ValueError)):
        splice(PROPERTY, bad, WHOLE)


def test_reconcile_keeps_a_getter_setter_pair_and_overloads_but_drops_a_double_commit_of_the_setter() -> None:
    done = splice(splice(PROPERTY, "C.x", WHOLE).source, "C.x#2", WHOLE).source
    assert reconcile(done).removed == () and find_conflicts(done) == []
    assert reconcile(OVERLOADS).removed == ()
    setter = done[done.index("    @x.setter") : done.index("\n    def y")]
    doubled = done.replace(setter, setter + "\n" + setter.replace("int(value)", "value"))
    assert [c.name for c in find_conflicts(doubled)] == ["C.x#2"]
    result = reconcile(doubled, preferred={"C.x#2": "@x.setter\ndef x(self, value):\n    self._x = value\n"})
    assert result.removed == ("C.x#2",) and body_of(result.source, 2) == "self._x = value"
    assert body_of(result.source, 1) == "return self._x" and len(decorators_of(result.source)) == 2
