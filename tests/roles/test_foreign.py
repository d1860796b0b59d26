"""Which of pyright's findings the judge blames on an agent, on the references' own idioms (real pyright).

A reference package's own code must never be blamed (it would reopen a right TODO in every trial), and
a wrong name must still be: a method of ``self`` no base could provide when the bases are standard ones
typeshed declares whole (``ABC``, ``Generic``, exceptions), a module attribute that is no submodule.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agents.judge import PyrightServer, SemanticConflict
from agents.roles._package_judge import conflict_key, foreign, package_classes, package_conflicts, package_names, premature
from crdt_ws import TodoEntry

pytestmark = pytest.mark.anyio

PATH = "algos/core.py"
SKELETON = '''import abc
import collections
import re
from abc import ABC, ABCMeta
from typing import Generic, TypeVar

T = TypeVar("T")


class Undefined:
    """A marker."""


UNDEFINED = Undefined()


class Algorithm(ABC):
    """Signs things."""

    def prepare(self, key):
        """The key, ready."""
        pass

    def sign(self, msg, key):
        """A signature."""
        pass


class Meta(metaclass=ABCMeta):
    """Declared with the metaclass."""

    def run(self):
        """Runs."""
        pass


class Box(Generic[T]):
    """Holds one item."""

    def get(self):
        """The item."""
        pass


class Failure(ValueError):
    """A failure."""

    def describe(self):
        """A sentence."""
        pass


class DefaultTo:
    """A default."""

    def __init__(self, factory=UNDEFINED):
        """Keeps the factory."""
        pass

    def __call__(self):
        """The default."""
        pass


def mapping(x):
    """Is x a mapping?"""
    pass


def tokens(text):
    """The words of text."""
    pass


def pattern(text):
    """Text's first digit, found with another class's object."""
    pass
'''


def filled(bodies: dict[str, str]) -> str:
    """The skeleton with each named stub's ``pass`` replaced by ``bodies[name]`` (one indented line)."""
    text = SKELETON
    for name, body in bodies.items():
        at = text.index(f"def {name}(")
        end = text.index("pass\n", at)
        text = text[:end] + body + "\n" + text[end + len("pass\n") :]
    return text


async def blamed(pyright: PyrightServer, bodies: dict[str, str]) -> list[SemanticConflict]:
    """What the judge keeps for the package with these bodies (the skeleton's own conflicts aside)."""
    outlines, files = {PATH: SKELETON}, {PATH: filled(bodies)}
    baseline = {conflict_key(c) for c in await package_conflicts(pyright, outlines)}
    names, classes = package_names(outlines), package_classes(outlines)
    found = [c for c in await package_conflicts(pyright, files) if conflict_key(c) not in baseline]
    return [c for c in found if not foreign(c, names, files, classes)]


RIGHT = {
    "sign": "return self.prepare(key)",
    "run": "return 1",
    "get": "return None",
    "describe": "return str(self.args)",
    "__init__": "self.factory = factory",
    "__call__": "return self.factory()",  # pyright infers Undefined for the default: not callable, yet not wrong
    "mapping": "return isinstance(x, collections.abc.Mapping)",  # a submodule something else imported
    "tokens": "return ' '.join(str(text).split()).encode().decode().split()",
    "pattern": "return Meta().run() and re.compile('[0-9]').search(text)",
}


async def test_the_references_idioms_are_not_blamed() -> None:
    async with PyrightServer() as pyright:
        raw = await package_conflicts(pyright, {PATH: filled(RIGHT)})
        kept = await blamed(pyright, RIGHT)
    reported = {c.message.split("\n")[0] for c in raw}
    assert any("not callable" in m for m in reported) and any('"abc"' in m for m in reported), reported
    assert kept == [], [c.message for c in kept]


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("sign", "return self.prepared(key)"),  # an ABC subclass
        ("run", "return self.runs()"),  # metaclass=ABCMeta
        ("get", "return self.item()"),  # Generic[T]
        ("describe", "return self.details()"),  # a built-in exception's subclass
    ],
)
async def test_a_wrong_method_of_self_under_standard_bases_is_blamed(method: str, body: str) -> None:
    async with PyrightServer() as pyright:
        kept = await blamed(pyright, {**RIGHT, method: body})
    wrong = body.split("self.")[1].split("(")[0]
    assert [(c.kind, c.name) for c in kept] == [("unknown_attribute", wrong)]
    assert kept[0].symbol.endswith(method)


@pytest.mark.parametrize("body", ["return str(text).split_by()", "return [text].push(1)", "return {}.fetch(text)"])
async def test_a_method_no_builtin_type_has_is_blamed_on_a_builtin(body: str) -> None:
    async with PyrightServer() as pyright:
        kept = await blamed(pyright, {**RIGHT, "tokens": body})
    assert [(c.kind, c.symbol) for c in kept] == [("unknown_attribute", "tokens")]
    assert not premature(kept[0], [TodoEntry(id="other", file=PATH, symbol="Box.get")]), "no TODO can add it"


async def test_another_builtins_method_or_a_package_name_is_not_blamed() -> None:
    # pyright may infer too narrow a type (str for what is bytes at run time): another built-in's method is
    # not news, nor is a name the package defines (a method of a class the value may really be).
    async with PyrightServer() as pyright:
        other = await blamed(pyright, {**RIGHT, "tokens": "return str(text).decode()"})
        own = await blamed(pyright, {**RIGHT, "tokens": "return str(text).prepare(1)"})
    assert other == [] and own == []


async def test_a_wrong_method_of_another_package_object_is_blamed_a_librarys_is_not() -> None:
    async with PyrightServer() as pyright:
        package = await blamed(pyright, {**RIGHT, "pattern": "return Meta().runs(text)"})
        library = await blamed(pyright, {**RIGHT, "pattern": "return re.compile('[0-9]').search_all(text)"})
    assert [(c.kind, c.name, c.symbol) for c in package] == [("unknown_attribute", "runs", "pattern")]
    assert library == [], "a library class may have attributes its stubs do not declare"


async def test_a_module_attribute_that_is_no_submodule_is_blamed() -> None:
    async with PyrightServer() as pyright:
        kept = await blamed(pyright, {**RIGHT, "mapping": "return isinstance(x, collections.abcd.Mapping)"})
    assert [(c.kind, c.name) for c in kept] == [("unknown_attribute", "abcd")]


def test_a_submodule_is_found_on_disk_without_importing_it() -> None:
    message = '"{}" is not a known attribute of module "{}"'
    assert foreign(SemanticConflict(kind="unknown_attribute", file=PATH, symbol="f", name="abc", message=message.format("abc", "collections"), line=1), set())
    own = SemanticConflict(kind="unknown_attribute", file=PATH, symbol="f", name="sub", message=message.format("sub", "algos"), line=1)
    assert foreign(own, set(), {"algos/sub.py": ""}) and not foreign(own, set(), {"algos/other.py": ""})
    # The judge must not import what code under judgement names: antigravity opens a browser when imported.
    named = SemanticConflict(kind="unknown_attribute", file=PATH, symbol="f", name="x", message=message.format("x", "antigravity"), line=1)
    assert not foreign(named, set()) and "antigravity" not in sys.modules


@pytest.mark.slow
async def test_no_reference_package_is_blamed(projects_dir: Path) -> None:
    """Every project's reference, judged like a finished run: the judge keeps none of pyright's findings."""
    from bench.suites import ProjectsSuite  # the suite is bench's; the rule under test is the library's

    suite = ProjectsSuite(data_dir=projects_dir).load()
    kept: dict[str, list[str]] = {}
    async with PyrightServer() as pyright:
        for task in suite.tasks:
            outlines = {m.path: m.outline for m in task.modules}
            references = {m.path: m.reference for m in task.modules}
            baseline = {conflict_key(c) for c in await package_conflicts(pyright, outlines)}
            names, classes = package_names(outlines), package_classes(outlines)
            found = [c for c in await package_conflicts(pyright, references) if conflict_key(c) not in baseline]
            if wrong := [f"{c.file}:{c.line} {c.message}" for c in found if not foreign(c, names, references, classes)]:
                kept[task.id] = wrong
    assert len(suite.tasks) >= 10 and kept == {}
