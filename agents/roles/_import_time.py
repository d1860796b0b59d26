"""Which stubs of a package run when it is imported: module-level calls, decorators, class bodies.

A fault in such a stub stops the whole package importing, so every test fails at
collection and the faults behind it stay hidden until it is repaired: the repair
chain that ends a run starts there (flask's, measured in docs/projects.md).  The
plan claims these stubs first, so the package imports early and those faults are
found while the other drafts go on.

Read from the skeletons only: a call evaluated at import (a module-level or
class-body statement, a decorator, a default value, a base class) to a stub, or to
a class whose ``__init__`` is a stub, is a root; what the roots need by the
classifier's ``deps`` (a stub's body is not there to read) runs with them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence

from agents.coupling import PackageIndex, Target, todo_id

__all__ = ["import_time"]


def import_time(modules: Mapping[str, str], stubs: Mapping[str, Sequence[str]], deps: Mapping[str, Sequence[str]]) -> list[str]:
    """TODO ids (``"<path>::<symbol>"``) whose code runs when the package is imported, in package order."""
    index = PackageIndex(modules)
    ids = [todo_id(path, s) for path in modules for s in stubs.get(path, ())]
    known = set(ids)

    def todo(target: Target | None) -> str | None:
        if target is None or target.qual is None:
            return None
        if target.kind == "class":  # calling a class runs its constructor
            target = index.member(target, "__init__")
            if target is None or target.qual is None:
                return None
        key = todo_id(target.path, target.qual)
        return key if key in known else None

    found: set[str] = set()
    for path in modules:
        if path.rsplit("/", 1)[-1] == "__main__.py":
            continue  # runs for ``python -m pkg``, not on import
        for call in _evaluated(index.modules[path].tree.body):
            key = todo(index.resolve_expr(path, call))
            if key is not None:
                found.add(key)
    pending = list(found)
    while pending:  # what a root needs runs when the root runs
        for dep in deps.get(pending.pop(), ()):
            if dep in known and dep not in found:
                found.add(dep)
                pending.append(dep)
    return [i for i in ids if i in found]


def _evaluated(body: list[ast.stmt]) -> Iterator[ast.expr]:
    """The callees of calls that run when ``body`` (a module's or a class's) runs; function bodies do not run."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _decorators(stmt.decorator_list)
            args = stmt.args
            yield from _calls([*args.defaults, *(d for d in args.kw_defaults if d is not None)])
        elif isinstance(stmt, ast.ClassDef):
            yield from _decorators(stmt.decorator_list)
            yield from _calls([*stmt.bases, *(k.value for k in stmt.keywords)])
            yield from _evaluated(stmt.body)
        elif isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
            yield from _evaluated(stmt.orelse)  # the script's entry point does not run on import
        else:
            inner: list[ast.stmt] = []
            exprs: list[ast.expr] = []
            for _, value in ast.iter_fields(stmt):
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, ast.stmt):
                        inner.append(item)
                    elif isinstance(item, ast.expr):
                        exprs.append(item)
                    elif isinstance(item, ast.ExceptHandler):
                        inner += item.body
                    elif isinstance(item, ast.withitem):
                        exprs.append(item.context_expr)
            yield from _calls(exprs)
            yield from _evaluated(inner)


def _decorators(decorators: list[ast.expr]) -> Iterator[ast.expr]:
    for deco in decorators:
        if isinstance(deco, ast.Call):
            yield from _calls([deco])  # ``@d(...)``: d runs now; what it returns runs inside d's code
        else:
            yield deco  # ``@d``: d is called with the definition


def _calls(exprs: list[ast.expr]) -> Iterator[ast.expr]:
    """The callee expression of every call in ``exprs`` that runs now (a lambda's body does not)."""
    stack: list[ast.AST] = list(exprs)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Lambda):
            stack += [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
            continue
        if isinstance(node, ast.Call):
            yield node.func
        stack += ast.iter_child_nodes(node)


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )
