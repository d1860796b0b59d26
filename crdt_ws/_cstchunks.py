"""A libcst parse of a large module assembled from parses of its statements, each kept by its own text.

Agents commit one definition at a time into modules of up to 1500 lines, and
every commit, extraction and fault check re-reads the module with libcst
(about 40 ms for flask's ``app.py`` on a quiet core, several times that on a
loaded one).  Between two reads only the committed definition's lines
changed, so the module is cut into chunks at statement boundaries (top-level
statements, and the members of a large class), each chunk is parsed on its
own and kept by its text, and the module's tree is put together from the
chunks' trees.  A read after a commit parses only the chunk that changed.

The assembled tree must equal (``deep_equals``) the tree a whole-module parse
gives, so a cut is made only where the whitespace between two statements is
owned the same way in both parses: the lines between them are blank (a
comment there could belong to the previous block's footer), the statements do
not share a line, and each chunk infers the module's indentation unit.  When
any of that does not hold, the caller parses the whole module
(``tests/crdt/test_cst_chunks.py`` checks equality on every module of the
projects data and on hostile layouts).
"""

from __future__ import annotations

import ast
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import cast

import libcst as cst

from ._errors import WorkspaceError

__all__ = ["chunked_module", "MIN_CHUNKED", "statement_span"]

MIN_CHUNKED = 4000
"""Modules shorter than this (characters) are parsed whole: too little to gain."""
_MIN_CLASS = 3000
"""A class chunk at least this long is cut into its members too (flask's ``Flask`` is 1400 lines)."""
_KEEP = 8192
"""Chunk trees kept (a package's statements and members with room for their recent versions)."""
_WRAPPER = "class _:\n"
"""Members of a class are parsed as the body of this placeholder class (they keep their indentation)."""

_Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement
_lock = threading.Lock()
_chunks: OrderedDict[tuple[bool, str], tuple[cst.Module, bool]] = OrderedDict()
"""Chunk text (and whether it is a class member) -> its parse and whether its statements hold an indented block."""


_Span = tuple[int, int]
_layouts: OrderedDict[int, tuple[cst.Module, dict[tuple[int, ...], _Span]]] = OrderedDict()
"""id of an assembled module (kept alive here) -> body path -> the source span its statement's code fills."""
_KEEP_LAYOUTS = 64


def statement_span(module: cst.Module, path: Sequence[int]) -> _Span | None:
    """Where the statement at ``path`` (module body index, then class body index) sits in the source ``module``
    was assembled from: ``source[start:end]`` is that statement's code (its leading blank lines included).

    None when ``module`` was parsed whole or the statement shares its chunk: the caller renders the module.
    """
    with _lock:
        found = _layouts.get(id(module))
    if found is None or found[0] is not module:
        return None
    return found[1].get(tuple(path))


class _NoCut(WorkspaceError):
    """The module cannot be assembled from chunks: parse it whole (never leaves this module)."""


def _parse_chunk(text: str, member: bool, parse: Callable[[str], cst.Module]) -> tuple[cst.Module, bool]:
    key = (member, text)
    with _lock:
        found = _chunks.get(key)
        if found is not None:
            _chunks.move_to_end(key)
            return found
    try:
        module = parse(_WRAPPER + text if member else text)
    except Exception as exc:  # noqa: BLE001 - any failure means: parse the whole module, which reports it as before
        raise _NoCut(str(exc)) from exc
    statements = _statements(module, member)
    value = (module, statements is not None and any(_has_block(s) for s in statements))
    with _lock:
        _chunks[key] = value
        while len(_chunks) > _KEEP:
            _chunks.popitem(last=False)
    return value


def _statements(module: cst.Module, member: bool) -> Sequence[cst.BaseStatement] | None:
    """A chunk's statements: the module's, or for a member chunk the placeholder class's (None: it is not one)."""
    if not member:
        return module.body
    wrapper = module.body[0] if len(module.body) == 1 else None
    if not isinstance(wrapper, cst.ClassDef) or not isinstance(wrapper.body, cst.IndentedBlock):
        return None
    return wrapper.body.body


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])


def _groups(body: Sequence[ast.stmt], lines: list[str]) -> list[tuple[int, int]]:
    """``(first line, last line)`` (1-based) of each run of statements that must stay in one chunk.

    Statements sharing a line (``a = 1; b = 2``) are one libcst line; a line between two statements that is
    not blank (a comment), or holds whitespace deeper than the next statement, may belong to the previous
    block's footer, so no cut is made there either.
    """
    groups: list[tuple[int, int]] = []
    for node in body:
        first, last = _first_line(node), node.end_lineno or node.lineno
        if groups:
            prev_first, prev_last = groups[-1]
            gap = lines[prev_last:first - 1]
            if first <= prev_last or any(line.strip() or len(line) - 1 > node.col_offset for line in gap):
                groups[-1] = (prev_first, max(prev_last, last))
                continue
        groups.append((first, last))
    return groups


def _has_block(node: cst.CSTNode) -> bool:
    """Whether ``node`` holds an indented block (a chunk without one cannot tell the module's indent unit)."""
    if isinstance(node, cst.IndentedBlock):
        return True
    if isinstance(node, (cst.BaseExpression, cst.SimpleStatementLine, cst.BaseSmallStatement, cst.SimpleStatementSuite)):
        return False
    return any(_has_block(child) for child in node.children)


class _Assembly:
    """State of one assembly: the indent unit every chunk must agree on, and the chunks used (never twice)."""

    def __init__(self, parse: Callable[[str], cst.Module]) -> None:
        self.parse_text = parse
        self.indent: str | None = None
        self.used: set[tuple[bool, str]] = set()

    def parse(self, text: str, member: bool) -> cst.Module:
        key = (member, text)
        if key in self.used:
            raise _NoCut("a chunk repeats: its tree would appear twice in one module")
        self.used.add(key)
        module, has_block = _parse_chunk(text, member, self.parse_text)
        if has_block:
            if self.indent is None:
                self.indent = module.default_indent
            elif module.default_indent != self.indent:
                raise _NoCut("chunks infer different indentation units")
        return module


def _with_leading(statement: _Statement, lines: Sequence[cst.EmptyLine]) -> _Statement:
    if not lines:
        return statement
    return statement.with_changes(leading_lines=(*lines, *statement.leading_lines))


def _top_chunk(state: _Assembly, text: str, first: bool) -> tuple[cst.Module, list[_Statement]]:
    module = state.parse(text, member=False)
    body = list(module.body)
    if not first and body:
        # Blank lines opening a chunk are its module's header; in the whole module they lead the statement.
        body[0] = _with_leading(body[0], module.header)
    return module, body


def _class_chunk(
    state: _Assembly, node: ast.ClassDef, lines: list[str], start: int, offsets: list[int], spans: dict[int, _Span]
) -> tuple[_Statement, cst.Module] | None:
    """The class whose chunk starts at line ``start`` (1-based), assembled from its members, and the last chunk's
    parse (it ends the module when the class does); None: not cut."""
    members = _groups(node.body, lines)
    if len(members) < 2:
        return None
    head_text = "".join(lines[start - 1 : members[0][1]])
    head = state.parse(head_text, member=False)
    if len(head.body) != 1 or not isinstance(head.body[0], cst.ClassDef) or not isinstance(head.body[0].body, cst.IndentedBlock):
        return None
    cls = head.body[0]
    block = cast(cst.IndentedBlock, cls.body)
    if (block.indent or head.default_indent) != (state.indent or head.default_indent):
        raise _NoCut("the class body is indented unlike the module")
    body: list[cst.BaseStatement] = list(block.body)  # a class body: statements as an IndentedBlock holds them
    wrapper = head
    for (_, prev_last), (_, last) in zip(members, members[1:]):
        wrapper = state.parse("".join(lines[prev_last:last]), member=True)
        inner = wrapper.body[0] if len(wrapper.body) == 1 else None
        if not isinstance(inner, cst.ClassDef) or not isinstance(inner.body, cst.IndentedBlock) or inner.body.indent is not None:
            return None  # not one class body: the class is parsed as one chunk
        if inner.body.footer or wrapper.footer or wrapper.header:
            return None  # lines around its statements: the class is parsed as one chunk
        if len(inner.body.body) == 1:
            spans[len(body)] = (offsets[prev_last], offsets[last])
        body.extend(inner.body.body)
    stmt = cls.with_changes(body=block.with_changes(body=tuple(body)))
    if head.header:
        stmt = _with_leading(stmt, head.header)
    return stmt, wrapper


def chunked_module(source: str, tree: ast.Module, parse: Callable[[str], cst.Module]) -> cst.Module | None:
    """``libcst.parse_module(source)`` put together from chunk parses, or None when the module must be parsed whole.

    ``tree`` is ``ast.parse(source)`` (it places the cuts); ``parse`` is ``libcst.parse_module`` (given by the
    parse boundary, :mod:`crdt_ws._pyparse`).  Raises nothing of its own: a chunk that does not parse also
    means None, and the whole-module parse reports the error.
    """
    if len(source) < MIN_CHUNKED or "\r" in source or "\f" in source or not tree.body:
        return None
    lines = source.split("\n")
    lines = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    groups = _groups(tree.body, lines)
    if len(groups) < 2:
        return None
    state = _Assembly(parse)
    nodes = {_first_line(node): node for node in tree.body}
    body: list[_Statement] = []
    offsets = [0, *itertools.accumulate(len(line) for line in lines)]  # line index -> offset of its start
    layout: dict[tuple[int, ...], _Span] = {}
    try:
        header: Sequence[cst.EmptyLine] = ()
        footer: Sequence[cst.EmptyLine] = ()
        has_trailing_newline = True
        for index, (first, last) in enumerate(groups):
            start = 1 if index == 0 else groups[index - 1][1] + 1
            end = len(lines) if index == len(groups) - 1 else last
            text = "".join(lines[start - 1 : end])
            node = nodes.get(first)
            if isinstance(node, ast.ClassDef) and node.end_lineno == end and index > 0 and len(text) >= _MIN_CLASS:
                # A class ending the module ends it on its last line (no footer lines to place).
                members: dict[int, _Span] = {}
                assembled = _class_chunk(state, node, lines, start, offsets, members)
                if assembled is not None:
                    layout.update({(len(body), index): span for index, span in members.items()})
                    body.append(assembled[0])
                    has_trailing_newline = assembled[1].has_trailing_newline
                    continue
            module, statements = _top_chunk(state, text, first=index == 0)
            if index == 0:
                header = module.header
            if index == len(groups) - 1:
                footer, has_trailing_newline = module.footer, module.has_trailing_newline
            elif module.footer:
                return None
            if 0 < index < len(groups) - 1 and len(statements) == 1:
                layout[(len(body),)] = (offsets[start - 1], offsets[end])
            body.extend(statements)
    except _NoCut:
        return None
    module = cst.Module(
        body=tuple(body),
        header=header,
        footer=footer,
        encoding="utf-8",
        default_indent=state.indent or "    ",
        default_newline="\n",
        has_trailing_newline=has_trailing_newline,
    )
    with _lock:
        _layouts[id(module)] = (module, layout)
        while len(_layouts) > _KEEP_LAYOUTS:
            _layouts.popitem(last=False)
    return module
