"""A package's modules and what their names mean: imports resolved to package paths.

``PackageIndex`` parses every module once and answers "what does this name (or
dotted chain) denote in module ``path``?" with a :class:`Target`: a module of
the package, or a definition (function, method or class, by its qualified name
in its module). Resolved: ``import a.b`` / ``import a.b as c``, ``from a.b import
X as Y``, relative imports (``from .x import Y``, ``from .. import z``), package
``__init__`` re-exports (followed transitively), ``from m import *``, and class
attributes through base classes (the MRO, left to right, depth first). Names
from outside the package resolve to nothing. Absolute names match a module of
the package by dotted suffix, so ``src/pkg/mod.py`` answers to ``pkg.mod`` and a
script-style ``from utils.x import y`` finds ``pkg/utils/x.py``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from crdt_ws import parse_python

from ._errors import OutlineSyntaxError

FuncNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Target:
    """A module (``qual`` None) or a definition ``qual`` in module ``path``."""

    path: str
    qual: str | None = None
    kind: str = "module"
    """'module', 'class' or 'function'."""


@dataclass
class ModuleInfo:
    """One parsed module: its definitions (numbered as the suite numbers them) and import bindings."""

    path: str
    dotted: str
    package: str
    tree: ast.Module
    functions: dict[str, FuncNode] = field(default_factory=dict)
    """Numbered qualified name ('Cls.x', 'Cls.x#2') -> definition."""
    owner: dict[str, str | None] = field(default_factory=dict)
    """Numbered qualified name -> enclosing class qualname (None at module level)."""
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    bindings: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """Local name -> (dotted module, attribute or None): what an import statement bound."""
    stars: list[str] = field(default_factory=list)
    """Dotted modules imported with ``*``."""


def _dotted_of(path: str) -> tuple[str, str]:
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
        return ".".join(parts), ".".join(parts)
    return ".".join(parts), ".".join(parts[:-1])


def _collect(info: ModuleInfo, body: list[ast.stmt], prefix: str, owner: str | None, seen: dict[str, int]) -> None:
    # Same walk and numbering as the suite's skeletons (bench.suites._project_skeleton._walk).
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            qual = prefix + node.name
            seen[qual] = seen.get(qual, 0) + 1
            key = qual if seen[qual] == 1 else f"{qual}#{seen[qual]}"
            info.functions[key] = node
            info.owner[key] = owner
        elif isinstance(node, ast.ClassDef):
            qual = prefix + node.name
            info.classes.setdefault(qual, node)
            _collect(info, node.body, qual + ".", qual, seen)
        elif isinstance(node, ast.If):
            _collect(info, node.body + node.orelse, prefix, owner, seen)
        elif isinstance(node, (ast.Try, ast.TryStar)):
            for block in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                _collect(info, block, prefix, owner, seen)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            _collect(info, node.body, prefix, owner, seen)
        elif owner is None and isinstance(node, (ast.Import, ast.ImportFrom)):
            bind_import(info, node, info.bindings)


def bind_import(info: ModuleInfo, node: ast.Import | ast.ImportFrom, into: dict[str, tuple[str, str | None]]) -> None:
    """Record what ``node`` binds in ``into`` (local name -> (dotted module, attribute))."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                into[alias.asname] = (alias.name, None)
            else:
                head = alias.name.split(".")[0]
                into[head] = (head, None)
        return
    base = node.module or ""
    if node.level:
        parts = info.package.split(".") if info.package else []
        parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
        base = ".".join([*parts, *([node.module] if node.module else [])])
    for alias in node.names:
        if alias.name == "*":
            info.stars.append(base)
        else:
            into[alias.asname or alias.name] = (base, alias.name)


class PackageIndex:
    """Every module of a package, parsed, with name resolution across modules."""

    def __init__(self, modules: Mapping[str, str]) -> None:
        self.modules: dict[str, ModuleInfo] = {}
        for path, source in modules.items():
            try:
                tree = parse_python(source)
            except SyntaxError as err:
                raise OutlineSyntaxError(f"{path}: {err.msg}", lineno=err.lineno, offset=err.offset) from err
            except (ValueError, RecursionError) as err:  # NUL bytes; nesting too deep for the parser
                raise OutlineSyntaxError(f"{path}: {err}") from err
            dotted, package = _dotted_of(path)
            info = ModuleInfo(path=path, dotted=dotted, package=package, tree=tree)
            _collect(info, tree.body, "", None, {})
            self.modules[path] = info
        self._by_dotted = {m.dotted: m.path for m in self.modules.values()}
        self._suffix: dict[str, list[str]] = {}
        for m in self.modules.values():
            parts = m.dotted.split(".")
            for i in range(1, len(parts)):
                self._suffix.setdefault(".".join(parts[i:]), []).append(m.path)
        self._memo: dict[tuple[str, str], Target | None] = {}
        self._mro: dict[Target, list[Target]] = {}

    def module_path(self, dotted: str, near: str | None = None) -> str | None:
        """The package path of module ``dotted``, or None when it is not one of the package's modules.

        Exact dotted name first; a standard-library name is never a package module
        (``import typing`` in flask is not ``flask/typing.py``); then a module beside
        ``near`` (a script-style ``from cost_functions import f``); then a unique
        dotted suffix (``src/pkg/mod.py`` for ``pkg.mod``).
        """
        if dotted in self._by_dotted:
            return self._by_dotted[dotted]
        if not dotted or dotted.split(".", 1)[0] in sys.stdlib_module_names:
            return None
        if near is not None and "/" in near:
            folder = near.rsplit("/", 1)[0]
            for candidate in (f"{folder}/{dotted.replace('.', '/')}.py", f"{folder}/{dotted.replace('.', '/')}/__init__.py"):
                if candidate in self.modules:
                    return candidate
        hits = self._suffix.get(dotted, [])
        return hits[0] if len(hits) == 1 else None

    def _binding(self, path: str, bound: tuple[str, str | None], seen: frozenset[tuple[str, str]]) -> Target | None:
        dotted, attr = bound
        mod = self.module_path(dotted, near=path)
        if attr is None:
            return Target(mod) if mod is not None else None
        if mod is not None:
            found = self._name(mod, attr, seen)
            if found is not None:
                return found
        sub = self.module_path(f"{dotted}.{attr}" if dotted else attr, near=path)
        return Target(sub) if sub is not None else None

    def resolve_name(self, path: str, name: str, local: Mapping[str, tuple[str, str | None]] | None = None) -> Target | None:
        """What ``name`` denotes at the top level of module ``path`` (``local``: extra bindings, e.g. a body's imports)."""
        if local and name in local:
            return self._binding(path, local[name], frozenset())
        key = (path, name)
        if key not in self._memo:
            self._memo[key] = self._name(path, name, frozenset())
        return self._memo[key]

    def _name(self, path: str, name: str, seen: frozenset[tuple[str, str]]) -> Target | None:
        if (path, name) in seen:
            return None  # an import cycle: nothing more to learn
        seen = seen | {(path, name)}
        info = self.modules[path]
        if name in info.classes:
            return Target(path, name, "class")
        if name in info.functions and info.owner[name] is None:
            return Target(path, name, "function")
        if name in info.bindings:
            return self._binding(path, info.bindings[name], seen)
        for star in info.stars:
            mod = self.module_path(star, near=path)
            if mod is not None and mod != path:
                found = self._name(mod, name, seen)
                if found is not None:
                    return found
        return None

    def attribute(self, target: Target, attr: str) -> Target | None:
        """``target.attr``: a module's name or submodule, a class's method or nested class (through its bases)."""
        if target.kind == "module":
            found = self.resolve_name(target.path, attr)
            if found is None:
                info = self.modules[target.path]
                sub = self.module_path(f"{info.dotted}.{attr}" if info.dotted else attr)
                found = Target(sub) if sub is not None else None
            return found
        if target.kind == "class" and target.qual is not None:
            return self.member(target, attr)
        return None

    def member(self, cls: Target, name: str, skip_self: bool = False) -> Target | None:
        """Method or nested class ``name`` of class ``cls`` by the MRO (``skip_self``: as ``super()`` sees it)."""
        for c in self.mro(cls)[1 if skip_self else 0:]:
            info = self.modules[c.path]
            qual = f"{c.qual}.{name}"
            if qual in info.functions:
                return Target(c.path, qual, "function")
            if qual in info.classes:
                return Target(c.path, qual, "class")
        return None

    def mro(self, cls: Target) -> list[Target]:
        """``cls`` then its package bases, depth first, each once (an approximation of the C3 order)."""
        if cls not in self._mro:
            self._mro[cls] = self._linearize(cls)
        return self._mro[cls]

    def _linearize(self, cls: Target) -> list[Target]:
        out: list[Target] = []
        stack = [cls]
        while stack:
            c = stack.pop(0)
            if c in out or c.qual is None:
                continue
            out.append(c)
            node = self.modules[c.path].classes.get(c.qual)
            if node is None:
                continue
            bases = [self.resolve_expr(c.path, b) for b in node.bases]
            stack = [b for b in bases if b is not None and b.kind == "class"] + stack
        return out

    def resolve_expr(self, path: str, expr: ast.expr, local: Mapping[str, tuple[str, str | None]] | None = None) -> Target | None:
        """A Name or a dotted Attribute chain in module ``path``; anything else resolves to None."""
        attrs: list[str] = []
        while isinstance(expr, ast.Attribute):  # iterative: a chain may be thousands of links long
            attrs.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        target = self.resolve_name(path, expr.id, local)
        for attr in reversed(attrs):
            if target is None:
                return None
            target = self.attribute(target, attr)
        return target

    def resolve_dotted(self, path: str, chain: str) -> Target | None:
        """A dotted chain as written in prose: via the module's names, else as an absolute package name."""
        parts = chain.split(".")
        target = self.resolve_name(path, parts[0])
        rest = parts[1:]
        if target is None:
            for i in range(len(parts), 0, -1):
                mod = self.module_path(".".join(parts[:i]))
                if mod is not None:
                    target, rest = Target(mod), parts[i:]
                    break
        for attr in rest:
            if target is None:
                return None
            target = self.attribute(target, attr)
        return target
