"""Stubs: functions whose body is only a docstring and ``pass`` / ``...`` / ``raise NotImplementedError``.

One definition for the outliner (which turns stubs into TODOs), the task
suites (which derive skeletons) and the coupling classifier (which reads
outlines): :func:`find_stubs` over source, :func:`is_stub_def` for an
:mod:`ast` node when a caller already walks a tree.  Definitions under
``if``/``try``/``with`` blocks count like any other (a skeleton's
``if sys.version_info ...:`` branch holds real TODOs).
"""

from __future__ import annotations

import ast

from ._ids import numbered
from ._pyparse import parse_python
from ._symbols import nested_bodies

__all__ = ["find_stubs", "is_stub_def"]


def is_stub_def(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True when ``node``'s body is only a docstring and placeholders."""
    for index, stmt in enumerate(node.body):
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            if stmt.value.value is Ellipsis or (index == 0 and isinstance(stmt.value.value, str)):
                continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


def find_stubs(source: str) -> list[str]:
    """Qualified names (``Class.method``, ``function``) of the stubs in ``source``, in source order.

    Functions nested in a function are its own business, not TODOs; classes
    nest.  A name defined more than once is numbered by occurrence among all
    of its definitions, stub or not (``Cls.x#2``: :func:`crdt_ws.numbered`), as
    :func:`crdt_ws.outline` numbers spans.  Raises ``SyntaxError`` (or
    ``ValueError`` for NUL bytes) when ``source`` does not parse.
    """
    found: list[tuple[str, bool]] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((prefix + node.name, is_stub_def(node)))
            else:
                for inner in nested_bodies(node):
                    visit(inner, prefix)

    visit(parse_python(source).body, "")
    names = numbered(name for name, _ in found)
    return [name for name, (_, stub) in zip(names, found, strict=True) if stub]
