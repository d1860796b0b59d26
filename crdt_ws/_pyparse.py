"""``ast.parse`` that is safe to call from several threads at once on CPython 3.11.

CPython before 3.11.8 / 3.12.1 keeps the recursion depth of its C-to-Python
AST conversion in state shared by all threads (gh-106905): two threads
converting at once can fail with ``SystemError: AST constructor recursion
depth mismatch``.  Agents parse on the event loop (symbol scans) while
extraction and judging parse in worker threads, and CI hit that error once in
600 tests.  Every runtime ``ast.parse`` goes through this one lock; a parse of
a module takes about a millisecond, so the event loop hardly waits.
"""

from __future__ import annotations

import ast
import threading

__all__ = ["parse_python"]

_LOCK = threading.Lock()


def parse_python(source: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse(source)``, one thread at a time."""
    with _LOCK:
        return ast.parse(source, filename=filename)
