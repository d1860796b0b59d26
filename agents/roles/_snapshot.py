"""The committed state of a task: the outline with every done TODO's result spliced in.

Judging reads this instead of the live buffer, which may hold a model's
half-streamed code in some other method at any moment.  Splicing with libcst
costs 10-20 ms per symbol, and the judge shares its event loop with the
agents' heartbeats and sync probes, so :class:`Snapshot` splices only the
results that changed since it last looked.
"""

from __future__ import annotations

from collections.abc import Iterable

from crdt_ws import TodoEntry, TodoStatus
from merge import MergeConfig, MergeError, splice

__all__ = ["Snapshot", "committed_module"]

# Committed results were extracted and checked once already: re-splicing them must not reject them.
_LENIENT = MergeConfig(allow_signature_change=True, borrow_implementations=False)


class Snapshot:
    """An incrementally maintained committed module for one outline."""

    def __init__(self, outline: str) -> None:
        self.outline = outline
        self.source = outline
        self._spliced: dict[str, str] = {}

    def update(self, todos: Iterable[TodoEntry], extra: dict[str, str] | None = None) -> str:
        """Splice results that changed (and ``extra`` symbol -> code, not kept); returns the module."""
        results = {e.symbol: e.result for e in todos if e.status == TodoStatus.DONE and e.result}
        for symbol, code in sorted(results.items()):
            if self._spliced.get(symbol) != code:
                self.source = _splice(self.source, symbol, code)
                self._spliced[symbol] = code
        source = self.source
        for symbol, code in sorted((extra or {}).items()):
            source = _splice(source, symbol, code)
        return source


def _splice(source: str, symbol: str, code: str) -> str:
    try:
        return splice(source, symbol, code, _LENIENT, tolerant=True).source
    except MergeError:
        return source  # the check of this symbol then fails on its stub, which is the truth


def committed_module(outline: str, todos: Iterable[TodoEntry], extra: dict[str, str] | None = None) -> str:
    """``outline`` with the results of done TODOs (and ``extra``, which wins) spliced in, from scratch."""
    return Snapshot(outline).update(todos, extra)
