"""Reformat a markdown table so its columns line up."""

from __future__ import annotations

import re
from typing import NamedTuple

SEPARATOR_CELL = re.compile(r"^(:?)-+(:?)$")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
MIN_WIDTH = 3


class Table(NamedTuple):
    """A parsed table: header cells, one alignment per header column, body rows."""

    header: list[str]
    aligns: list[str | None]
    rows: list[list[str]]


def split_cells(line: str) -> list[str]:
    """Stripped cells of one table line (outer pipes optional, "\\|" stays escaped).

    >>> split_cells("| a | b \\\\| c |")
    ['a', 'b \\\\| c']
    >>> split_cells("x|y")
    ['x', 'y']
    """
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [cell.strip() for cell in UNESCAPED_PIPE.split(text)]


def parse_alignment(cell: str) -> str | None:
    """Alignment of a separator cell.

    >>> [parse_alignment(c) for c in (":---", "---:", ":----:", "---")]
    ['left', 'right', 'center', None]
    >>> parse_alignment("-x-")
    Traceback (most recent call last):
    ...
    ValueError: not a separator cell: '-x-'
    """
    match = SEPARATOR_CELL.match(cell.strip())
    if match is None:
        raise ValueError(f"not a separator cell: {cell!r}")
    left, right = bool(match.group(1)), bool(match.group(2))
    if left and right:
        return "center"
    if left:
        return "left"
    if right:
        return "right"
    return None


def parse_table(text: str) -> Table:
    """Header, alignments and rows of a markdown table.

    >>> parse_table("a | b\\n--- | ---:\\n1 | 2")
    Table(header=['a', 'b'], aligns=[None, 'right'], rows=[['1', '2']])
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise ValueError("a table needs a header line and a separator line")
    header = split_cells(lines[0])
    aligns = [parse_alignment(cell) for cell in split_cells(lines[1])]
    rows = [split_cells(line) for line in lines[2:]]
    return Table(header, aligns, rows)


def normalise(text: str) -> Table:
    """Parsed table with every row and the alignments cut or padded to the header's width.

    >>> normalise("a|b|c\\n---|---\\n1\\n1|2|3|4")
    Table(header=['a', 'b', 'c'], aligns=[None, None, None], rows=[['1', '', ''], ['1', '2', '3']])
    """
    table = parse_table(text)
    width = len(table.header)
    aligns = (table.aligns + [None] * width)[:width]
    rows = [(row + [""] * width)[:width] for row in table.rows]
    return Table(table.header, aligns, rows)


def column_widths(table: Table) -> list[int]:
    """Widest cell per column (header included), at least MIN_WIDTH.

    >>> column_widths(Table(["id", "name"], [None, None], [["1", "Ada Lovelace"]]))
    [3, 12]
    """
    widths = [max(MIN_WIDTH, len(cell)) for cell in table.header]
    for row in table.rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    return widths


def align_cell(text: str, width: int, align: str | None) -> str:
    """Pad a cell to `width` according to its alignment.

    >>> [align_cell("ab", 5, a) for a in ("left", "right", "center", None)]
    ['ab   ', '   ab', ' ab  ', 'ab   ']
    """
    if align == "right":
        return text.rjust(width)
    if align == "center":
        extra = width - len(text)
        left = extra // 2
        return " " * left + text + " " * (extra - left)
    return text.ljust(width)


def format_row(cells: list[str], widths: list[int], aligns: list[str | None]) -> str:
    """One table line with every cell aligned to its column's width.

    >>> format_row(["a", "1"], [3, 4], ["left", "right"])
    '| a   |    1 |'
    """
    return "| " + " | ".join(align_cell(c, w, a) for c, w, a in zip(cells, widths, aligns)) + " |"


def render(text: str) -> str:
    """The table with aligned columns.

    >>> print(render("name|qty\\n:-|-:\\napple|3\\nfig|12"))
    | name  | qty |
    | :---- | --: |
    | apple |   3 |
    | fig   |  12 |
    """
    table = normalise(text)
    widths = column_widths(table)
    separators: list[str] = []
    for width, align in zip(widths, table.aligns):
        left = ":" if align in ("left", "center") else ""
        right = ":" if align in ("right", "center") else ""
        separators.append(left + "-" * (width - len(left) - len(right)) + right)
    lines = [format_row(table.header, widths, table.aligns), "| " + " | ".join(separators) + " |"]
    return "\n".join(lines + [format_row(row, widths, table.aligns) for row in table.rows])
