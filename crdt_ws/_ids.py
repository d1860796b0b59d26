"""TODO ids across files: ``"<path>::<symbol>"`` for multi-file tasks, the bare symbol for single-file ones.

A multi-file task keys each TODO by its file and the symbol's qualified name
in that file, so the same name in two modules (``__init__`` of two classes
called ``Node``) stays two TODOs.  The separator cannot occur in a module path
('/'-separated) nor in a qualified name (dots and ``#n`` numbering).

A name defined more than once in one module (a property's getter and setter,
``@overload`` stubs before the implementation, ``if``/``else`` branches) is
numbered by occurrence: the n-th function definition of ``Cls.x`` in source
order is ``Cls.x#n`` (the first stays ``Cls.x``).  :func:`numbered` is the one
place that rule is written; :func:`split_occurrence` reads it back.  Symbol
spans (:func:`crdt_ws.outline`), stubs (:func:`crdt_ws.find_stubs`), the
projects suite and merge's splices all count the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["OCCURRENCE", "SEPARATOR", "Numbering", "numbered", "split_occurrence", "split_todo_key", "todo_key"]

SEPARATOR = "::"
OCCURRENCE = "#"
_NUMBERED = re.compile(r"^(?P<name>[^#.]+)#(?P<n>[1-9][0-9]*)$")


def todo_key(file: str, symbol: str) -> str:
    """The TODO id of ``symbol`` in ``file`` in a multi-file task: ``"{file}::{symbol}"``."""
    if SEPARATOR in file or SEPARATOR in symbol:
        raise ValueError(f"a TODO key's file and symbol cannot hold {SEPARATOR!r}: {file!r}, {symbol!r}")
    return f"{file}{SEPARATOR}{symbol}"


def split_todo_key(key: str) -> tuple[str | None, str]:
    """``(file, symbol)`` of a TODO id; ``(None, key)`` for a single-file id (the id is the symbol)."""
    file, sep, symbol = key.partition(SEPARATOR)
    return (file, symbol) if sep else (None, key)


class Numbering:
    """The rule, one definition at a time (for walks that name children after their numbered parent)."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def next(self, name: str) -> str:
        """The numbered name of the next definition of ``name``: ``name`` the first time, then ``name#2``, ..."""
        if _NUMBERED.match(name.rsplit(".", 1)[-1]):
            raise ValueError(f"{name!r} is numbered already")
        n = self._seen[name] = self._seen.get(name, 0) + 1
        return name if n == 1 else f"{name}{OCCURRENCE}{n}"


def numbered(names: Iterable[str]) -> list[str]:
    """``names`` (qualified names of definitions, in source order) with each repeat numbered: ``x, x#2, x#3``."""
    numbering = Numbering()
    return [numbering.next(name) for name in names]


def split_occurrence(symbol: str) -> tuple[str, int]:
    """``("Cls.x", 2)`` for ``"Cls.x#2"``, ``("Cls.x", 1)`` for ``"Cls.x"``.

    Only the last component counts: a function nested in the setter is ``Cls.x#2.inner``, occurrence 1 of that name.

    Raises ``ValueError`` for a malformed number (``x#``, ``x#0``, ``x#02``, ``x#a``, ``x#2#3``): a symbol in a shared
    document may come from any peer, and a bad one must not silently address the first definition.
    ``"x#1"`` is refused too: the first definition has no suffix, so each definition has exactly one name.
    """
    head, dot, last = symbol.rpartition(".")
    if OCCURRENCE not in last:
        return symbol, 1
    match = _NUMBERED.match(last)
    if match is None or match["n"] == "1":
        raise ValueError(f"not a numbered symbol (Name#n, n >= 2): {symbol!r}")
    return head + dot + match["name"], int(match["n"])
