"""A method called on ``self`` that nothing in the package could provide is a conflict (real pyright).

pyright's unknown attributes of objects are dropped on untyped code (``foreign``), except a call
``self.X(...)`` where no function, method, class or parameter of the package is named ``X``, nothing
assigns it and the class and its bases are the package's own: the wrong-callee fault
(``self._area_of`` for ``self._area``) is routed to the method that made the call.
"""

from __future__ import annotations

import pytest

from agents.judge import PyrightServer, SemanticConflict
from agents.roles._package_judge import conflict_key, foreign, package_classes, package_conflicts, package_names, premature, route_conflicts
from crdt_ws import TodoEntry, TodoStatus, todo_key

pytestmark = pytest.mark.anyio

SHAPES = '''import asyncio


class Base:
    """A shape."""

    def _area(self):
        """The area."""
        pass


class Rect(Base):
    """A rectangle."""

    def __init__(self, width, height, callback=None):
        """Keeps the sides."""
        pass

    def describe(self):
        """A sentence."""
        pass


class Reader(asyncio.StreamReader):
    """A stream reader (a library base)."""

    def more(self):
        """Reads more."""
        pass
'''
INIT = "def __init__(self, width, height, callback=None):\n        self.width, self.height, self.callback = width, height, callback\n        self._scale = lambda: 1\n"
BODIES = {
    "Base._area": "def _area(self):\n        return self.width * self.height\n",
    "Rect.__init__": INIT,
    "Reader.more": "def more(self):\n        self._maybe_resume_transport()\n",
}
PATH = "shapes/core.py"


def committed(describe: str, *, pending: tuple[str, ...] = ()) -> tuple[str, list[TodoEntry]]:
    """The module with the given ``describe`` body, every other TODO done but ``pending``."""
    text, entries = SHAPES, []
    for symbol, body in {**BODIES, "Rect.describe": describe}.items():
        stub = f"def {symbol.split('.')[-1]}"
        start = text.index(stub)
        end = text.index("pass\n", start) + len("pass\n")
        done = symbol not in pending
        if done:
            text = text[:start] + body + text[end:]
        entries.append(TodoEntry(
            id=todo_key(PATH, symbol), file=PATH, symbol=symbol, status=TodoStatus.DONE if done else TodoStatus.PENDING,
            result=("    " + body) if done else None,
        ))  # fmt: skip
    return text, entries


async def kept(pyright: PyrightServer, describe: str, *, pending: tuple[str, ...] = ()) -> tuple[list[SemanticConflict], list[TodoEntry], dict[str, str]]:
    """The conflicts the judge keeps (not the skeleton's, not foreign), and the board."""
    text, entries = committed(describe, pending=pending)
    outlines, files = {PATH: SHAPES}, {PATH: text}
    baseline = {conflict_key(c) for c in await package_conflicts(pyright, outlines)}
    names, classes = package_names(outlines), package_classes(outlines)
    found = [c for c in await package_conflicts(pyright, files) if conflict_key(c) not in baseline]
    return [c for c in found if not foreign(c, names, files, classes)], entries, files


async def test_a_wrong_method_name_on_self_is_routed_to_the_caller() -> None:
    async with PyrightServer() as pyright:
        conflicts, entries, files = await kept(pyright, "def describe(self):\n        return f'area {self._area_of()}'\n")
    assert [(c.kind, c.name) for c in conflicts] == [("unknown_attribute", "_area_of")]
    assert not premature(conflicts[0], entries, files), "every TODO of the file is done"
    assert list(route_conflicts(conflicts, entries)) == [todo_key(PATH, "Rect.describe")]


async def test_what_the_package_could_provide_is_not_blamed() -> None:
    right = [
        "def describe(self):\n        return f'area {self._area()}'\n",  # a base's method
        "def describe(self):\n        return self.callback()\n",  # a parameter's name, kept by the constructor
        "def describe(self):\n        return self._scale()\n",  # assigned in the committed constructor
        "def describe(self):\n        setattr(self, 'hook', print)\n        return self.hook()\n",  # named by a string
    ]
    async with PyrightServer() as pyright:
        for body in right:
            conflicts, _, _ = await kept(pyright, body)
            assert conflicts == [], body
        # a library base's private method its stubs do not declare (python-hl7's reference calls one)
        library, _, _ = await kept(pyright, "def describe(self):\n        return 1\n")
        raw = await package_conflicts(pyright, {PATH: committed("def describe(self):\n        return 1\n")[0]})
    assert library == [] and "_maybe_resume_transport" in {c.name for c in raw}, "pyright reports it; the judge does not blame it"


async def test_an_attribute_the_class_may_still_set_waits_for_the_class_and_its_bases_only() -> None:
    classes = package_classes({PATH: SHAPES})
    scale = "def describe(self):\n        return self._scale()\n"
    async with PyrightServer() as pyright:
        conflicts, entries, files = await kept(pyright, scale, pending=("Rect.__init__",))
        assert [c.name for c in conflicts] == ["_scale"], "nothing assigns _scale yet: pyright's conflict is kept"
        assert premature(conflicts[0], entries, files, set(), classes), "Rect.__init__ is open: held back, not blamed"
        assert premature(conflicts[0], entries, files), "(and by the file rule alone)"
        other, entries, files = await kept(pyright, "def describe(self):\n        return self._area_of()\n", pending=("Reader.more",))
    assert [c.name for c in other] == ["_area_of"]
    assert not premature(other[0], entries, files, set(), classes), "another class's open TODO cannot set Rect's method: blamed now"
    assert premature(other[0], entries, files), "where the file rule alone would wait for Reader.more"
    only_base = [e.model_copy(update={"status": TodoStatus.PENDING}) if e.symbol == "Base._area" else e for e in entries if e.symbol != "Reader.more"]
    assert premature(other[0], only_base, files, set(), classes), "a base's open TODO may set it: held"


def test_the_rule_needs_the_class_and_its_bases_in_the_package() -> None:
    classes = package_classes({PATH: SHAPES})
    assert classes["Rect"] == {"Base"} and classes["Reader"] == {"StreamReader"}
    call = SemanticConflict(kind="unknown_attribute", file=PATH, symbol="Reader.more", name="_x", message='Cannot access attribute "_x"', line=1)
    files = {PATH: "self._x()\n"}
    assert foreign(call, set(), files, classes), "Reader's base is asyncio's"
    assert not foreign(call.model_copy(update={"symbol": "Rect.describe"}), set(), files, classes)
    assert foreign(call.model_copy(update={"symbol": "Rect.describe"}), {"_x"}, files, classes), "a name the package defines"
    assert foreign(call, set(), {PATH: "y = self._x\n"}, classes), "not a call on self"
