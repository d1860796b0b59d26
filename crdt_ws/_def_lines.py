"""Definition headers read line by line: ``def``/``class`` lines, their decorators, line offsets.

These helpers read text, not syntax trees, so they work on a buffer that does
not parse (a model still streaming into a method): :mod:`crdt_ws._symbols`
builds its indentation-scan outline on them, and callers use
:func:`find_def_line` when not even that outline can be read.  Offsets are
Python ``str`` indices (characters), as in every span.
"""

from __future__ import annotations

import re

from ._ids import split_occurrence

__all__ = ["def_header", "next_definition", "find_def_line", "decorators_above", "defines"]

_DEF_RE = re.compile(r"^(?P<indent>[ \t]*)(?:async[ \t]+)?(?P<kind>def|class)[ \t]+(?P<name>\w+)")
_DECORATOR_RE = re.compile(r"^[ \t]*@")


def _line_starts(source: str) -> list[int]:
    starts = [0]
    # str.find runs in C: a character loop here was a visible share of a large package run's CPU.
    at = source.find("\n")
    while at != -1:
        starts.append(at + 1)
        at = source.find("\n", at + 1)
    return starts


def _line_end(starts: list[int], source: str, lineno: int) -> int:
    """Character index just past line ``lineno`` (1-based), newline included."""
    return starts[lineno] if lineno < len(starts) else len(source)


def def_header(line: str) -> tuple[int, str, str] | None:
    """``(indent, kind, name)`` when ``line`` opens a ``def``/``async def``/``class``; the one header scanner."""
    match = _DEF_RE.match(line)
    return None if match is None else (len(match["indent"]), match["kind"], match["name"])


def next_definition(lines: list[str], start: int, indent: int) -> int:
    """Index of the first line after ``start`` that opens a definition or decorator at most ``indent`` deep.

    In broken source (an unterminated docstring) an indentation scan can run a
    region to the end of the file; cutting there keeps an edit of one symbol
    from swallowing the definitions after it.
    """
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if _indent_of(line) <= indent and (_DECORATOR_RE.match(line) or def_header(line)):
            return i
    return len(lines)


def find_def_line(source: str, qualname: str) -> tuple[int, int] | None:
    """Start (decorators included) and indent of ``qualname``'s ``def`` line, found textually.

    For a buffer whose outline cannot be read (an open bracket mid-edit hides
    the rest of the file from the indentation scan): the owner classes' lines
    are found in order, then the function's ``def`` after them.
    """
    try:
        base, nth = split_occurrence(qualname)
    except ValueError:
        return None
    parts = base.split(".")
    lines = source.splitlines(keepends=True)
    starts = _line_starts(source)
    idx = 0
    for owner in parts[:-1]:
        while idx < len(lines) and _header_of(lines[idx]) != ("class", owner):
            idx += 1
        if idx == len(lines):
            return None
        idx += 1
    for i in range(idx, len(lines)):
        match = _DEF_RE.match(lines[i])
        if match and match["kind"] == "def" and match["name"] == parts[-1] and re.match(r"[ \t]*\(", lines[i][match.end() :]):
            nth -= 1
            if nth:
                continue  # a repeated name: the n-th ``def`` line of it
            indent = len(match["indent"])
            return starts[decorators_above(lines, i, indent)], indent
    return None


def decorators_above(lines: list[str], def_line: int, indent: int) -> int:
    """The first line of the decorators above ``lines[def_line]`` (``def_line`` itself when it has none), read textually.

    A decorator may span lines (``@click.option('--bucket',`` then its arguments) and a comment may sit
    between decorators and ``def`` (``# pylint: disable=...``, trailscraper's ``download``): stopping at the
    first line that is not ``@`` would leave those decorators outside the region, and a commit into it
    would put the definition back without them.
    """
    first = def_line
    for j in range(def_line - 1, -1, -1):
        line = lines[j]
        stripped = line.strip()
        if not stripped:
            break
        deeper = _indent_of(line) > indent
        if _indent_of(line) == indent and _DECORATOR_RE.match(line):
            first = j
        elif not (deeper or stripped.startswith("#") or stripped[0] in ")]}"):
            break  # code at the definition's depth: the previous statement, not a decorator
    return first


def _header_of(line: str) -> tuple[str, str] | None:
    header = def_header(line)
    return None if header is None else (header[1], header[2])


def defines(source: str, name: str) -> bool:
    """Whether some line of ``source`` defines ``name`` (``def``/``class`` at any depth, or a top-level assignment)."""
    for line in source.splitlines():
        header = def_header(line)
        if header is not None and header[2] == name:
            return True
        if re.match(rf"{re.escape(name)}[ \t]*[:=]", line):
            return True
    return False


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))
