"""Locate classes, functions and methods in Python source by qualified name.

A name defined more than once in one scope (a property's getter and setter,
``@overload`` stubs and the implementation) is numbered by occurrence
(:func:`crdt_ws.numbered`): spans are ``Cls.x`` and ``Cls.x#2``, functions and
classes counted apart, so :func:`find_span` addresses every definition; a
function nested in the setter is ``Cls.x#2.inner``.

Spans are Python ``str`` indices (characters), never bytes: the UTF-8 conversion
for pycrdt lives in :mod:`crdt_ws._text`.  A syntactically valid module is read
with :mod:`ast`; source that is mid-edit (a model still streaming into a method)
falls back to an indentation scan, so a region can always be found while the
buffer is temporarily broken (its line-by-line header readers are in
:mod:`crdt_ws._def_lines`).
"""

from __future__ import annotations

import ast
import bisect
import functools
import re
from dataclasses import dataclass

from ._errors import SymbolNotFound
from ._def_lines import _DECORATOR_RE, _DEF_RE, _indent_of, _line_end, _line_starts, decorators_above
from ._ids import Numbering, split_occurrence
from ._pyparse import parse_python

__all__ = [
    "SymbolSpan",
    "outline",
    "find_span",
    "outline_parsed",
    "symbols_at",
    "definition_role",
]

# A complete one-line header: inside a string or bracket this is far more
# likely code after an unclosed string/bracket than text, so it resets the scan.
_HEADER_RE = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+\w+[ \t]*(?:\(.*\))?[ \t]*(?:->[^:]+)?:[ \t]*(?:#.*)?$")
# The first line of a header that may go on over several lines (``def f(`` with a parameter per line).
_OPENING_RE = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def[ \t]+\w+[ \t]*\(|class[ \t]+\w+[ \t]*[(:])")


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


def _outline_ast(source: str, tree: ast.Module) -> list[SymbolSpan]:
    starts = _line_starts(source)
    spans: list[SymbolSpan] = []

    numbering = {"def": Numbering(), "class": Numbering()}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                end = _line_end(starts, source, node.end_lineno or node.lineno)
                kind = "class" if isinstance(node, ast.ClassDef) else "def"
                qual = numbering[kind].next(prefix + node.name)
                spans.append(SymbolSpan(qual, kind, starts[first - 1], end, node.col_offset))
                visit(node.body, _child_prefix(kind, qual))
            else:
                # A definition under ``if``/``try``/``with``/``for`` belongs to the enclosing scope.
                for inner in nested_bodies(node):
                    visit(inner, prefix)

    visit(tree.body, "")
    return spans


def nested_bodies(node: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists directly under a compound statement that is not a scope of its own."""
    bodies: list[list[ast.stmt]] = []
    for field in ("body", "orelse", "finalbody"):
        value = getattr(node, field, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            bodies.append(value)
    for handler in getattr(node, "handlers", []) or []:
        bodies.append(handler.body)
    for case in getattr(node, "cases", []) or []:
        bodies.append(case.body)
    return sorted(bodies, key=lambda body: body[0].lineno)  # try: body, handlers, else, finally


_TOKEN_RE = re.compile(r"\"\"\"|'''|[\"'#()\[\]{}]")


def _carry(line: str, in_string: str | None, depth: int) -> tuple[str | None, int]:
    """The open triple-quoted string and bracket depth after ``line``, given those before it.

    A comment ends the line; a one-line string ends at the next same quote (escapes are not read). Only the
    characters that can change the state are visited: this runs over every line of every outline of a buffer
    that does not parse, which is most of them while agents stream.
    """
    i, end = 0, len(line)
    while i < end:
        if in_string is not None:
            close = line.find(in_string, i)
            if close < 0:
                return in_string, depth
            i, in_string = close + 3, None
            continue
        match = _TOKEN_RE.search(line, i)
        if match is None:
            break
        token, i = match.group(), match.end()
        if token == "#":
            break
        if len(token) == 3:
            in_string = token
        elif token in "\"'":
            close = line.find(token, i)
            i = end if close < 0 else close + 1
        elif token in "([{":
            depth += 1
        else:
            depth = max(0, depth - 1)
    return in_string, depth


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
    opened_at = 0  # indent of the line where the open string or bracket began
    for idx, line in enumerate(lines):
        if (in_string is not None or depth) and (
            (_HEADER_RE.match(line.rstrip("\r\n")) and _indent_of(line) <= opened_at)
            or (_OPENING_RE.match(line) and _indent_of(line) < opened_at)
        ):
            # A header not right of where the string or bracket opened (a multi-line one only left of it): a
            # model streaming into a stub (``raise Error(`` mid-line) must not hide every ``def f(\n    self,\n)
            # -> None:`` after it, or a neighbour's commit in that moment finds no region of its own (pyjwt's
            # ``_validate_exp``); a docstring's indented example (``def index():``) is text.
            in_string, depth = None, 0
            # The header's decorators, just above it, belong to it, not to the open string.
            for back in range(decorators_above(lines, idx, _indent_of(line)), idx):
                counts[back] = bool(_DECORATOR_RE.match(lines[back]))
        was_open = in_string is not None or depth > 0
        counts.append(not was_open)
        in_string, depth = _carry(line, in_string, depth)
        if not was_open and (in_string is not None or depth):
            opened_at = _indent_of(line)

    spans: list[SymbolSpan] = []
    stack: list[tuple[int, str, str, int, int]] = []  # indent, qual, kind, start, last line
    numbering = {"def": Numbering(), "class": Numbering()}

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
            prefix = _child_prefix(stack[-1][2], stack[-1][1]) if stack else ""
            start = pending_decorator if pending_decorator is not None else starts[idx]
            qual = numbering[match["kind"]].next(prefix + match["name"])
            stack.append((indent, qual, match["kind"], start, lineno))
        pending_decorator = None
        _extend_parents(stack, lineno)
    close_until(-1, len(lines))
    spans.sort(key=lambda s: (s.start, -s.end))
    return spans


def _extend_parents(stack: list[tuple[int, str, str, int, int]], lineno: int) -> None:
    for i, (ind, qual, kind, start, _last) in enumerate(stack):
        stack[i] = (ind, qual, kind, start, lineno)


def _child_prefix(kind: str, qual: str) -> str:
    """Children of a function carry its number (``Cls.x#2.inner``: inside the setter); children of a class its
    plain name (``Cls.m#2`` for ``m`` of a second ``class Cls``), as the suites number stubs."""
    return (qual if kind == "def" else split_occurrence(qual)[0]) + "."


def outline(source: str) -> list[SymbolSpan]:
    """Every class/function/method in ``source``, outermost first, in source order; repeated names numbered."""
    return list(_outline(source))


def outline_parsed(source: str) -> bool:
    """Whether :func:`outline` reads ``source`` with :mod:`ast` (it parses), not with the indentation scan."""
    return _read(source)[1]


def _outline(source: str) -> tuple[SymbolSpan, ...]:
    return _read(source)[0]


@functools.lru_cache(maxsize=64)
def _read(source: str) -> tuple[tuple[SymbolSpan, ...], bool]:
    # Agents and the judge ask for the spans of the same module text again and again (about 70% repeats in an
    # 8-agent package run); spans are frozen, so the last texts' answers are kept.
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError):
        return tuple(_outline_scan(source)), False
    return tuple(_outline_ast(source, tree)), True


def definition_role(source: str, symbol: str) -> str | None:
    """Which definition ``symbol`` is when its name is defined more than once in ``source``; None when it is not.

    For prompts: ``"the setter of property `x` (definition 2 of 2 of `Cls.x`, line 14)"``.
    """
    try:
        base, nth = split_occurrence(symbol)
    except ValueError:
        return None
    name = base.rsplit(".", 1)[-1]
    if len(re.findall(rf"\bdef\s+{re.escape(name)}\s*[(\[]", source)) < 2:
        return None  # asked for every prompt, of a module that changes with every commit: skip its outline
    same = [s for s in outline(source) if s.kind == "def" and split_occurrence(s.qualname)[0] == base]
    if len(same) < 2 or nth > len(same):
        return None
    decorators = [_decorators(source, s) for s in same]
    mine = decorators[nth - 1]
    if "property" in mine or f"{name}.getter" in mine:
        role = f"the getter of property `{name}`"
    elif f"{name}.setter" in mine:
        role = f"the setter of property `{name}`"
    elif f"{name}.deleter" in mine:
        role = f"the deleter of property `{name}`"
    elif any(_is_overload(d) for d in mine):
        role = f"an `@overload` signature of `{name}`"
    elif any(_is_overload(d) for ds in decorators[: nth - 1] for d in ds):
        role = f"the implementation of `{name}` after its `@overload` signatures"
    else:
        role = f"definition {nth} of `{name}`"
    line = source.count("\n", 0, same[nth - 1].start) + 1 + len(mine)
    return f"{role} (definition {nth} of {len(same)} of `{base}` in this module, line {line})"


def _decorators(source: str, span: SymbolSpan) -> list[str]:
    """The span's decorator expressions (one per ``@`` line, without the ``@``), as written."""
    found: list[str] = []
    for line in source[span.start : span.end].splitlines():
        if not _DECORATOR_RE.match(line):
            break
        found.append(line.strip()[1:].split("#", 1)[0].strip())
    return found


def _is_overload(decorator: str) -> bool:
    return decorator in ("overload", "typing.overload", "typing_extensions.overload", "t.overload")


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
