"""libcst helpers: the one parse boundary, stub detection, names a piece of code binds and uses.

libcst's ``ParserSyntaxError`` is translated into this package's errors here and
nowhere else.  Scoping questions (which names does a function read from the
module?) are answered by :mod:`symtable`, which applies Python's own rules
(comprehension scopes, ``global``, nested functions) instead of an approximation.
"""

from __future__ import annotations

import builtins
import symtable
from typing import Literal, Sequence

import libcst as cst

from crdt_ws import compiles, parse_cst, quiet, symbol_table

from ._errors import UnparsableModule, UnparsableReply

__all__ = [
    "parse_module",
    "code_of",
    "same_code",
    "is_stub",
    "docstring_of",
    "free_globals",
    "bound_names",
    "import_keys",
    "attribute_uses",
    "BUILTINS",
    "quiet",
    "compiles",
]

BUILTINS = frozenset(dir(builtins))
_EMPTY = cst.Module(body=[])


def parse_module(code: str, *, what: Literal["reply", "module"]) -> cst.Module:
    """Parse ``code``; a syntax error becomes :class:`UnparsableReply` or :class:`UnparsableModule`."""
    try:
        return parse_cst(code)
    except SyntaxError as exc:  # crdt_ws.parse_cst already turned libcst's errors into this
        err = UnparsableReply if what == "reply" else UnparsableModule
        raise err(f"{what} does not parse: {exc.msg}") from exc


def code_of(node: cst.CSTNode, module: cst.Module | None = None) -> str:
    """Source text of ``node`` (rendered with ``module``'s indentation and newlines)."""
    return (module or _EMPTY).code_for_node(node)


def _normal(node: cst.CSTNode) -> str:
    if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.SimpleStatementLine)):
        node = node.with_changes(leading_lines=())
    return code_of(node).strip()


def same_code(a: cst.CSTNode, b: cst.CSTNode) -> bool:
    """Equal up to the blank lines/comments before the node."""
    return _normal(a) == _normal(b)


def _is_docstring(stmt: cst.BaseStatement) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    expr = stmt.body[0]
    return isinstance(expr, cst.Expr) and isinstance(expr.value, (cst.SimpleString, cst.ConcatenatedString))


def docstring_of(body: Sequence[cst.BaseStatement]) -> cst.BaseStatement | None:
    """The docstring statement that opens ``body``, if any."""
    if body and _is_docstring(body[0]):
        return body[0]
    return None


def _is_placeholder(stmt: cst.BaseStatement) -> bool:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    for small in stmt.body:
        if isinstance(small, cst.Pass):
            continue
        if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Ellipsis, cst.SimpleString)):
            continue
        if isinstance(small, cst.Raise) and small.exc is not None:
            exc = small.exc.func if isinstance(small.exc, cst.Call) else small.exc
            if isinstance(exc, cst.Name) and exc.value == "NotImplementedError":
                continue
        return False
    return True


def is_stub(func: cst.FunctionDef) -> bool:
    """A body of only a docstring, ``pass``, ``...`` or ``raise NotImplementedError``."""
    body = func.body
    if isinstance(body, cst.SimpleStatementSuite):
        return _is_placeholder(cst.SimpleStatementLine(body=body.body))
    assert isinstance(body, cst.IndentedBlock)
    return all(_is_placeholder(stmt) for stmt in body.body)


def free_globals(code: str) -> set[str]:
    """Names the code reads from module scope (not builtins), per Python's scoping rules."""
    try:
        table = symbol_table(code)
    except SyntaxError:
        return set()
    found: set[str] = set()

    def walk(tab: symtable.SymbolTable, top: bool) -> None:
        for sym in tab.get_symbols():
            name = sym.get_name()
            if sym.is_referenced() and (top or sym.is_global()) and not (top and sym.is_assigned()):
                found.add(name)
        for child in tab.get_children():
            walk(child, False)

    walk(table, True)
    return {n for n in found if n not in BUILTINS}


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for el in target.elements for n in _target_names(el.value)]
    return []


def _alias_bound(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return code_of(alias.name).split(".")[0]


def import_keys(stmt: cst.BaseStatement) -> list[tuple[str, str]]:
    """``(bound name, identity)`` for each alias of an import line, e.g. ``('np', 'import numpy')``."""
    out: list[tuple[str, str]] = []
    if not isinstance(stmt, cst.SimpleStatementLine):
        return out
    for small in stmt.body:
        if isinstance(small, cst.Import):
            for alias in small.names:
                out.append((_alias_bound(alias), f"import {code_of(alias.name)}"))
        elif isinstance(small, cst.ImportFrom):
            mod = "." * len(small.relative) + (code_of(small.module) if small.module else "")
            if isinstance(small.names, cst.ImportStar):
                out.append(("*", f"from {mod} import *"))
                continue
            for alias in small.names:
                out.append((_alias_bound(alias), f"from {mod} import {code_of(alias.name)}"))
    return out


def bound_names(stmt: cst.BaseStatement) -> list[str]:
    """Names a module- or class-level statement binds (defs, classes, assignments, imports)."""
    if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        return [stmt.name.value]
    if not isinstance(stmt, cst.SimpleStatementLine):
        return []
    names: list[str] = [name for name, _ in import_keys(stmt)]
    for small in stmt.body:
        if isinstance(small, cst.Assign):
            for t in small.targets:
                names.extend(_target_names(t.target))
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            names.extend(_target_names(small.target))
    return names


def attribute_uses(code: str, owners: set[str]) -> set[str]:
    """Attribute names read off ``owners`` (e.g. ``self``/``cls``/the class name) in ``code``."""
    found: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.value.value in owners:
                found.add(node.attr.value)

    try:
        parse_cst(code).visit(Visitor())
    except SyntaxError:
        return set()
    return found
