"""What a splice adds around the symbol: helpers hoisted from the reply, renamed on a clash, and import lines.

:func:`merge._splice.splice` replaces the symbol; this module decides what else
the reply brings along (module and class helpers the implementation uses, the
imports they need, standard-library modules used but never imported) and keeps
the module's own names intact.  ``merge._region`` uses :func:`auto_imports`
for the same decision on a module that does not parse.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Callable, Sequence, TypeVar

import libcst as cst

from crdt_ws import parse_cst_statement

from ._config import MergeConfig
from ._conflict_types import Conflict
from ._cst import attribute_uses, bound_names, code_of, docstring_of, free_globals, import_keys, is_stub, same_code
from ._errors import ImportConflict, NameClash
from ._extract import Extraction

__all__ = ["HoistPlan", "auto_imports", "import_insert_at", "merge_imports", "pick_class_helpers", "pick_module_helpers", "rename"]

_N = TypeVar("_N", bound=cst.CSTNode)
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))


class _Renamer(cst.CSTTransformer):
    """Rename free uses of module-level names (never attribute names or keyword names)."""

    def __init__(self, mapping: dict[str, str]) -> None:
        super().__init__()
        self.mapping = mapping

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        new = self.mapping.get(updated_node.value)
        return updated_node.with_changes(value=new) if new else updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node.with_changes(keyword=original_node.keyword)


def rename(node: _N, mapping: dict[str, str]) -> _N:
    if not mapping:
        return node
    out = node.visit(_Renamer(mapping))
    assert isinstance(out, type(node))
    return out


def import_insert_at(body: Sequence[cst.BaseStatement]) -> int:
    """Index just past the module's leading docstring/imports block."""
    at = 0
    for i, stmt in enumerate(body):
        if import_keys(stmt):
            at = i + 1
        elif i == 0 and docstring_of(body) is not None:
            at = 1
        else:
            break
    return at


@dataclass
class HoistPlan:
    """Mutable state of one splice: what the module binds and what is being added."""

    module_names: dict[str, list[cst.BaseStatement]]
    import_ids: dict[str, set[str]]
    owner_chain: set[str]
    hoist_module: list[cst.BaseStatement] = field(default_factory=list)
    hoist_class: list[cst.BaseStatement] = field(default_factory=list)
    imports: list[cst.SimpleStatementLine] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    hoisted: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)

    def binds(self, name: str) -> bool:
        return name in self.module_names or any(name in bound_names(s) for s in (*self.hoist_module, *self.imports))


def _helper_is_stub(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.FunctionDef) and is_stub(stmt)


def pick_module_helpers(plan: HoistPlan, ext: Extraction, needed: set[str], config: MergeConfig) -> None:
    helpers = {n: h for h in ext.module_helpers for n in bound_names(h)}
    queue = sorted(needed)
    seen: set[str] = set()
    while queue:
        name = queue.pop(0)
        if name in seen or name not in helpers:
            continue
        seen.add(name)
        helper = helpers[name]
        if _helper_is_stub(helper) or any(helper is h for h in plan.hoist_module):
            continue
        existing = plan.module_names.get(name)
        if existing:
            if name in plan.owner_chain or any(same_code(helper, e) or _helper_is_stub(e) for e in existing):
                continue  # already there, or owned by the module (another TODO implements it)
            if config.on_name_clash == "error":
                raise NameClash(f"helper {name!r} differs from the module's existing {name!r}")
            if config.on_name_clash == "keep_existing":
                plan.conflicts.append(Conflict("name_clash", name, "kept the module's definition"))
                continue
            new_name, reuse = _fresh_name(plan, name, helper)
            plan.renamed[name] = new_name
            plan.conflicts.append(Conflict("name_clash", name, f"reply helper renamed to {new_name!r}"))
            if reuse:
                continue
        plan.hoist_module.append(helper)
        plan.hoisted.append(name)
        queue.extend(sorted(free_globals(code_of(helper))))


def _fresh_name(plan: HoistPlan, name: str, helper: cst.BaseStatement) -> tuple[str, bool]:
    """A free name for a clashing helper; ``reuse`` when an identical renamed copy is already there."""
    n = 2
    while True:
        candidate = f"{name}_{n}"
        existing = plan.module_names.get(candidate)
        if not existing:
            return candidate, False
        renamed = rename(helper, {**plan.renamed, name: candidate})
        if any(same_code(renamed, e) for e in existing):
            return candidate, True
        n += 1


def pick_class_helpers(plan: HoistPlan, ext: Extraction, func_code: str, owner: cst.ClassDef, class_name: str) -> set[str]:
    """Hoist reply class members the implementation uses that the module's class lacks."""
    assert isinstance(owner.body, cst.IndentedBlock)
    members = {n for s in owner.body.body for n in bound_names(s)}
    helpers = [h for h in ext.class_helpers if not _helper_is_stub(h)]
    owners = {"self", "cls", class_name}
    uses = attribute_uses(func_code, owners)
    extra_globals: set[str] = set()
    changed = True
    while changed:
        changed = False
        for helper in helpers:
            names = bound_names(helper)
            if any(helper is h for h in plan.hoist_class) or not names or any(n in members for n in names):
                continue
            if any(n in uses for n in names):
                plan.hoist_class.append(helper)
                plan.hoisted.extend(f"{class_name}.{n}" for n in names)
                code = code_of(helper)
                uses |= attribute_uses(code, owners)
                extra_globals |= free_globals(code)
                changed = True
    return extra_globals


def auto_imports(needed: set[str], binds: Callable[[str], bool], config: MergeConfig) -> list[tuple[str, str]]:
    """``(name, import line)`` for used-but-unbound stdlib modules and conventional aliases."""
    if not config.auto_import_stdlib:
        return []
    out: list[tuple[str, str]] = []
    for name in sorted(needed):
        if binds(name) or name.startswith("_"):
            continue
        if name in _STDLIB:
            out.append((name, f"import {name}"))
        elif name in config.auto_import_aliases:
            out.append((name, config.auto_import_aliases[name]))
    return out


def _import_line(bound: str, ident: str) -> str:
    """The import statement that binds ``bound`` the way ``ident`` does (aliases kept)."""
    if ident.startswith("import "):
        return ident if bound == ident[len("import ") :].split(".")[0] else f"{ident} as {bound}"
    return ident if bound == "*" or ident.endswith(f" {bound}") else f"{ident} as {bound}"


def merge_imports(plan: HoistPlan, ext: Extraction, needed: set[str], config: MergeConfig) -> None:
    wanted: list[tuple[str, str]] = []
    if config.imports != "none":
        for stmt in ext.imports:
            for bound, ident in import_keys(stmt):
                if config.imports == "all" or bound in needed or bound == "*":
                    wanted.append((bound, ident))
    for bound, ident in wanted:
        if ident in plan.import_ids.get(bound, set()) or any(ident == line for line in plan.added):
            continue
        if plan.binds(bound) and bound != "*":
            detail = f"reply's {ident!r} skipped: {bound!r} is already bound in the module"
            if config.on_import_conflict == "error":
                raise ImportConflict(detail)
            plan.conflicts.append(Conflict("import_skipped", bound, detail))
            continue
        line = _import_line(bound, ident)
        plan.imports.append(parse_cst_statement(line + "\n"))  # type: ignore[arg-type]
        plan.added.append(line)
    for name, line in auto_imports(needed, plan.binds, config):
        plan.imports.append(parse_cst_statement(line + "\n"))  # type: ignore[arg-type]
        plan.added.append(line)
