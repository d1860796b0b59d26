"""Map source lines to the qualified symbol that encloses them (``Stack.push``).

Built on :func:`crdt_ws.outline`, so code that does not parse (generated code
often does not) is read by the same indentation scan the agents use.
"""

from __future__ import annotations

import bisect

from crdt_ws import outline

MODULE = "<module>"


class SymbolMap:
    """Line (1-based) -> innermost enclosing qualified name of a source text."""

    def __init__(self, source: str) -> None:
        newlines = [i for i, ch in enumerate(source) if ch == "\n"]

        def line_of(index: int) -> int:
            return bisect.bisect_left(newlines, index) + 1

        self._spans: list[tuple[int, int, str]] = [
            (line_of(span.start), line_of(max(span.start, span.end - 1)), span.qualname) for span in outline(source)
        ]

    def symbol_at(self, line: int) -> str:
        """Qualified name of the innermost def/class containing ``line`` (1-based)."""
        best: tuple[int, str] | None = None
        for start, end, name in self._spans:
            if start <= line <= end and (best is None or start >= best[0]):
                best = (start, name)
        return best[1] if best else MODULE

    def symbols(self) -> list[str]:
        """Every qualified name defined, in source order."""
        return [name for _, _, name in sorted(self._spans)]
