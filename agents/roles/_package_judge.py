"""The judge's view of a package: every file as committed, pyright over all of them, conflicts routed to TODOs.

A package is checked in one ``PyrightServer.check`` call with every module
at its document path, so ``from pkg.mod import name`` resolves against the
sibling's committed text: a wrong import name or a call that does not match
a sibling's signature is a semantic conflict.  Each file is its skeleton with
every done result spliced in (never a half-streamed reply) plus the imports
the commits brought (recorded on each TODO as ``imports``: the result itself
holds only the function's region).

Conflicts the skeleton itself has (a module-level call the reference
makes wrongly too) are the benchmark's, not the agents': :func:`conflict_key`
compares them without line numbers and the judge drops them, as it drops a
signature mismatch whose quoted name the package does not define (a library
call pyright cannot match on untyped code), an object pyright inferred as not
callable, and a module "attribute" that is a submodule (:func:`foreign`; no
reference package trips what is kept).  While a
file still has open TODOs, an unknown attribute (``self.x`` set by a
constructor not committed yet) or name (``global x`` in a function still to
come) is not news; an unknown *import* symbol, module attribute, or a name
only an import can bring (:func:`premature`) is.

Routing: a conflict inside a TODO's region belongs to that TODO; one at
module level (an import line) belongs to the TODO whose commit brought an
import naming it, else to a TODO of that file whose code mentions the name.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.machinery
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from crdt_ws import TodoEntry, TodoStatus, parse_python
from crdt_ws import outline as crdt_outline

from agents.judge import PyrightServer, SemanticConflict, conflicts_from

from ._package import committed_text, raising_stubs

__all__ = [
    "PackageView", "conflict_key", "foreign", "package_classes", "package_conflicts", "package_names", "premature", "route_conflicts", "todo_at",
    "top_level_names", "unknown_builtin_attribute", "unknown_self_call",
]  # fmt: skip


class PackageView:
    """The committed text of every file of a package (skeleton + done results + the imports commits brought)."""

    def files(self, outlines: Mapping[str, str], entries: list[TodoEntry], *, open_raises: bool = False) -> dict[str, str]:
        """Path -> committed text (``open_raises``: a TODO being written, pending or claimed, raises instead of
        returning None: :func:`raising_stubs`, for the check tests run beside the drafting)."""
        out: dict[str, str] = {}
        for path, outline in outlines.items():
            mine = [e for e in entries if e.file == path]
            if open_raises:
                outline = raising_stubs(outline, [e.symbol for e in mine if e.status in (TodoStatus.PENDING, TodoStatus.CLAIMED)])
            out[path] = _with_imports(committed_text(outline, mine), _imports_of(mine))
        return out


async def package_conflicts(pyright: PyrightServer, files: Mapping[str, str]) -> list[SemanticConflict]:
    """pyright's semantic conflicts over the whole package, in one check.

    An unresolved import is the environment's (a requirement not installed)
    unless it names a module of the package itself: then an agent got a path wrong.
    """
    roots = {path.split("/", 1)[0].removesuffix(".py") for path in files}
    conflicts = conflicts_from(await pyright.check(files))
    return [c for c in conflicts if c.kind != "unresolved_import" or _names_package(c, roots)]


def conflict_key(c: SemanticConflict) -> tuple[str, str, str, str]:
    """What identifies a conflict across edits elsewhere in its file (no line number)."""
    return (c.file, c.symbol, c.kind, c.message)


def package_names(outlines: Mapping[str, str]) -> set[str]:
    """Every name the package's skeletons define: classes, functions, methods and their parameters."""
    names: set[str] = set()
    for tree in _skeleton_trees(outlines):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
                names.update(a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs])
    return names


def foreign(c: SemanticConflict, names: set[str], files: Mapping[str, str] | None = None, classes: Mapping[str, set[str]] | None = None) -> bool:
    """Not a contradiction between the agents' modules, as far as pyright can tell on untyped code.

    A call that matches no signature of a name the package does not define (``No overloads for "sub"``,
    dunders included), and an unknown attribute of an object (``self._buffer`` set where pyright does not
    look, ``str`` inferred for a parameter): the projects' own references trip both (python-hl7: 12 TODOs).
    An unknown import symbol or attribute of a *module* is kept: that is a name some module lacks.  So is,
    given the package's text (``files``) and classes (``classes``), a method of ``self`` nothing could provide
    (:func:`unknown_self_call`), and a method no built-in type has called on one (:func:`unknown_builtin_attribute`).
    """
    if c.kind == "signature_mismatch":
        if c.message.startswith("Object of type") and "is not callable" in c.message:
            return True  # a type pyright inferred for an untyped value (voluptuous's reference: a default's class)
        return c.name is not None and (c.name not in names or (c.name.startswith("__") and c.name.endswith("__")))
    if c.kind == "unknown_attribute":
        if files is not None and classes is not None and unknown_self_call(c, names, files, classes):
            return False
        if unknown_builtin_attribute(c, names):
            return False
        if "attribute of module" in c.message:
            return _submodule(c.message, files or {})
        return "import symbol" not in c.message
    return False


_BUILTIN_TYPES = (str, bytes, bytearray, int, float, complex, bool, list, dict, set, frozenset, tuple, range, memoryview)
_BUILTIN_NAMES = frozenset(t.__name__ for t in _BUILTIN_TYPES)
_BUILTIN_ATTRIBUTES = frozenset(a for t in _BUILTIN_TYPES for a in dir(t))
_ATTRIBUTE_OF = re.compile(r'Cannot access attribute "([^"]+)" for class "([A-Za-z_]+)')


def unknown_builtin_attribute(c: SemanticConflict, names: set[str]) -> bool:
    """pyright's unknown attribute ``X`` of a built-in type (``str``, ``list[...]``, ``dict[...]``) where no
    built-in type has an ``X`` and nothing in the package is named ``X``: a method name the caller got wrong
    (``text.encodes()``, ``pages.fetch(k)``).  An inferred type may be too narrow (``str`` from a parameter's
    default), but then the real value's method is another built-in's (``decode``) or one the package defines;
    no reference package trips it.
    """
    found = _ATTRIBUTE_OF.match(c.message) if c.kind == "unknown_attribute" else None
    if found is None:
        return False
    attr, owner = found.groups()
    return owner in _BUILTIN_NAMES and attr not in _BUILTIN_ATTRIBUTES and attr not in names


def _submodule(message: str, files: Mapping[str, str]) -> bool:
    """pyright's ``"abc" is not a known attribute of module "collections"`` where ``collections.abc`` is a module.

    Such a submodule is there once anything imported it (``import collections`` then ``collections.abc.Mapping``,
    as voluptuous's reference does): no module lacks the name.  Only the package's own modules and the standard
    library's are looked up (nothing outside them is imported to find out).
    """
    quoted = re.findall(r'"([^"]+)"', message)
    if len(quoted) < 2:
        return False
    attr, module = quoted[0], quoted[-1]
    if not attr.isidentifier() or not all(part.isidentifier() for part in module.split(".")):
        return False
    base = module.replace(".", "/")
    if f"{base}/{attr}.py" in files or f"{base}/{attr}/__init__.py" in files:
        return True
    parts = [*module.split("."), attr]
    if parts[0] not in sys.stdlib_module_names:
        return False
    # Found on disk, never imported: code under judgement must not make the judge import what it names.
    spec = importlib.machinery.PathFinder.find_spec(parts[0])
    places = [Path(p) for p in (spec.submodule_search_locations or [])] if spec is not None else []
    for part in parts[1:-1]:
        places = [place / part for place in places if (place / part).is_dir()]
    return any((place / f"{attr}.py").is_file() or (place / attr / "__init__.py").is_file() for place in places)


def unknown_self_call(c: SemanticConflict, names: set[str], files: Mapping[str, str], classes: Mapping[str, set[str]]) -> bool:
    """pyright's unknown attribute ``X`` of an object of a package class, called on its line (``self.X(...)``,
    ``self.csv.X(...)`` where pyright knows ``self.csv`` is a ``CSVUtils``), where nothing in the package could
    provide ``X`` (:func:`receiver_class` says which class).

    The package's skeletons hold every function, method and class it will have (``names``, parameters
    included: ``self.callback = callback``), so a method called on such an object under no such name, assigned
    nowhere in the committed package (``.X =``, a class attribute ``X =``) and named by no string
    (``setattr(self, "X", ...)``), is a name the caller got wrong (``self._action_name`` for
    ``self._action_names``) -- provided that class and all its bases are the
    package's own or standard bases typeshed declares whole (``ABC``, ``Generic``, the built-in exceptions;
    ``classes``: class name -> its base names, from :func:`package_classes`): a library base may have
    private attributes its stubs do not declare (asyncio's ``_maybe_resume_transport``).  An
    attribute a constructor still to come will set is held back like any unknown attribute while its file
    has open TODOs (:func:`premature`).  Dunders are left alone.
    """
    name = c.name or ""
    if c.kind != "unknown_attribute" or not name.isidentifier() or name in names or (name.startswith("__") and name.endswith("__")):
        return False
    receiver = receiver_class(c, classes)
    if receiver is None or not _own_class(receiver, classes):
        return False
    lines = files.get(c.file, "").splitlines()
    line = lines[c.line - 1] if 0 < c.line <= len(lines) else ""
    if not re.search(rf"\.{re.escape(name)}\s*\(", line):
        return False
    return not _provided(name, tuple(files.values()))


@functools.lru_cache(maxsize=32)
def _provided(name: str, texts: tuple[str, ...]) -> bool:
    """Whether some text assigns attribute ``name`` (``.X =``, a class attribute ``X =``) or names it in a string.

    Kept for the last few (name, package) pairs: one round asks for every unknown attribute pyright reports,
    the same names many times, and scanning a large package's text once per report was a visible share of a
    run's CPU.
    """
    pattern = re.compile(rf"\.{re.escape(name)}\s*(?::[^=\n]*)?=(?!=)|^\s*{re.escape(name)}\s*(?::[^=\n]*)?=(?!=)|[\'\"]{re.escape(name)}[\'\"]", re.M)
    return any(name in text and pattern.search(text) for text in texts)


_OF_CLASS = re.compile(r'Cannot access attribute "[^"]+" for class "([A-Za-z_]\w*)\*?"')


def receiver_class(c: SemanticConflict, classes: Mapping[str, set[str]]) -> str | None:
    """The package class whose object lacks the attribute: the one pyright names (``self.csv.get_row()`` on
    a ``CSVUtils``; ``Rect*`` is ``self``'s), else the innermost class holding the code; None when neither is
    a class of the package (``classes``)."""
    named = _OF_CLASS.match(c.message)
    if named is not None:
        return named.group(1) if named.group(1) in classes else None
    owner = [part for part in c.symbol.split(".")[:-1] if part in classes]
    return owner[-1] if owner else None


def package_classes(outlines: Mapping[str, str]) -> dict[str, set[str]]:
    """Every class the package's skeletons define (at any depth) -> the names of its bases (merged over same-named classes)."""
    classes: dict[str, set[str]] = {}
    for tree in _skeleton_trees(outlines):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = classes.setdefault(node.name, set())
                for base in node.bases:
                    bases.add(_base_name(base.value if isinstance(base, ast.Subscript) else base))  # Generic[T]: Generic
                for keyword in node.keywords:  # a metaclass may add anything, ABCMeta excepted
                    bases.add("ABC" if keyword.arg == "metaclass" and _base_name(keyword.value) == "ABCMeta" else "?")
    return classes


def _class_chain(name: str, classes: Mapping[str, set[str]]) -> set[str]:
    """The class ``name`` and its bases that are the package's, transitively (empty: none)."""
    chain: set[str] = set()
    todo = [name]
    while todo:
        cls = todo.pop()
        if cls in chain or cls not in classes:
            continue
        chain.add(cls)
        todo += classes[cls]
    return chain


def _base_name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else "?"


# Standard-library bases whose every attribute typeshed declares: a class deriving only from these and the
# package's own classes has no attribute pyright cannot see (unlike asyncio.StreamReader's private ones).
_DECLARED_BASES = frozenset(
    {"object", "ABC", "Generic", "Protocol"}
    | {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)}
)


def _own_class(name: str, classes: Mapping[str, set[str]]) -> bool:
    """``name`` and every base it has, transitively, are classes of the package (or bases typeshed declares
    whole: ``object``, ``ABC``, ``Generic``, ``Protocol``, the built-in exceptions)."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        cls = todo.pop()
        if cls in seen or (cls in _DECLARED_BASES and cls not in classes):
            continue
        if cls not in classes:
            return False
        seen.add(cls)
        todo += classes[cls]
    return True


def premature(
    c: SemanticConflict,
    entries: list[TodoEntry],
    files: Mapping[str, str] | None = None,
    defined: set[str] | None = None,
    classes: Mapping[str, set[str]] | None = None,
) -> bool:
    """An unknown attribute or name in a file whose TODOs are not all done yet: the code that sets it
    (``self.x = ...`` in a constructor, ``global x`` in a function) may still come.

    Never premature: an unknown import symbol, an unknown attribute of a *module* or of a built-in type (no
    function body adds one), and, given the file's text (``files``) and the top-level names other modules define (``defined``),
    an unknown name that is called on its line, is a standard-library module or another module's class or
    function: every function of the package is in the skeleton already, so such a name can only be missing
    from the imports of the code that uses it, and that code is the one to blame, now.  Given the package's
    classes (``classes``, :func:`package_classes`), a method of ``self`` waits only for the TODOs of its class
    and the class's bases, not for its whole file.
    """
    if c.kind not in ("unknown_attribute", "unknown_name") or "import symbol" in c.message or "attribute of module" in c.message:
        return False
    if unknown_builtin_attribute(c, set()):
        return False  # no TODO can give a built-in type a method
    receiver = receiver_class(c, classes) if c.kind == "unknown_attribute" and classes is not None else None
    chain = _class_chain(receiver, classes) if receiver is not None and classes is not None else None
    if chain:
        # A method of self (the only attribute of an object kept: ``unknown_self_call``) can be set only by the
        # class or its bases: it waits for their TODOs, wherever they live, not for the rest of its file.
        return any(e.status != TodoStatus.DONE and any(part in chain for part in e.symbol.split(".")[:-1]) for e in entries)
    if not any(e.file == c.file and e.status != TodoStatus.DONE for e in entries):
        return False
    if c.kind == "unknown_name" and c.name and files is not None:
        lines = files.get(c.file, "").splitlines()
        line = lines[c.line - 1] if 0 < c.line <= len(lines) else ""
        if re.search(rf"(?<![\w.]){re.escape(c.name)}\s*\(", line) or c.name in sys.stdlib_module_names or c.name in (defined or set()):
            return False
    return True


def top_level_names(outlines: Mapping[str, str]) -> set[str]:
    """The classes and functions the package's modules define at module level."""
    names: set[str] = set()
    for tree in _skeleton_trees(outlines):
        names.update(n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)))
    return names


def _skeleton_trees(outlines: Mapping[str, str]) -> Iterator[ast.Module]:
    """The package's skeletons that parse (one that does not defines nothing pyright could see either)."""
    for source in outlines.values():
        try:
            yield parse_python(source)
        except (SyntaxError, ValueError):
            continue


def route_conflicts(conflicts: Iterable[SemanticConflict], entries: list[TodoEntry]) -> dict[str, list[str]]:
    """TODO id -> the conflict lines that belong to it (duplicate declarations are reconciled, not routed)."""
    out: dict[str, list[str]] = {}
    for c in conflicts:
        if c.kind == "duplicate_declaration":
            continue
        owner = _owner(c, [e for e in entries if e.file == c.file])
        if owner is not None:
            out.setdefault(owner.id, []).append(f"{c.file} line {c.line}: {c.message} ({c.kind})")
    return out


def _owner(c: SemanticConflict, entries: list[TodoEntry]) -> TodoEntry | None:
    # The innermost TODO whose symbol encloses the diagnostic's ('Cls.m' holds 'Cls.m.inner').
    enclosing = [e for e in entries if c.symbol == e.symbol or c.symbol.startswith(e.symbol + ".")]
    if enclosing:
        return max(enclosing, key=lambda e: len(e.symbol))
    if c.name is None:
        return None
    word = re.compile(rf"\b{re.escape(c.name.split('.')[-1])}\b")
    done = [e for e in entries if e.status == TodoStatus.DONE]
    for e in done:
        if any(word.search(line) for line in _imports_of([e])):
            return e
    return next((e for e in done if word.search(e.result or "")), None)


def _names_package(c: SemanticConflict, roots: set[str]) -> bool:
    name = c.name or ""
    return name.startswith(".") or name.split(".", 1)[0] in roots


def _imports_of(entries: list[TodoEntry]) -> list[str]:
    lines: list[str] = []
    for e in entries:
        if e.status != TodoStatus.DONE:
            continue
        raw = (e.model_extra or {}).get("imports")
        if isinstance(raw, list):
            lines += [str(x) for x in raw if str(x) not in lines]  # pyright: ignore[reportUnknownVariableType]
    return lines


def _with_imports(source: str, imports: list[str]) -> str:
    """``source`` with the import lines it lacks, after its last top-level import (or its docstring)."""
    missing = [line for line in imports if line not in source]
    if not missing:
        return source
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError):
        return source
    after = 0
    for i, node in enumerate(tree.body):
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
            i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ):
            after = node.end_lineno or after
    lines = source.splitlines(keepends=True)
    return "".join(lines[:after]) + "".join(line + "\n" for line in missing) + "".join(lines[after:])


def todo_at(files: Mapping[str, str], entries: list[TodoEntry], path: str, line: int) -> str | None:
    """The id of the TODO whose region in ``files[path]`` holds 1-based ``line`` (innermost), or None.

    Routes a failing test to the TODO whose code raised: feed it a traceback frame's (path, line).
    """
    source = files.get(path)
    if source is None:
        return None
    offset = sum(len(x) for x in source.splitlines(keepends=True)[: max(line - 1, 0)])
    try:
        spans = crdt_outline(source)
    except (SyntaxError, ValueError):
        return None
    mine = {e.symbol: e.id for e in entries if e.file == path}
    inside = [s for s in spans if s.start <= offset < s.end and s.qualname in mine]
    return mine[max(inside, key=lambda s: s.start).qualname] if inside else None
