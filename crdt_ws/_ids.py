"""TODO ids across files: ``"<path>::<symbol>"`` for multi-file tasks, the bare symbol for single-file ones.

A multi-file task keys each TODO by its file and the symbol's qualified name
in that file, so the same name in two modules (``__init__`` of two classes
called ``Node``) stays two TODOs.  The separator cannot occur in a module path
('/'-separated) nor in a qualified name (dots and ``#n`` numbering).
"""

from __future__ import annotations

__all__ = ["SEPARATOR", "split_todo_key", "todo_key"]

SEPARATOR = "::"


def todo_key(file: str, symbol: str) -> str:
    """The TODO id of ``symbol`` in ``file`` in a multi-file task: ``"{file}::{symbol}"``."""
    if SEPARATOR in file or SEPARATOR in symbol:
        raise ValueError(f"a TODO key's file and symbol cannot hold {SEPARATOR!r}: {file!r}, {symbol!r}")
    return f"{file}{SEPARATOR}{symbol}"


def split_todo_key(key: str) -> tuple[str | None, str]:
    """``(file, symbol)`` of a TODO id; ``(None, key)`` for a single-file id (the id is the symbol)."""
    file, sep, symbol = key.partition(SEPARATOR)
    return (file, symbol) if sep else (None, key)
