"""Repair an outline whose docstring was left open, so whole-module splicing can work on it.

A skeleton such as::

    def __init__(self):
        \"\"\"
        Initialize the calendar.
        self.events = []

    def add_event(self, event):
        \"\"\"
        ...

leaves the quotes unbalanced: the module does not compile, and a symbol nobody
asked for (``__init__`` here) keeps it broken after every requested symbol has
been merged region by region.  The repair closes such a docstring inside its
own definition: just before the first line that reads as code, else after its
last line of text.  It runs only on a module that does not compile and is kept
only when the result compiles, so a module it cannot fix is returned unchanged.
(An odd skeleton whose stray quotes happen to pair up compiles and is left
alone: nothing marks it as broken.)
"""

from __future__ import annotations

import ast
import re

from crdt_ws import compiles, def_header, next_definition, parse_python, quiet

__all__ = ["repair_outline"]

_OPEN = re.compile(r"^([ \t]*)[rRuU]?(\"\"\"|''')")
_MAX_REPAIRS = 8
# Statements a line of prose is unlikely to parse as (bare names/tuples/annotations are prose-ish).
_CODE_STMTS = (
    ast.Assign,
    ast.AugAssign,
    ast.Return,
    ast.Raise,
    ast.Import,
    ast.ImportFrom,
    ast.Pass,
    ast.Delete,
    ast.Global,
    ast.Nonlocal,
    ast.If,
    ast.For,
    ast.While,
    ast.With,
    ast.Try,
)


def _looks_like_code(line: str) -> bool:
    text = line.strip()
    if not text or text.startswith((">>>", "...", ":", "#")):
        return False
    for attempt in (text, text + "\n    pass"):
        try:
            with quiet():
                tree = parse_python(attempt)
        except (SyntaxError, ValueError):
            continue
        if len(tree.body) != 1:
            return False
        node = tree.body[0]
        if isinstance(node, ast.Expr):
            return isinstance(node.value, ast.Call)
        if isinstance(node, ast.AnnAssign):
            return node.value is not None
        return isinstance(node, _CODE_STMTS)
    return False


def _close_one(lines: list[str]) -> tuple[list[str], str] | None:
    """Close the first docstring that runs past the end of its definition; None when there is none."""
    for i, line in enumerate(lines):
        header = def_header(line)
        if header is None or header[1] != "def" or not re.search(rf"def[ \t]+{re.escape(header[2])}[ \t]*\(", line):
            continue
        indent, _, name = header
        header_end = next((j for j in range(i, min(i + 20, len(lines))) if lines[j].rstrip().endswith(":")), None)
        if header_end is None:
            continue
        doc = next((j for j in range(header_end + 1, len(lines)) if lines[j].strip()), None)
        if doc is None:
            continue
        opened = _OPEN.match(lines[doc])
        if opened is None:
            continue
        quote = opened.group(2)
        if quote in lines[doc][opened.end() :]:
            continue  # closed on its own line
        end = next_definition(lines, header_end, indent)
        if any(quote in lines[j] for j in range(doc + 1, end)):
            continue
        body = range(doc + 1, end)
        at = next((j for j in body if _looks_like_code(lines[j])), None)
        if at is None:
            at = max((j for j in body if lines[j].strip()), default=doc) + 1
        fixed = [*lines[:at], opened.group(1) + quote, *lines[at:]]
        return fixed, f"closed the docstring of {name!r} (line {doc + 1})"
    return None


def repair_outline(source: str) -> tuple[str, tuple[str, ...]]:
    """``source`` with unterminated docstrings closed, and what was done; unchanged unless that compiles."""
    if compiles(source):
        return source, ()
    lines = source.split("\n")
    repairs: list[str] = []
    for _ in range(_MAX_REPAIRS):
        step = _close_one(lines)
        if step is None:
            break
        lines, what = step
        repairs.append(what)
        candidate = "\n".join(lines)
        if compiles(candidate):
            return candidate, tuple(repairs)
    return source, ()
