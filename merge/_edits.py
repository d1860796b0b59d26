"""Repairs as edits: SEARCH/REPLACE blocks against the code a prompt showed.

A repair usually changes a line or two of a function.  Asking the model for the
whole function again spends output tokens (the slow and expensive part of a call)
on lines it copies; asking for edits spends them on the change.  A reply holds
one or more blocks::

    <<<<<<< SEARCH
    lines copied from the code shown
    =======
    the lines that replace them
    >>>>>>> REPLACE

:func:`apply_edits` locates every block's SEARCH lines in the code it was shown
(exactly; else ignoring trailing blanks; else ignoring indentation, the
replacement shifted by the same amount), each exactly once and none
overlapping, and returns the edited code.  :func:`write_edits` writes the blocks
that turn one text into another (the offline ``scripted`` model answers a repair
with them), so the two sides of the format live in one place.
"""

from __future__ import annotations

import difflib
import re

from ._errors import EditNotApplied

__all__ = ["apply_edits", "write_edits"]

SEARCH, DIVIDER, REPLACE = "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE"
_MARK = re.compile(r"^[ \t]*(<{5,9} ?SEARCH|={5,9}|>{5,9} ?REPLACE)[ \t]*$")


def apply_edits(base: str, reply: str) -> str | None:
    """``base`` with every SEARCH/REPLACE block of ``reply`` applied; None when the reply holds no SEARCH marker
    (it is not meant as edits: a whole definition, say).  Raises ``EditNotApplied`` when its edits do not apply."""
    if not any(_kind(line) == "search" for line in reply.splitlines()):
        return None
    blocks = _blocks(reply)
    if not blocks:
        raise EditNotApplied("the reply holds no complete SEARCH/REPLACE block")
    lines = base.splitlines()
    spans: list[tuple[int, int, list[str]]] = []
    for n, (search, replace) in enumerate(blocks, 1):
        if not any(line.strip() for line in search):
            raise EditNotApplied(f"edit {n}: its SEARCH part is empty")
        start, shift = _locate(lines, search, n)
        spans.append((start, start + len(search), [_shift(line, shift) for line in replace]))
    spans.sort()
    for (_, end, _), (start, _, _) in zip(spans, spans[1:]):
        if start < end:
            raise EditNotApplied("two edits overlap")
    out: list[str] = []
    at = 0
    for start, end, replacement in spans:
        out += lines[at:start] + replacement
        at = end
    out += lines[at:]
    return "\n".join(out) + ("\n" if base.endswith("\n") else "")


def write_edits(base: str, new: str, *, context: int = 1) -> str:
    """The blocks that turn ``base`` into ``new``: each change with ``context`` lines around it, widened until its
    SEARCH part occurs once in ``base``.  Empty when the two are equal."""
    old_lines, new_lines = base.splitlines(), new.splitlines()
    hunks: list[list[int]] = []
    for group in difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        while not any(line.strip() for line in old_lines[i1:i2]) or _count(old_lines, old_lines[i1:i2]) != 1:
            # Too little to find it by: one more line on each side, in both texts (equal there).
            grew = False
            if i1 > 0 and j1 > 0:
                i1, j1, grew = i1 - 1, j1 - 1, True
            if i2 < len(old_lines) and j2 < len(new_lines):
                i2, j2, grew = i2 + 1, j2 + 1, True
            if not grew:
                break
        if hunks and i1 < hunks[-1][1]:  # widened into the previous one: one block for both
            hunks[-1][1:] = [i2, hunks[-1][2], j2]
            continue
        hunks.append([i1, i2, j1, j2])
    return "".join(
        "\n".join([SEARCH, *old_lines[i1:i2], DIVIDER, *new_lines[j1:j2], REPLACE]) + "\n" for i1, i2, j1, j2 in hunks
    )


def _kind(line: str) -> str | None:
    match = _MARK.match(line)
    if match is None:
        return None
    mark = match.group(1)
    return "search" if mark.startswith("<") else "replace" if mark.startswith(">") else "divider"


def _blocks(reply: str) -> list[tuple[list[str], list[str]]]:
    """(search lines, replace lines) of each complete block, in order; text outside blocks is ignored."""
    blocks: list[tuple[list[str], list[str]]] = []
    search: list[str] | None = None
    replace: list[str] | None = None
    for line in reply.splitlines():
        kind = _kind(line)
        if kind == "search":
            search, replace = [], None
        elif kind == "divider" and search is not None and replace is None:
            replace = []
        elif kind == "replace" and search is not None and replace is not None:
            blocks.append((search, replace))
            search = replace = None
        elif replace is not None:
            replace.append(line)
        elif search is not None:
            search.append(line)
    return blocks


def _locate(lines: list[str], search: list[str], n: int) -> tuple[int, int]:
    """Where ``search`` starts in ``lines`` and the indentation to add to its replacement (exact match first)."""
    for key in (str.rstrip, str.strip):
        wanted, keyed = [key(line) for line in search], [key(line) for line in lines]
        found = [i for i in range(len(lines) - len(search) + 1) if keyed[i : i + len(search)] == wanted]
        if len(found) > 1:
            raise EditNotApplied(f"edit {n}: its SEARCH part occurs {len(found)} times; it must name one place")
        if found:
            start = found[0]
            first = next(i for i, line in enumerate(search) if line.strip())
            return start, _indent(lines[start + first]) - _indent(search[first])
    head = next(line.strip() for line in search if line.strip())
    raise EditNotApplied(f"edit {n}: its SEARCH part (from {head[:60]!r}) is not in the code shown")


def _count(lines: list[str], part: list[str]) -> int:
    return sum(1 for i in range(len(lines) - len(part) + 1) if lines[i : i + len(part)] == part)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shift(line: str, by: int) -> str:
    if by > 0 and line.strip():
        return " " * by + line
    if by < 0 and line[: -by].strip() == "":
        return line[-by:]
    return line
