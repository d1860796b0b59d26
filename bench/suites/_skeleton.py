"""Source analysis of task modules: skeletons, stub lists, call dependencies, symbol sources.

The skeleton is derived with libcst so that everything kept (docstrings,
comments, decorators, signatures, ``__init__`` bodies) survives byte for byte;
the read-only analyses use :mod:`ast`, which is faster and enough for them.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator, Sequence

import libcst as cst

from crdt_ws import is_stub_def, parse_cst, parse_python

from ._errors import UnparsableSource

__all__ = [
    "KEPT_METHODS",
    "find_function",
    "function_source",
    "iter_functions",
    "module_imports",
    "reference_dependencies",
    "skeleton_of",
    "stub_symbols",
    "used_imports",
]

KEPT_METHODS = frozenset({"__init__", "__post_init__"})
"""Methods whose bodies a skeleton keeps: they declare the shared state every stub works on."""

_FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


class _Stubber(cst.CSTTransformer):
    """Replaces every function body (but kept methods') by its docstring plus ``pass``."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0  # functions entered; nested ones vanish with their parent's body

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self._depth += 1
        return False  # the body is replaced wholesale; nothing inside needs visiting

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        self._depth -= 1
        if original_node.name.value in KEPT_METHODS:
            return updated_node
        body = updated_node.body
        statements: list[cst.BaseStatement] = []
        if isinstance(body, cst.IndentedBlock) and body.body and _is_docstring(body.body[0]):
            statements.append(body.body[0])
        statements.append(cst.SimpleStatementLine(body=[cst.Pass()]))
        if isinstance(body, cst.IndentedBlock):
            return updated_node.with_changes(body=body.with_changes(body=statements))
        return updated_node.with_changes(body=cst.IndentedBlock(body=statements))


def _is_docstring(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    expr = statement.body[0]
    return isinstance(expr, cst.Expr) and isinstance(expr.value, (cst.SimpleString, cst.ConcatenatedString))


def skeleton_of(reference_source: str) -> str:
    """The outline agents start from, derived from a reference solution.

    Kept: the module docstring, imports, constants, class statements and the
    bodies of ``__init__`` / ``__post_init__``. Every other function or method
    keeps its decorators, signature and docstring and gets the body ``pass``.

    Raises :class:`UnparsableSource` when the source does not parse.

    >>> print(skeleton_of('def f(x):\\n    \"\"\"Double.\"\"\"\\n    return 2 * x\\n'))
    def f(x):
        \"\"\"Double.\"\"\"
        pass
    <BLANKLINE>
    """
    try:
        module = parse_cst(reference_source)
    except SyntaxError as err:
        raise UnparsableSource(f"cannot derive a skeleton: {err}") from err
    return module.visit(_Stubber()).code


def iter_functions(body: list[ast.stmt], prefix: str = "") -> Iterator[tuple[str, _FuncDef]]:
    """(qualified name, node) of module-level functions and methods of (nested) classes, in source order."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
        elif isinstance(node, ast.ClassDef):
            yield from iter_functions(node.body, f"{prefix}{node.name}.")


def stub_symbols(skeleton: str) -> list[str]:
    """Qualified names of the skeleton's stubbed functions and methods, in source order."""
    return [
        name
        for name, func in iter_functions(parse_python(skeleton).body)
        if func.name not in KEPT_METHODS and is_stub_def(func)
    ]


def find_function(source: str | ast.Module, qualname: str) -> _FuncDef | None:
    """The definition of ``qualname`` (``"Cls.method"`` or ``"func"``), or None."""
    tree = parse_python(source) if isinstance(source, str) else source
    return next((func for name, func in iter_functions(tree.body) if name == qualname), None)


def function_source(source: str, qualname: str) -> str | None:
    """The definition of ``qualname`` with its decorators, dedented to column 0 (as a model writes it)."""
    func = find_function(source, qualname)
    if func is None:
        return None
    start = min([func.lineno, *(d.lineno for d in func.decorator_list)])
    assert func.end_lineno is not None
    lines = source.splitlines(keepends=True)[start - 1 : func.end_lineno]
    return textwrap.dedent("".join(lines))


def module_imports(source: str) -> list[tuple[str, tuple[str, ...]]]:
    """Module-level import statements as (source text, names they bind)."""
    found: list[tuple[str, tuple[str, ...]]] = []
    # Through the parse lock: a fake model server answers from a worker thread while agents parse (gh-106905).
    for node in parse_python(source).body:
        if isinstance(node, ast.Import):
            bound = tuple(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            bound = tuple(a.asname or a.name for a in node.names)
        else:
            continue
        text = ast.get_source_segment(source, node)
        if text is not None:
            found.append((text, bound))
    return found


def used_imports(source: str, code: str) -> tuple[str, ...]:
    """The module's import statements that bind a name ``code`` mentions.

    ``from __future__ import annotations`` binds no name a body uses, so it is
    left out: the skeleton already carries it, and a reply repeating it would
    only give ``missing_import`` faults a harmless import to drop.
    """
    return imports_used_by(module_imports(source), code)


def imports_used_by(imports: Sequence[tuple[str, tuple[str, ...]]], code: str) -> tuple[str, ...]:
    """:func:`used_imports` over a module's :func:`module_imports`, read once (a package's references share them)."""
    return tuple(text for text, bound in imports if any(re.search(rf"(?<![\w.]){re.escape(name)}\b", code) for name in bound))


def _class_bases(tree: ast.Module) -> dict[str, list[str]]:
    """Class name -> names of its bases that are classes of the same module (simple names only)."""
    classes: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            classes[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
    return {name: [b for b in bases if b in classes] for name, bases in classes.items()}


def _resolve(owner: str, attr: str, stubs: set[str], bases: dict[str, list[str]]) -> str | None:
    """``owner.attr`` looked up through the module's own base classes, if it is a stub."""
    seen: set[str] = set()
    queue = [owner]
    while queue:
        cls = queue.pop(0)
        if cls in seen:
            continue
        seen.add(cls)
        if f"{cls}.{attr}" in stubs:
            return f"{cls}.{attr}"
        queue.extend(bases.get(cls, []))
    return None


def _own_instances(func: _FuncDef, owner: str) -> set[str]:
    """Names in ``func`` bound to instances of ``owner``.

    ``self`` and ``cls``, parameters annotated with the class, and locals
    assigned the result of ``Owner(...)``, ``Owner.x(...)`` or ``r.x(...)`` for
    such a name ``r`` (methods of a value class return that class, as in
    ``result = result.multiply(self)``). A heuristic: enough for ground truth
    on hand-written tasks, checked by hand there.
    """
    names = {"self", "cls"}
    args = func.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        if arg.annotation is not None and re.search(rf"\b{re.escape(owner)}\b", ast.unparse(arg.annotation)):
            names.add(arg.arg)
    changed = True
    while changed:
        changed = False
        for node in ast.walk(func):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            callee = node.value.func
            if isinstance(callee, ast.Attribute):
                callee = callee.value
            if not (isinstance(callee, ast.Name) and (callee.id == owner or callee.id in names)):
                continue
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id not in names:
                    names.add(target.id)
                    changed = True
    return names


def reference_dependencies(reference: str, stubs: list[str]) -> dict[str, list[str]]:
    """For each stub, the other stubs its reference implementation uses.

    Counted: ``Cls.x`` for any class of the module; ``name.x`` when ``name``
    is an instance of the stub's own class (see :func:`_own_instances`) and
    ``x`` a stub of that class or its in-module bases; and bare names of
    top-level stub functions. Lists follow ``stubs`` order; a stub missing from the
    reference maps to ``[]``.
    """
    tree = parse_python(reference)
    bases = _class_bases(tree)
    stub_set = set(stubs)
    top_level = {s for s in stubs if "." not in s}
    result: dict[str, list[str]] = {}
    for symbol in stubs:
        func = find_function(tree, symbol)
        used: set[str] = set()
        owner = symbol.rsplit(".", 1)[0] if "." in symbol else None
        if func is not None:
            receivers = _own_instances(func, owner) if owner else set()
            for node in ast.walk(func):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                    base = node.value.id
                    hit = _resolve(base, node.attr, stub_set, bases) if base in bases else None
                    if hit is None and owner is not None and base in receivers:
                        hit = _resolve(owner, node.attr, stub_set, bases)
                    if hit:
                        used.add(hit)
                elif isinstance(node, ast.Name) and node.id in top_level and isinstance(node.ctx, ast.Load):
                    used.add(node.id)
        used.discard(symbol)
        result[symbol] = [s for s in stubs if s in used]
    return result
