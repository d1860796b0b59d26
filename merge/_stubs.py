"""Stubs: functions whose body is only a docstring and ``pass`` / ``...`` / ``raise NotImplementedError``.

One definition for the outliner (which turns stubs into TODOs), the task
suites (which derive skeletons) and the coupling classifier (which reads
outlines): :func:`find_stubs` over source with libcst, :func:`is_stub_def`
for an :mod:`ast` node when a caller already walks an ``ast`` tree.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst

from ._cst import is_stub, parse_module

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
    """Qualified names (``Class.method``, ``function``) of the stubs in ``source``, in order.

    Raises :class:`merge.UnparsableModule` when ``source`` does not parse.
    """
    found: list[str] = []

    def visit(body: Sequence[cst.BaseStatement], prefix: str) -> None:
        for node in body:
            if isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock):
                visit(node.body.body, f"{prefix}{node.name.value}.")
            elif isinstance(node, cst.FunctionDef) and is_stub(node):
                found.append(prefix + node.name.value)

    visit(parse_module(source, what="module").body, "")
    return found
