"""Ground truth for package coupling: which stubs each reference body calls or uses, across modules.

For every stub S of a project, S's *reference* body (from ``TaskModule.reference``)
is walked with ``ast`` (parsed through ``crdt_ws.parse_python``). S needs stub T when
the body, with names resolved through the module's imports and the body's own
imports (``from .debughelpers import x`` inside a function), has:

- a call or a reference to a package function T (``t(...)``, ``mod.t``, ``t`` passed
  as a callback);
- ``self.m`` / ``cls.m`` / ``type(self).m`` / ``super().m`` resolving, through the
  class's bases (any module), to T (properties included: reading one runs it);
- ``Cls.m`` for a package class ``Cls``;
- a call ``Cls(...)``: T is the constructor the class (or its nearest base) defines.

This is what can be resolved statically: calls through attributes of unknown
type (``self.session_interface.open_session(...)``) are not in the truth. Name
resolution (imports, re-exports, bases) is ``agents.coupling.PackageIndex`` run on
the references; its rules are tested on hand-written packages in
tests/coupling/test_package.py.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence

from agents.coupling import PackageIndex, Target
from agents.coupling._imports import ModuleInfo, bind_import

Pair = tuple[str, str]


def _locals(info: ModuleInfo, node: ast.AST) -> dict[str, tuple[str, str | None]]:
    local: dict[str, tuple[str, str | None]] = {}
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Import, ast.ImportFrom)):
            bind_import(info, sub, local)
    return local


def _body_nodes(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    for stmt in func.body:
        yield from ast.walk(stmt)


def _shadowed(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Parameters and names assigned in the body: they hide module-level names of the same spelling."""
    a = func.args
    names = {p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if p is not None}
    for node in _body_nodes(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def body_uses(index: PackageIndex, path: str, qual: str) -> set[Target]:
    """Package definitions the reference body of ``qual`` in ``path`` calls or refers to."""
    info = index.modules[path]
    func = info.functions[qual]
    owner_qual = info.owner[qual]
    owner = Target(path, owner_qual, "class") if owner_qual is not None else None
    local = _locals(info, func)
    hidden = _shadowed(func) - set(local)
    out: set[Target] = set()
    called: set[int] = {id(n.func) for n in _body_nodes(func) if isinstance(n, ast.Call)}
    for node in _body_nodes(func):
        target: Target | None = None
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls") and owner is not None:
                target = index.member(owner, node.attr)
            elif isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and owner is not None:
                if base.func.id == "super":
                    target = index.member(owner, node.attr, skip_self=True)
                elif base.func.id == "type" and len(base.args) == 1 and isinstance(base.args[0], ast.Name) and base.args[0].id == "self":
                    target = index.member(owner, node.attr)
            elif isinstance(base, (ast.Name, ast.Attribute)) and not (isinstance(base, ast.Name) and base.id in hidden):
                target = index.resolve_expr(path, node, local)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in hidden:
            target = index.resolve_name(path, node.id, local)
        if target is None or target.kind == "module":
            continue
        if target.kind == "class":
            if id(node) in called:
                init = index.member(target, "__init__")
                if init is not None:
                    out.add(init)
            continue
        out.add(target)
    return out


def truth_pairs(references: Mapping[str, str], stubs: Mapping[str, Sequence[str]]) -> set[Pair]:
    """(src id, dst id) for every stub whose reference body uses another stub."""
    index = PackageIndex(references)
    ids = {f"{p}::{s}" for p, syms in stubs.items() for s in syms}
    pairs: set[Pair] = set()
    for path, syms in stubs.items():
        for qual in syms:
            src = f"{path}::{qual}"
            for t in body_uses(index, path, qual):
                dst = f"{t.path}::{t.qual}"
                if dst in ids and dst != src:
                    pairs.add((src, dst))
    return pairs
