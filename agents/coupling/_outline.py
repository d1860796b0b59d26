"""Parse an outline (a Python skeleton module) into the facts the classifier needs.

This is the one place where ``SyntaxError`` becomes ``OutlineSyntaxError``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from crdt_ws import is_stub_def, parse_python

from ._errors import OutlineSyntaxError, UnknownSymbolError


@dataclass
class Definition:
    """One function or method of the outline."""

    qualname: str
    name: str
    owner: str | None
    """Qualified name of the enclosing class, None for a top-level function."""
    node: ast.FunctionDef | ast.AsyncFunctionDef
    docstring: str
    params: tuple[str, ...]
    is_stub: bool
    order: int


@dataclass
class Outline:
    """All definitions of an outline, plus the classes and the fields their bodies assign."""

    definitions: dict[str, Definition]
    classes: set[str]
    fields: dict[str, set[str]] = field(default_factory=dict)
    """class qualname -> attribute names assigned as ``self.x = ...`` in implemented methods."""
    overviews: list[tuple[str, str]] = field(default_factory=list)
    """(where, docstring) of the module and of each class: prose about the outline as a whole."""
    lines: list[str] = field(default_factory=list)
    """Source lines of the parsed code (for evidence text)."""
    unwrapped: bool = False
    """True when the whole outline was wrapped in a string literal and was parsed from inside it."""

    def class_names(self) -> set[str]:
        return {q.rsplit(".", 1)[-1] for q in self.classes}


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    a = node.args
    names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    names += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
    return tuple(n for n in names if n not in ("self", "cls"))


def _parse(source: str) -> ast.Module:
    try:
        return parse_python(source)
    except SyntaxError as err:
        raise OutlineSyntaxError(err.msg, lineno=err.lineno, offset=err.offset) from err
    except (ValueError, RecursionError) as err:  # NUL bytes; nesting too deep for the parser
        raise OutlineSyntaxError(str(err)) from err


def _has_defs(module: ast.Module) -> bool:
    return any(isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) for n in module.body)


def parse_outline(source: str, tree: ast.Module | None = None) -> Outline:
    """Parse ``source`` (or use its already parsed ``tree``); a module that is only a string literal holding code is parsed from inside it."""
    module = tree if tree is not None else _parse(source)
    unwrapped = False
    code = source
    if not _has_defs(module):
        strings = [n.value.value for n in module.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)]
        if len(strings) == 1:
            try:
                inner = parse_python(strings[0])
            except (SyntaxError, ValueError):
                inner = None
            if inner is not None and _has_defs(inner):
                module, unwrapped, code = inner, True, strings[0]
    outline = Outline(definitions={}, classes=set(), lines=code.splitlines(), unwrapped=unwrapped)
    doc = ast.get_docstring(module, clean=True)
    if doc:
        outline.overviews.append(("module docstring", doc))
    _collect(module.body, None, outline)
    return outline


def _collect(body: list[ast.stmt], owner: str | None, outline: Outline) -> None:
    for node in body:
        if isinstance(node, ast.ClassDef):
            qual = f"{owner}.{node.name}" if owner else node.name
            outline.classes.add(qual)
            outline.fields.setdefault(qual, set())
            doc = ast.get_docstring(node, clean=True)
            if doc:
                outline.overviews.append((f"docstring of class {qual}", doc))
            _collect(node.body, qual, outline)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            qual = f"{owner}.{node.name}" if owner else node.name
            stub = is_stub_def(node)
            outline.definitions[qual] = Definition(
                qualname=qual,
                name=node.name,
                owner=owner,
                node=node,
                docstring=ast.get_docstring(node, clean=True) or "",
                params=_params(node),
                is_stub=stub,
                order=len(outline.definitions),
            )
            if owner in outline.classes and not stub:
                outline.fields[owner] |= assigned_fields(node)
        elif isinstance(node, (ast.If, ast.Try)):
            # Definitions guarded by `if TYPE_CHECKING:` / try-imports still count.
            _collect([n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)], owner, outline)


def assigned_fields(node: ast.AST) -> set[str]:
    """Names ``x`` in ``self.x = ...`` / ``self.x += ...`` / ``self.x: T = ...`` inside ``node``."""
    out: set[str] = set()
    for sub in ast.walk(node):
        targets: list[ast.expr] = []
        if isinstance(sub, ast.Assign):
            targets = list(sub.targets)
        elif isinstance(sub, (ast.AugAssign, ast.AnnAssign)):
            targets = [sub.target]
        for t in targets:
            for elt in ast.walk(t):
                if isinstance(elt, ast.Attribute) and isinstance(elt.value, ast.Name) and elt.value.id == "self":
                    out.add(elt.attr)
    return out


def select_stubs(outline: Outline, symbols: list[str] | None) -> list[Definition]:
    """The definitions to classify: ``symbols`` in outline order, or every stub body."""
    defs = outline.definitions
    if symbols is None:
        return [d for d in defs.values() if d.is_stub]
    missing = [s for s in symbols if s not in defs]
    if missing:
        raise UnknownSymbolError(missing, sorted(defs))
    wanted = set(symbols)
    return [d for d in defs.values() if d.qualname in wanted]
