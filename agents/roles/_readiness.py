"""When a done TODO can be judged: once the TODOs its check depends on have their verdicts.

What a check depends on: the TODO's predicted deps, the stubs its doctest
examples call, and the stubs its committed code really uses (calls and
``self``/``cls`` attributes, matched by name).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from crdt_ws import TodoEntry, TodoStatus

from agents.judge import outline_doctests
from agents.scheduler import awaiting_verdict

__all__ = ["drafted", "judgeable", "needs"]

_CALL = re.compile(r"\b(\w+)\s*\(")
_ATTR = re.compile(r"\b(?:self|cls)\.(\w+)")


def needs(entries: list[TodoEntry], outline: str) -> dict[str, list[TodoEntry]]:
    """For each TODO, the TODOs its check depends on.

    Its predicted deps, the stubs its doctest examples call, and the stubs its
    committed code really uses: now that the body exists, that is no longer a guess.
    """
    by_id = {e.id: e for e in entries}
    names = {e.symbol.rsplit(".", 1)[-1]: e for e in entries}
    examples = outline_doctests(outline)
    out: dict[str, list[TodoEntry]] = {}
    for entry in entries:
        found = {d: by_id[d] for d in entry.deps if d in by_id}
        code = entry.result or ""
        for name in _CALL.findall(examples.get(entry.symbol, "")) + _CALL.findall(code) + _ATTR.findall(code):
            other = names.get(name)
            if other is not None and other.id != entry.id:
                found[other.id] = other
        out[entry.id] = list(found.values())
    return out


def judgeable(
    entries: list[TodoEntry], needs: dict[str, list[TodoEntry]], final: Callable[[TodoEntry], bool] = lambda e: False
) -> list[TodoEntry]:
    """Done, unjudged TODOs whose checks' dependencies are judged (all of them once only cycles remain).

    ``final``: a TODO whose verdict cannot change its code (no repair, no
    re-draft can follow it).  A check that depends on such a TODO need not wait
    for its verdict: both are judged in the same round, on the same committed
    module, and the round blames the dependency if both fail.  Without it, a
    chain of dependencies costs one sandbox round per link after the last commit.
    """
    waiting = [e for e in entries if awaiting_verdict(e)]
    # Widen to checks whose unjudged dependencies are final and judged alongside them (a fixpoint: a
    # dependency that itself cannot be judged yet holds back whatever depends on it).
    batch = {e.id for e in waiting if all(_settled(d) and (not awaiting_verdict(d) or final(d)) for d in needs[e.id])}
    while True:
        keep = {i for i in batch if all(not awaiting_verdict(d) or d.id in batch for d in needs[i])}
        if keep == batch:
            break
        batch = keep
    widened = [e for e in waiting if e.id in batch]
    if widened or any(not _settled(e) for e in entries):
        return widened
    # Nothing left in progress and still nothing judgeable: the checks depend on each
    # other in a cycle, so judge every one of them now.
    return waiting


def _settled(entry: TodoEntry) -> bool:
    return entry.status in (TodoStatus.DONE, TodoStatus.FAILED)


def drafted(entry: TodoEntry) -> bool:
    """Committed at least once (a reopened TODO keeps the verdict of its first commit)."""
    return entry.status in (TodoStatus.DONE, TodoStatus.FAILED) or entry.verdict is not None
