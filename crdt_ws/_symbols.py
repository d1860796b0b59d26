"""Locate classes, functions and methods in Python source by qualified name.

Spans are Python ``str`` indices (characters), never bytes: the UTF-8 conversion
for pycrdt lives in :mod:`crdt_ws._text`.  A syntactically valid module is read
with :mod:`ast`; source that is mid-edit (a model still streaming into a method)
falls back to an indentation scan, so a region can always be found while the
buffer is temporarily broken.
"""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass

from ._errors import SymbolNotFound
from ._pyparse import parse_python

__all__ = ["SymbolSpan", "outline", "find_span", "symbols_at"]

_DEF_RE = re.compile(r"^(?P<indent>[ \t]*)(?:async[ \t]+)?(?P<kind>def|class)[ \t]+(?P<name>\w+)")
_DECORATOR_RE = re.compile(r"^[ \t]*@")
# A complete one-line header: inside a string or bracket this is far more
# likely code after an unclosed string/bracket than text, so it resets the scan.
_HEADER_RE = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+\w+[ \t]*(?:\(.*\))?[ \t]*(?:->[^:]+)?:[ \t]*(?:#.*)?$")


@dataclass(frozen=True, slots=True)
class SymbolSpan:
    """A symbol's region: ``source[start:end]`` runs from its first decorator to its last line.

    Spans are whole lines: ``end`` includes the last line's newline, so replacing
    ``[start, end)`` with a block that ends in ``\\n`` keeps the layout intact.
    """

    qualname: str
    kind: str  # "def" or "class"
    start: int
    end: int
    indent: int  # column of the ``def``/``class`` keyword


def _line_starts(source: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(source) if ch == "\n")
    return starts


def _line_end(starts: list[int], source: str, lineno: int) -> int:
    """Character index just past line ``lineno`` (1-based), newline included."""
    return starts[lineno] if lineno < len(starts) else len(source)


def _outline_ast(source: str, tree: ast.Module) -> list[SymbolSpan]:
    starts = _line_starts(source)
    spans: list[SymbolSpan] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                end = _line_end(starts, source, node.end_lineno or node.lineno)
                kind = "class" if isinstance(node, ast.ClassDef) else "def"
                qual = prefix + node.name
                spans.append(SymbolSpan(qual, kind, starts[first - 1], end, node.col_offset))
                visit(node.body, qual + ".")

    visit(tree.body, "")
    return spans


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _outline_scan(source: str) -> list[SymbolSpan]:
    """Indentation-based outline for source that does not parse.

    A block ends at the first non-blank line indented at or left of its
    keyword, ignoring lines inside an open bracket or triple-quoted string
    (approximated by tracking the balance of ``\"\"\"``/``'''`` markers and
    brackets), so docstrings flush with column 0 do not end a method early.
    """
    lines = source.splitlines(keepends=True)
    starts = _line_starts(source)
    # A line "counts" for block structure unless it starts inside a string or bracket.
    counts: list[bool] = []
    in_string: str | None = None
    depth = 0
    for idx, line in enumerate(lines):
        if (in_string is not None or depth) and _HEADER_RE.match(line.rstrip("\r\n")):
            in_string, depth = None, 0
            # The header's decorators, just above it, belong to it, not to the open string.
            back = idx - 1
            while back >= 0 and _DECORATOR_RE.match(lines[back]) and _indent_of(lines[back]) == _indent_of(line):
                counts[back] = True
                back -= 1
        counts.append(in_string is None and depth == 0)
        i = 0
        while i < len(line):
            if in_string is not None:
                if line.startswith(in_string, i):
                    i += len(in_string)
                    in_string = None
                    continue
                i += 1
                continue
            ch = line[i]
            if ch == "#":
                break
            if line.startswith('"""', i) or line.startswith("'''", i):
                in_string = line[i : i + 3]
                i += 3
                continue
            if ch in "\"'":
                close = line.find(ch, i + 1)
                i = len(line) if close < 0 else close + 1
                continue
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(0, depth - 1)
            i += 1

    spans: list[SymbolSpan] = []
    stack: list[tuple[int, str, str, int, int]] = []  # indent, qual, kind, start, last line

    def close_until(indent: int, lineno: int) -> None:
        while stack and stack[-1][0] >= indent:
            ind, qual, kind, start, last = stack.pop()
            spans.append(SymbolSpan(qual, kind, start, _line_end(starts, source, last), ind))

    pending_decorator: int | None = None
    for idx, line in enumerate(lines):
        lineno = idx + 1
        if not counts[idx]:
            if stack and line.strip():
                stack[-1] = (*stack[-1][:4], lineno)
                _extend_parents(stack, lineno)
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = _indent_of(line)
        close_until(indent, lineno)
        if _DECORATOR_RE.match(line):
            if pending_decorator is None:
                pending_decorator = starts[idx]
            continue
        match = _DEF_RE.match(line)
        if match:
            prefix = stack[-1][1] + "." if stack else ""
            start = pending_decorator if pending_decorator is not None else starts[idx]
            stack.append((indent, prefix + match["name"], match["kind"], start, lineno))
        pending_decorator = None
        _extend_parents(stack, lineno)
    close_until(-1, len(lines))
    spans.sort(key=lambda s: (s.start, -s.end))
    return spans


def _extend_parents(stack: list[tuple[int, str, str, int, int]], lineno: int) -> None:
    for i, (ind, qual, kind, start, _last) in enumerate(stack):
        stack[i] = (ind, qual, kind, start, lineno)


def outline(source: str) -> list[SymbolSpan]:
    """Every class/function/method in ``source``, outermost first, in source order."""
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError):
        return _outline_scan(source)
    return _outline_ast(source, tree)


def find_span(source: str, qualname: str) -> SymbolSpan:
    """The span of ``qualname`` (e.g. ``"Stack.push"``); raises :class:`SymbolNotFound`."""
    for span in outline(source):
        if span.qualname == qualname:
            return span
    raise SymbolNotFound(qualname)


def symbols_at(spans: list[SymbolSpan], positions: list[int]) -> set[str]:
    """Innermost symbols containing any of ``positions`` (character indices)."""
    found: set[str] = set()
    ordered = sorted(spans, key=lambda s: s.start)
    keys = [s.start for s in ordered]
    for pos in positions:
        best: SymbolSpan | None = None
        for span in ordered[: bisect.bisect_right(keys, pos)]:
            if span.start <= pos < span.end or (pos == span.end and span.end == span.start):
                if best is None or span.start >= best.start:
                    best = span
        if best is not None:
            found.add(best.qualname)
    return found
