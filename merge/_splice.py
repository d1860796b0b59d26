"""Replace a symbol's stub with an implementation, merging imports and hoisting helpers.

The stub is the contract: its decorators, name, return annotation and (when
the reply kept the parameter names) its parameters with their annotations and
defaults survive; only the body comes from the reply (under the stub's
docstring by default).  Everything outside the symbol is left byte-for-byte
as it was except for added import lines and hoisted helpers, so a text diff of
the result is small and local.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import libcst as cst

from crdt_ws import check_compiles, outline_parsed, split_occurrence

from ._config import MergeConfig
from ._conflict_types import Conflict
from ._contract import build_function
from ._cst import bound_names, code_of, compiles, docstring_of, free_globals, import_keys, parse_module
from ._errors import InvalidMerge, SymbolNotInModule, UnparsableModule
from ._extract import Extraction, extract_for
from ._hoist import HoistPlan, import_insert_at, merge_imports, pick_class_helpers, pick_module_helpers, rename
from ._local import local_code
from ._region import region_splice, region_stub

__all__ = ["SpliceResult", "splice", "find_stub"]


@dataclass(frozen=True)
class SpliceResult:
    """The merged module and what the merge did besides replacing the symbol."""

    source: str
    qualname: str
    added_imports: tuple[str, ...] = ()
    hoisted: tuple[str, ...] = ()
    """Qualified names of helpers copied in from the reply."""
    renamed: dict[str, str] = field(default_factory=dict)
    """Helper renames made to avoid clobbering existing names (old -> new)."""
    conflicts: tuple[Conflict, ...] = ()
    """Non-fatal conflicts (skipped imports, kept signature changes, name clashes)."""
    signature_changed: bool = False
    extraction: Extraction | None = None
    parses: bool = True
    """False only for a tolerant splice into a module that was (and stays) broken."""


def _path(module: cst.Module, qualname: str) -> list[int] | None:
    """Indices from the module body down to ``qualname``'s definition (``Cls.x#2``: the second ``def x`` in ``Cls``).

    Definitions are counted as :func:`crdt_ws.outline` counts them: in source order, those nested in
    ``if``/``try``/``with``/loops included; None for a target nested that way (only the text-region splice reaches it).
    """
    try:
        base, nth = split_occurrence(qualname)
    except ValueError as exc:
        raise SymbolNotInModule(str(exc)) from exc
    parts = base.split(".")
    body: Sequence[cst.BaseStatement] = module.body
    path: list[int] = []
    for depth, name in enumerate(parts[:-1]):
        index = next((i for i, s in enumerate(body) if isinstance(s, cst.ClassDef) and s.name.value == name), None)
        if index is None and any(_nested(s, name, cst.ClassDef) for s in body if not isinstance(s, (cst.FunctionDef, cst.ClassDef))):
            return None  # a class under ``if has_crypto:``
        if index is None:
            raise SymbolNotInModule(f"no class {'.'.join(parts[: depth + 1])!r} in the module")
        path.append(index)
        node = body[index]
        assert isinstance(node, cst.ClassDef)
        if not isinstance(node.body, cst.IndentedBlock):
            raise SymbolNotInModule(f"class {'.'.join(parts[: depth + 1])!r} has no block body")
        body = node.body.body
    seen = 0
    for i, stmt in enumerate(body):
        if isinstance(stmt, cst.FunctionDef):
            hits = [i] if stmt.name.value == parts[-1] else []
        elif isinstance(stmt, cst.ClassDef):
            hits = []
        else:
            hits = [-1] * _nested(stmt, parts[-1], cst.FunctionDef)
        for hit in hits:
            seen += 1
            if seen == nth:
                return [*path, hit] if hit >= 0 else None
    which = f"definition {nth} of " if nth > 1 else ""
    raise SymbolNotInModule(f"no def {which}{base!r} in the module" + (f" (it has {seen})" if nth > 1 else ""))


def _nested(node: cst.CSTNode, name: str, kind: type[cst.FunctionDef] | type[cst.ClassDef]) -> int:
    """How many ``def name`` (or ``class name``) a compound statement holds outside nested functions and classes."""
    count = 0
    for child in node.children:
        if isinstance(child, (cst.FunctionDef, cst.ClassDef)):
            count += isinstance(child, kind) and child.name.value == name
        elif not isinstance(child, cst.Lambda):
            count += _nested(child, name, kind)
    return count


def _node_at(module: cst.Module, path: list[int]) -> cst.CSTNode:
    node: cst.CSTNode = module.body[path[0]]
    for index in path[1:]:
        assert isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock)
        node = node.body.body[index]
    return node


def _siblings(module: cst.Module, path: list[int]) -> Sequence[cst.BaseStatement]:
    """The statements next to the symbol (its class body, or the module body)."""
    owner = _node_at(module, path[:-1]) if len(path) > 1 else None
    return owner.body.body if isinstance(owner, cst.ClassDef) and isinstance(owner.body, cst.IndentedBlock) else module.body


def find_stub(module: cst.Module | str, qualname: str) -> cst.FunctionDef:
    """The current definition of ``qualname`` in ``module`` (stub or not; ``Cls.x#2`` is the second ``def x``)."""
    if isinstance(module, str):
        module = parse_module(module, what="module")
    path = _path(module, qualname)
    if path is None:
        return region_stub(module.code, qualname)
    node = _node_at(module, path)
    assert isinstance(node, cst.FunctionDef)
    return node


def _replace_at(body: Sequence[cst.BaseStatement], path: list[int], new: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    out = list(body)
    index = path[0]
    if len(path) == 1:
        out[index : index + 1] = new
        return out
    cls = out[index]
    assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
    out[index] = cls.with_changes(body=cls.body.with_changes(body=_replace_at(cls.body.body, path[1:], new)))
    return out


def splice(
    module_source: str,
    qualname: str,
    implementation: Extraction | str,
    config: MergeConfig | None = None,
    *,
    tolerant: bool = False,
) -> SpliceResult:
    """Replace the definition of ``qualname`` in ``module_source`` with ``implementation``.

    ``implementation`` is an :class:`Extraction` or a raw reply (extracted here,
    with the module's stub as the signature for body-only replies).  The result
    always compiles; otherwise :class:`InvalidMerge` is raised and nothing is
    returned.  Splicing the same implementation again returns the same source.

    A module that does not parse raises :class:`UnparsableModule`, unless
    ``tolerant``: then only the symbol's region is rewritten (see
    :mod:`merge._region`) and ``SpliceResult.parses`` tells whether the whole
    module now parses.
    """
    config = config or MergeConfig()
    module: cst.Module | None = None
    # A buffer with a neighbour mid-stream rarely parses: the (cached) ast outline says so before libcst's slower
    # parser would fail on the same text.
    if not tolerant or outline_parsed(module_source):
        try:
            module = parse_module(module_source, what="module")
        except UnparsableModule:
            if not tolerant:
                raise
    path = _path(module, qualname) if module is not None else None
    if module is None or path is None:  # unparsable, or a target nested where only the text-region splice reaches
        source, added = region_splice(module_source, qualname, implementation, config)
        return SpliceResult(source=source, qualname=qualname, added_imports=added, parses=compiles(source))
    parts = split_occurrence(qualname)[0].split(".")
    stub = _node_at(module, path)
    assert isinstance(stub, cst.FunctionDef)
    taken = {n for s in _siblings(module, path) for n in bound_names(s)}
    ext = implementation if isinstance(implementation, Extraction) else extract_for(implementation, qualname, config, stub=stub, taken=taken)
    func, conflicts = build_function(stub, ext.function, qualname, config)

    module_names: dict[str, list[cst.BaseStatement]] = {}
    import_ids: dict[str, set[str]] = {}
    for stmt in module.body:
        for name in bound_names(stmt):
            module_names.setdefault(name, []).append(stmt)
        for bound, ident in import_keys(stmt):
            import_ids.setdefault(bound, set()).add(ident)
    plan = HoistPlan(module_names, import_ids, set(parts[:-1]), conflicts=conflicts)

    func_code = code_of(func)
    needed = free_globals(func_code)
    if config.hoist_helpers and len(parts) > 1:
        owner = _node_at(module, path[:-1])
        assert isinstance(owner, cst.ClassDef)
        needed |= pick_class_helpers(plan, ext, func_code, owner, parts[-2])
    if config.hoist_helpers:
        pick_module_helpers(plan, ext, needed, config)
    for stmt in plan.hoist_module:
        needed |= free_globals(code_of(stmt))
    needed -= set(plan.renamed)
    needed |= set(plan.renamed.values())
    merge_imports(plan, ext, needed, config)

    func = rename(func, plan.renamed)
    blank = (cst.EmptyLine(indent=False),)
    class_members: list[cst.BaseStatement] = [
        rename(h.with_changes(leading_lines=blank) if isinstance(h, cst.FunctionDef) else h, plan.renamed)
        for h in plan.hoist_class
    ]
    body = _replace_at(module.body, path, [func, *class_members])
    if plan.hoist_module:
        order = {id(h): i for i, h in enumerate(ext.module_helpers)}
        plan.hoist_module.sort(key=lambda h: order.get(id(h), len(order)))
        helpers = [
            rename(
                h.with_changes(leading_lines=blank * 2 if isinstance(h, (cst.FunctionDef, cst.ClassDef)) else blank),
                plan.renamed,
            )
            for h in plan.hoist_module
        ]
        at = path[0]
        body[at:at] = helpers
    if plan.imports:
        future = [s for s in plan.imports if "__future__" in code_of(s)]
        rest = [s for s in plan.imports if s not in future]
        at = import_insert_at(body)
        body[at:at] = rest
        if future:
            first = 1 if docstring_of(body) is not None else 0
            body[first:first] = future
    owner = _node_at(module, path[:-1]) if len(path) > 1 else None
    local = None if plan.hoist_module or plan.imports else local_code(module, module_source, path, stub, owner, [func, *class_members])
    merged = local if local is not None else module.with_changes(body=body).code
    try:
        check_compiles(merged, f"<merge {qualname}>")
    except (SyntaxError, ValueError) as exc:
        raise InvalidMerge(f"merging {qualname!r} gives code that does not compile: {exc}") from exc
    return SpliceResult(
        source=merged,
        qualname=qualname,
        added_imports=tuple(plan.added),
        hoisted=tuple(plan.hoisted),
        renamed=dict(plan.renamed),
        conflicts=tuple(plan.conflicts),
        signature_changed=any(c.kind == "signature_change" for c in plan.conflicts),
        extraction=ext,
    )
