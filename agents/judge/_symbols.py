"""Map source lines to the qualified symbol that encloses them (``Stack.push``).

Works on code that does not parse, too (generated code often does not): it
then falls back to an indentation scan of ``class``/``def`` headers.
"""

from __future__ import annotations

import ast
import re

from crdt_ws import parse_python

MODULE = "<module>"
_HEADER = re.compile(r"^(?P<indent>[ \t]*)(?:async[ \t]+)?(?P<kind>def|class)[ \t]+(?P<name>[A-Za-z_][A-Za-z0-9_]*)")


class SymbolMap:
    """Line (1-based) -> innermost enclosing qualified name of a source text."""

    def __init__(self, source: str) -> None:
        self._spans: list[tuple[int, int, str]] = []
        try:
            tree = parse_python(source)
        except (SyntaxError, ValueError):
            self._scan(source)
        else:
            self._walk(tree, "")

    def _walk(self, node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                self._spans.append((first, child.end_lineno or child.lineno, name))
                self._walk(child, name + ".")
            else:
                self._walk(child, prefix)

    def _scan(self, source: str) -> None:
        stack: list[tuple[int, int, str]] = []  # (indent, start, qualified)
        lines = source.splitlines()
        last_code = 0
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            indent = len(line) - len(line.lstrip())
            while stack and indent <= stack[-1][0] and not line.lstrip().startswith((")", "]", "}")):
                level, start, name = stack.pop()
                self._spans.append((start, last_code, name))
            match = _HEADER.match(line)
            if match:
                parent = stack[-1][2] + "." if stack else ""
                stack.append((indent, number, parent + match["name"]))
            last_code = number
        for _, start, name in stack:
            self._spans.append((start, last_code, name))

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
