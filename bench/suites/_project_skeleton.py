"""Skeletons of a project's modules: every implemented function becomes a stub, described.

A stub keeps the decorators and signature of the reference definition, and
its docstring; a definition without one gets the description the project's
architecture design gives for it (:class:`DesignIndex`), so the agents see it
next to the code. Stubbed: functions at module level and methods of classes
(nested classes too), including those under module- or class-level ``if`` /
``try`` / ``with`` blocks (``if has_crypto: class RSAAlgorithm: ...``).
Constructors are stubs like any other method: a project's agents write its
whole code. Kept as they are: definitions whose reference body is already
only a placeholder (``...``, ``pass``, ``raise NotImplementedError``:
overloads, abstract methods) and everything that is not a function.
Functions nested in a function vanish with their parent's body.

A qualified name repeated in one module (a property's getter and setter,
``if``/``else`` twins) is numbered in source order: ``Cls.x``, ``Cls.x#2``.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

import libcst as cst


from ._errors import UnparsableSource
from crdt_ws import is_stub_def, numbered, parse_cst, parse_python, split_occurrence

__all__ = ["DesignIndex", "ModuleSkeleton", "project_skeleton", "reference_functions"]

_FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class _DesignEntry:
    module: str | None
    cls: str | None
    name: str
    text: str


_MODULE_HEADING = re.compile(r"^#{1,6}\s.*?`([^`]+\.py)`")
_CLASS_HEADING = re.compile(r"^#{2,6}\s.*?`([A-Za-z_]\w*)`")
_BULLET = re.compile(r"^\s*[-*]\s+\**`(?:[A-Za-z_][\w.]*\.)?([A-Za-z_]\w*)\s*\(")


class DesignIndex:
    """Function descriptions read from an architecture design in Markdown.

    The designs list functions as bullets (``- `name(args)`: what it does``)
    under a heading naming the module (```` ## `pkg/mod.py` ````) and,
    for methods, one naming the class. Formats differ between projects, so a
    lookup prefers an entry of the same module and class, then the same
    class, then the same module, then a name the design gives only once.
    """

    def __init__(self, markdown: str) -> None:
        self.entries: list[_DesignEntry] = []
        module: str | None = None
        cls: str | None = None
        current: tuple[str | None, str | None, str, list[str]] | None = None
        for line in markdown.splitlines():
            heading = line.lstrip().startswith("#")
            bullet = _BULLET.match(line)
            if (heading or bullet or not line.strip()) and current is not None:
                self._add(current)
                current = None
            if heading:
                if found := _MODULE_HEADING.match(line.strip()):
                    module, cls = found.group(1).lstrip("./"), None
                elif found := _CLASS_HEADING.match(line.strip()):
                    cls = found.group(1)
                continue
            if bullet:
                rest = line[bullet.end():]
                rest = rest.split("`", 1)[1] if "`" in rest else rest
                current = (module, cls, bullet.group(1), [rest.strip().lstrip(":").strip()])
            elif current is not None:
                current[3].append(line.strip())
        if current is not None:
            self._add(current)

    def _add(self, entry: tuple[str | None, str | None, str, list[str]]) -> None:
        text = " ".join(part for part in entry[3] if part).strip()
        if text:
            self.entries.append(_DesignEntry(entry[0], entry[1], entry[2], text[:1500]))

    def describe(self, module_path: str, qualname: str) -> str | None:
        """The design's description of ``qualname`` in ``module_path``, or None."""
        parts = qualname.split("#", 1)[0].split(".")
        name, owner = parts[-1], parts[-2] if len(parts) > 1 else None
        named = [e for e in self.entries if e.name == name]

        def same_module(entry: _DesignEntry) -> bool:
            return entry.module is not None and (module_path.endswith(entry.module) or entry.module.endswith(module_path))

        for keep in (
            lambda e: same_module(e) and e.cls == owner,
            lambda e: owner is not None and e.cls == owner,
            same_module,
        ):
            hits = [e for e in named if keep(e)]
            if hits:
                return hits[0].text
        return named[0].text if len(named) == 1 else None


@dataclass(frozen=True)
class ModuleSkeleton:
    """The skeleton of one module and what was made of it."""

    outline: str
    stubs: tuple[str, ...]
    described: tuple[str, ...]
    """Stubs whose docstring came from the architecture design (the reference has none)."""


def _walk(body: list[ast.stmt], prefix: str) -> list[tuple[str, _FuncDef]]:
    found: list[tuple[str, _FuncDef]] = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((prefix + node.name, node))
        elif isinstance(node, ast.ClassDef):
            found.extend(_walk(node.body, f"{prefix}{node.name}."))
        elif isinstance(node, ast.If):
            found.extend(_walk(node.body, prefix) + _walk(node.orelse, prefix))
        elif isinstance(node, (ast.Try, ast.TryStar)):
            blocks = [node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody]
            for block in blocks:
                found.extend(_walk(block, prefix))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            found.extend(_walk(node.body, prefix))
    return found


def reference_functions(source: str) -> list[tuple[str, bool]]:
    """(numbered qualified name, already a placeholder) of every definition a skeleton considers, in order.

    Read with :mod:`ast` independently of the libcst transformer, so tests can
    cross-check the two.
    """
    found = _walk(parse_python(source).body, "")
    names = numbered(name for name, _ in found)
    return [(name, is_stub_def(func)) for name, (_, func) in zip(names, found, strict=True)]


def definition_source(source: str, symbol: str) -> str | None:
    """The definition ``symbol`` names (``Cls.x#2``: the second ``def x`` of ``Cls``, numbered as the skeleton's stubs
    are), decorators included, dedented to column 0 (as a model writes it); None when there is no such definition."""
    return definition_sources(source).get(symbol)


def definition_sources(source: str) -> dict[str, str]:
    """:func:`definition_source` of every definition in ``source`` at once (one parse for a whole module)."""
    found = _walk(parse_python(source).body, "")
    lines = source.splitlines(keepends=True)
    out: dict[str, str] = {}
    for name, (_, func) in zip(numbered(name for name, _ in found), found, strict=True):
        if name not in out:
            start = min([func.lineno, *(d.lineno for d in func.decorator_list)])
            out[name] = textwrap.dedent("".join(lines[start - 1 : func.end_lineno]))
    return out


def _docstring_of(body: cst.BaseSuite) -> cst.BaseStatement | None:
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    first = body.body[0]
    if isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1:
        expr = first.body[0]
        if isinstance(expr, cst.Expr) and isinstance(expr.value, (cst.SimpleString, cst.ConcatenatedString)):
            return first
    return None


def _as_docstring(text: str) -> cst.BaseStatement:
    clean = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return cst.SimpleStatementLine(body=[cst.Expr(value=cst.SimpleString(f'"""{clean}"""'))])


class _ProjectStubber(cst.CSTTransformer):
    def __init__(self, module_path: str, design: DesignIndex | None, functions: list[tuple[str, bool]]) -> None:
        super().__init__()
        self.module_path = module_path
        self.design = design
        self.functions = iter(functions)  # from the ast walk: same definitions, same order, numbered there
        self.classes: list[str] = []
        self.stubs: list[str] = []
        self.described: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self.classes.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # nested definitions go with the body

    # Definitions inside loops and match arms are not addressable by name: kept as they are, like reference_functions.
    def visit_For(self, node: cst.For) -> bool:
        return False

    def visit_While(self, node: cst.While) -> bool:
        return False

    def visit_Match(self, node: cst.Match) -> bool:
        return False

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        qualname, placeholder = next(self.functions, ("", True))
        if split_occurrence(qualname)[0] != ".".join([*self.classes, original_node.name.value]):
            raise UnparsableSource(f"{self.module_path}: the ast and libcst walks disagree at {qualname or 'the end'}")
        if placeholder:
            return updated_node
        self.stubs.append(qualname)
        docstring = _docstring_of(updated_node.body)
        if docstring is None and self.design is not None:
            text = self.design.describe(self.module_path, qualname)
            if text:
                docstring = _as_docstring(text)
                self.described.append(qualname)
        statements: list[cst.BaseStatement] = [docstring] if docstring is not None else []
        statements.append(cst.SimpleStatementLine(body=[cst.Pass()]))
        body = updated_node.body
        if isinstance(body, cst.IndentedBlock):
            return updated_node.with_changes(body=body.with_changes(body=statements))
        return updated_node.with_changes(body=cst.IndentedBlock(body=statements))


def project_skeleton(source: str, module_path: str, design: DesignIndex | None = None) -> ModuleSkeleton:
    """The skeleton of one project module; :class:`UnparsableSource` when libcst cannot parse it."""
    try:
        module = parse_cst(source)
    except SyntaxError as err:
        raise UnparsableSource(f"{module_path}: cannot derive a skeleton: {err}") from err
    try:
        functions = reference_functions(source)
    except SyntaxError as err:  # libcst accepted what ast rejects: rare, but then nothing is addressable
        raise UnparsableSource(f"{module_path}: cannot derive a skeleton: line {err.lineno}: {err.msg}") from err
    stubber = _ProjectStubber(module_path, design, functions)
    outline = module.visit(stubber).code
    return ModuleSkeleton(outline=outline, stubs=tuple(stubber.stubs), described=tuple(stubber.described))
