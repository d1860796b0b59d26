"""The one parse boundary for Python source: every parse or compile of generated code goes through here.

CPython before 3.11.8 / 3.12.1 keeps the recursion depth of its C-to-Python
AST conversion in state shared by all threads (gh-106905): two threads
converting at once can fail with ``SystemError: AST constructor recursion
depth mismatch``.  Agents parse on the event loop (symbol scans) while
extraction and judging parse in worker threads, and CI hit that error once in
600 tests.  Every runtime ``ast.parse`` and ``compile`` goes through this one
lock; a parse of a module takes about a millisecond, so the event loop hardly
waits.  libcst's parser is native and does not share that state, but its
parses are routed here too so one place says how code is read, and its
``ParserSyntaxError`` becomes a plain :class:`SyntaxError` at this boundary.
``tests/layout/test_source_boundary.py`` fails when library code parses elsewhere.

The last few libcst parses are kept (by source text): agents, the judge and
the offline model read the same module text over and over (a package's
1500-line module costs libcst about 0.1 s a parse).  A large module is
parsed in chunks kept by their own text (:mod:`crdt_ws._cstchunks`), so a
module that changed in one definition costs the parse of that definition.
libcst trees are immutable, so sharing them is safe; ``ast`` trees are not
(callers rewrite them), so those are parsed afresh each time.
"""

from __future__ import annotations

import ast
import contextlib
import symtable
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import libcst

__all__ = ["parse_python", "parse_cst", "statement_span", "parse_cst_statement", "compiles", "check_compiles", "quiet", "symbol_table"]

_LOCK = threading.Lock()
_CACHE_LOCK = threading.Lock()
_KEEP = 32  # a package's modules in flight at once, with room to spare


class _Recent:
    """The last :data:`_KEEP` results of one parser, by input (a small LRU; failures are not kept)."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, str], object] = OrderedDict()

    def get(self, key: tuple[str, str], make: Callable[[], object]) -> object:
        with _CACHE_LOCK:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with _CACHE_LOCK:
            self._items[key] = value
            while len(self._items) > _KEEP:
                self._items.popitem(last=False)
        return value


_CST = _Recent()


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence the Syntax/DeprecationWarnings (``'\\d'`` escapes) that compiling model code emits."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def parse_python(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source)``, one thread at a time (raises ``SyntaxError``/``ValueError`` as it does)."""
    with _LOCK:
        return ast.parse(source, filename=filename)


def check_compiles(source: str, filename: str = "<generated>") -> None:
    """Compile ``source`` (warnings silenced, no ``__future__`` inherited); raises ``SyntaxError``/``ValueError``."""
    with _LOCK, quiet():
        compile(source, filename, "exec", dont_inherit=True)


def symbol_table(source: str) -> symtable.SymbolTable:
    """``symtable.symtable(source)`` (a compile to scopes), one thread at a time; raises ``SyntaxError``."""
    with _LOCK, quiet():
        return symtable.symtable(source, "<generated>", "exec")


def compiles(source: str) -> bool:
    """Whether ``source`` compiles (model code's escape warnings silenced)."""
    try:
        check_compiles(source)
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True


def _syntax_error(exc: Exception) -> SyntaxError:
    import libcst as cst

    if isinstance(exc, cst.ParserSyntaxError):
        err = SyntaxError(f"{exc.message} (line {exc.raw_line}, column {exc.raw_column})")
        err.lineno, err.offset = exc.raw_line, exc.raw_column
        return err
    return SyntaxError(str(exc))


# libcst's native parser overflows its stack (the process dies with SIGSEGV) on
# about 1500 nested brackets or a 10 000-term expression; CPython's parser
# refuses both with an exception.  Source that could be that deep is read by
# CPython first: measured on libcst 1.x, 1000 brackets and 3000 terms (12 kB) parse.
_DEEP_BRACKETS = 150
_LONG_SOURCE = 8000


def _might_crash_libcst(source: str) -> bool:
    if len(source) > _LONG_SOURCE:
        return True
    if sum(source.count(c) for c in "([{") <= _DEEP_BRACKETS:
        return False
    depth = deepest = 0
    for ch in source:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth = max(0, depth - 1)
    return deepest > _DEEP_BRACKETS


def _guard_libcst(source: str) -> ast.Module | None:
    """Refuse source libcst could crash on; returns CPython's tree of ``source`` when it had to read it."""
    if _might_crash_libcst(source):
        try:
            return parse_python(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise SyntaxError(f"{type(exc).__name__}: {exc}") from exc
    return None


def _python_tree(source: str) -> ast.Module | None:
    try:
        return parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the whole-module libcst parse says what is wrong, as it always has


def parse_cst(source: str) -> libcst.Module:
    """``libcst.parse_module(source)``; any parse failure (bad syntax, pathological nesting) is a ``SyntaxError``."""
    import libcst as cst  # deferred: the relay and the viewer never need libcst

    from ._cstchunks import MIN_CHUNKED, chunked_module

    def make() -> cst.Module:
        tree = _guard_libcst(source)
        if len(source) >= MIN_CHUNKED:
            tree = tree or _python_tree(source)
            assembled = chunked_module(source, tree, cst.parse_module) if tree is not None else None
            if assembled is not None:
                return assembled
        try:
            return cst.parse_module(source)
        except (cst.ParserSyntaxError, RecursionError, ValueError) as exc:
            raise _syntax_error(exc) from exc

    return cast("libcst.Module", _CST.get((source, ""), make))


def statement_span(module: libcst.Module, path: Sequence[int]) -> tuple[int, int] | None:
    """``(start, end)``: where the statement at ``path`` (module body index, then class body index) of a tree
    :func:`parse_cst` returned sits in its source, leading blank lines included; None when not known (the
    module was parsed whole).  Lets a caller that replaces one statement rewrite only its text."""
    from ._cstchunks import statement_span as span

    return span(module, path)


def parse_cst_statement(source: str) -> libcst.SimpleStatementLine | libcst.BaseCompoundStatement:
    """``libcst.parse_statement(source)``; a parse failure is a ``SyntaxError``."""
    import libcst as cst

    _guard_libcst(source)
    try:
        return cst.parse_statement(source)
    except (cst.ParserSyntaxError, RecursionError, ValueError) as exc:
        raise _syntax_error(exc) from exc
