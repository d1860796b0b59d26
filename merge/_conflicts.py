"""Structural conflicts in a merged module, and a deterministic reconciler.

Two replicas that both implemented one TODO (a double claim under a
partition) leave two definitions of the same name; imports merged from
different replies can bind one name to two things; a reply can change a
signature other code calls.  :func:`find_conflicts` reports these,
:func:`reconcile` removes duplicate definitions and repeated imports the same
way on every replica (given the same text it makes the same choice).
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from typing import Mapping, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from crdt_ws import parse_python

from ._conflict_types import Conflict
from ._cst import code_of, import_keys, is_stub, parse_module, quiet
from ._extract import extract
from ._errors import MergeError

__all__ = ["find_conflicts", "signature_changes", "reconcile", "ReconcileResult"]


def _bodies(module: cst.Module) -> list[tuple[str, Sequence[cst.BaseStatement]]]:
    """``(qualified prefix, statements)`` for the module and every class body, outermost first."""
    out: list[tuple[str, Sequence[cst.BaseStatement]]] = [("", module.body)]
    i = 0
    while i < len(out):
        prefix, body = out[i]
        for stmt in body:
            if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                out.append((f"{prefix}{stmt.name.value}.", stmt.body.body))
        i += 1
    return out


def _role_key(stmt: cst.FunctionDef | cst.ClassDef) -> tuple[str, ...]:
    """What tells apart definitions of one name that belong together: a property's getter and setter
    (their decorators), ``@overload`` signatures (decorators and parameters) and the implementation after them."""
    if isinstance(stmt, cst.ClassDef):
        return ("class",)
    decorators = tuple("".join(code_of(d.decorator).split()) for d in stmt.decorators)
    if any(d.rsplit(".", 1)[-1] == "overload" for d in decorators):
        return ("def", *decorators, code_of(stmt.params))
    return ("def", *decorators)


def _duplicates(body: Sequence[cst.BaseStatement]) -> dict[str, list[cst.FunctionDef | cst.ClassDef]]:
    """Definitions of one name *and role* (see :func:`_role_key`), keyed by the symbol the first one will have once
    the copies are gone: ``name``, or ``name#n`` when other definitions of the name come before (``crdt_ws.numbered``).

    A getter and its setter are not duplicates; two copies of the setter (a double commit) are.
    """
    groups: dict[tuple[str, tuple[str, ...]], list[cst.FunctionDef | cst.ClassDef]] = {}
    for stmt in body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            groups.setdefault((stmt.name.value, _role_key(stmt)), []).append(stmt)
    order: dict[tuple[str, str], int] = {}
    out: dict[str, list[cst.FunctionDef | cst.ClassDef]] = {}
    for (name, role), defs in groups.items():  # dicts keep insertion order: groups by their first definition
        nth = order[(name, role[0])] = order.get((name, role[0]), 0) + 1
        if len(defs) > 1:
            out[name if nth == 1 else f"{name}#{nth}"] = defs
    return out


def find_conflicts(source: str) -> list[Conflict]:
    """Duplicate definitions (per scope) and module-level names bound by conflicting imports."""
    module = parse_module(source, what="module")
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)

    def line(node: cst.CSTNode) -> int:
        return positions[node].start.line

    conflicts: list[Conflict] = []
    for prefix, body in _bodies(module):
        for name, defs in _duplicates(body).items():
            detail = f"{len(defs)} definitions of {prefix}{name}; the last one wins at runtime"
            conflicts.append(Conflict("duplicate_definition", prefix + name, detail, tuple(line(d) for d in defs)))
    imported: dict[str, list[tuple[str, cst.BaseStatement]]] = {}
    for stmt in module.body:
        for bound, ident in import_keys(stmt):
            if bound != "*":
                imported.setdefault(bound, []).append((ident, stmt))
    defined = {s.name.value: s for s in module.body if isinstance(s, (cst.FunctionDef, cst.ClassDef))}
    for name, entries in imported.items():
        idents = sorted({ident for ident, _ in entries})
        if len(idents) > 1:
            conflicts.append(
                Conflict("conflicting_import", name, " vs ".join(idents), tuple(line(s) for _, s in entries))
            )
        if name in defined:
            detail = f"{idents[0]!r} is shadowed by a definition of {name}"
            conflicts.append(Conflict("conflicting_import", name, detail, (line(entries[0][1]), line(defined[name]))))
    return conflicts


def _signatures(module: cst.Module) -> dict[str, str]:
    sigs: dict[str, str] = {}
    for prefix, body in _bodies(module):
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                decorators = " ".join("@" + code_of(d.decorator).strip() for d in stmt.decorators)
                params = code_of(stmt.params)
                sigs.setdefault(prefix + stmt.name.value, f"{decorators} ({params})".strip())
    return sigs


def signature_changes(before: str, after: str) -> list[Conflict]:
    """Functions present in both versions whose decorators or parameters differ."""
    old = _signatures(parse_module(before, what="module"))
    new = _signatures(parse_module(after, what="module"))
    return [
        Conflict("signature_change", name, f"{old[name]} -> {new[name]}")
        for name in old
        if name in new and old[name] != new[name]
    ]


@dataclass(frozen=True)
class ReconcileResult:
    """The reconciled source and what was removed (qualified names / import lines)."""

    source: str
    removed: tuple[str, ...] = ()


def _keeper(qualname: str, defs: list[cst.FunctionDef | cst.ClassDef], preferred: Mapping[str, str]) -> int:
    """Index of the definition to keep: the preferred implementation, else the first non-stub, else the first."""
    if qualname in preferred:
        try:
            want = extract(preferred[qualname], qualname).function
        except MergeError:
            want = None
        if want is not None:
            for i, d in enumerate(defs):
                if isinstance(d, cst.FunctionDef) and _same_body(d, want):
                    return i
    for i, d in enumerate(defs):
        if not (isinstance(d, cst.FunctionDef) and is_stub(d)):
            return i
    return 0


def _body_key(f: cst.FunctionDef) -> str:
    """The body's syntax tree without its docstring (the splice may have swapped in the stub's)."""
    code = textwrap.dedent(code_of(f.with_changes(decorators=(), leading_lines=())))
    try:
        with quiet():
            node = parse_python(code).body[0]
    except (SyntaxError, IndexError):
        return code
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def _same_body(a: cst.FunctionDef, b: cst.FunctionDef) -> bool:
    return _body_key(a) == _body_key(b)


def _reconcile_body(
    prefix: str, body: Sequence[cst.BaseStatement], preferred: Mapping[str, str], removed: list[str]
) -> list[cst.BaseStatement]:
    drop: set[int] = set()
    for name, defs in _duplicates(body).items():
        keep = _keeper(prefix + name, defs, preferred)
        for i, d in enumerate(defs):
            if i != keep:
                drop.add(id(d))
                removed.append(prefix + name)
    out: list[cst.BaseStatement] = []
    seen_imports: set[str] = set()
    for stmt in body:
        if id(stmt) in drop:
            continue
        keys = import_keys(stmt)
        if keys and prefix == "":
            line = code_of(stmt.with_changes(leading_lines=())).strip()  # type: ignore[union-attr]
            if line in seen_imports:
                removed.append(line)
                continue
            seen_imports.add(line)
        if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            inner = _reconcile_body(f"{prefix}{stmt.name.value}.", stmt.body.body, preferred, removed)
            stmt = stmt.with_changes(body=stmt.body.with_changes(body=inner))
        out.append(stmt)
    return out


def reconcile(source: str, *, preferred: Mapping[str, str] | None = None) -> ReconcileResult:
    """Remove duplicate definitions and repeated import lines, deterministically.

    For each duplicated name the survivor is the definition matching
    ``preferred[qualname]`` (e.g. the TODO's committed result, i.e. the claim
    winner's implementation), else the first non-stub, else the first.
    """
    module = parse_module(source, what="module")
    removed: list[str] = []
    body = _reconcile_body("", module.body, preferred or {}, removed)
    if not removed:
        return ReconcileResult(source=source)
    return ReconcileResult(source=module.with_changes(body=body).code, removed=tuple(removed))
